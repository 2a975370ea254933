import JourneyLanguage

/// Lookups the engine precomputes from a catalog so the per-event path does no searching.
struct CatalogIndex: Sendable {
    /// Event name → indices of current journeys triggered by it (priority high to low, then name).
    var eventTriggers: [String: [Int]] = [:]
    /// Segment name → indices of current journeys entered when a customer joins it.
    var segmentTriggers: [String: [Int]] = [:]
    /// Indices of current journeys with a schedule trigger.
    var scheduleJourneys: [Int] = []
    /// Segments whose membership is tracked (those a segment trigger names), sorted.
    var trackedSegments: [String] = []
    /// Event name → how much history behavioural counts over it need.
    var historyNeeds: [String: HistoryNeed] = [:]
    /// Whether any journey has an `exit when` condition.
    var hasConditionExits = false
    /// How far back the send ledger must reach for the caps and minimum gap.
    var ledgerHorizon: Double = 0
    /// Attribute paths the schema declares as times or durations (coerced from JSON on input).
    var timeAttributes: [String: ValueType] = [:]
    var timeEventProperties: [String: [String: ValueType]] = [:]
    /// Journeys with at least one marketing send: the ones the policy's global holdout keeps
    /// customers out of (a journey of transactional sends only still runs for them).
    var marketingJourneys: Set<String> = []

    struct HistoryNeed: Sendable {
        /// The longest count window over this event name; `nil` when a count reads all history.
        var window: Double?
        var keepsProperties: Bool
    }

    init(catalog: JourneyCatalog, retained: [JourneyProgram]) {
        let order = catalog.journeys.indices.sorted {
            let a = catalog.journeys[$0], b = catalog.journeys[$1]
            return a.priority != b.priority ? a.priority > b.priority : a.name < b.name
        }
        for program in catalog.journeys
        where program.states.contains(where: { if case .send(let send, _) = $0.kind { send.category == .marketing } else { false } }) {
            marketingJourneys.insert(program.name)
        }
        var tracked = Set<String>()
        for i in order {
            switch catalog.journeys[i].trigger {
            case .event(let name, _): eventTriggers[name, default: []].append(i)
            case .segmentEntry(let segment):
                segmentTriggers[segment, default: []].append(i)
                tracked.insert(segment)
            case .schedule, .calendar: scheduleJourneys.append(i)
            }
        }
        trackedSegments = tracked.sorted()

        var expressions: [Expression] = Array(catalog.segments.values)
        for program in catalog.journeys + retained {
            expressions.append(contentsOf: program.expressions)
            if program.exits.contains(where: { if case .condition = $0 { true } else { false } }) {
                hasConditionExits = true
            }
        }
        for expression in expressions { collectHistoryNeeds(expression) }

        // Deduplication by request id reaches at least a day back, however short the caps.
        let policy = DeliveryPolicy(program: catalog.policy, journeyCaps: catalog.journeys.flatMap(\.caps))
        ledgerHorizon = max(policy.ledgerRetention, 86_400)

        for (name, type) in catalog.schema.customerAttributes where type == .time || type == .duration {
            timeAttributes[name] = type
        }
        for (event, properties) in catalog.schema.events {
            for (name, type) in properties where type == .time || type == .duration {
                timeEventProperties[event, default: [:]][name] = type
            }
        }
    }

    private mutating func collectHistoryNeeds(_ expression: Expression) {
        expression.visit { e in
            switch e {
            case .eventCount(let name, let filter, let within):
                var need = historyNeeds[name] ?? HistoryNeed(window: 0, keepsProperties: false)
                if let within, let current = need.window { need.window = max(current, within) } else { need.window = nil }
                if filter != nil { need.keepsProperties = true }
                historyNeeds[name] = need
            case .lastEventTime(let name):
                if historyNeeds[name] == nil { historyNeeds[name] = HistoryNeed(window: 0, keepsProperties: false) }
            default: break
            }
        }
    }
}

extension Expression {
    /// Calls `body` for this expression and every expression inside it.
    func visit(_ body: (Expression) -> Void) {
        body(self)
        switch self {
        case .unary(_, let e), .exists(let e): e.visit(body)
        case .binary(_, let l, let r):
            l.visit(body)
            r.visit(body)
        case .call(_, let args), .list(let args): for a in args { a.visit(body) }
        case .eventCount(_, let filter, _): filter?.visit(body)
        default: break
        }
    }
}

extension JourneyProgram {
    /// Every expression in the journey: trigger filter, exits, goal, branches, waits, updates.
    var expressions: [Expression] {
        var result: [Expression] = []
        if case .event(_, let filter?) = trigger { result.append(filter) }
        for exit in exits {
            switch exit {
            case .event(_, let filter?): result.append(filter)
            case .condition(let e): result.append(e)
            default: break
            }
        }
        if let filter = goal?.filter { result.append(filter) }
        for state in states {
            switch state.kind {
            case .branch(let branches, _): result.append(contentsOf: branches.map(\.condition))
            case .wait(.event(_, let filter?, _, _, _)): result.append(filter)
            case .wait(.events(let arms, _, _)): result.append(contentsOf: arms.compactMap(\.filter))
            case .wait(.untilTime(let expression, _)): result.append(expression)
            case .update(let updates, _):
                for update in updates {
                    switch update.operation {
                    case .set(let e), .increment(let e): result.append(e)
                    case .unset: break
                    }
                }
            default: break
            }
        }
        return result
    }
}
