import JourneyEngine
import JourneyLanguage

/// Builds journey IR by hand for tests: a list of steps compiles to dense states ending in
/// `exit(.completed)` (labelled `end`).
indirect enum Step: Sendable {
    case send(Channel, String, category: MessageCategory = .marketing, fallback: Channel? = nil, label: String? = nil)
    case wait(Double)
    case waitCalendarDays(Int)
    case waitUntilTime(Expression)
    case waitUntil(LocalTime, weekdays: Set<Weekday>? = nil)
    case waitFor(String, filter: Expression? = nil, timeout: Double, onEvent: [Step], onTimeout: [Step])
    case branch([(Expression, [Step])], otherwise: [Step])
    case split(String, [(name: String, weight: Double, control: Bool, steps: [Step])])
    case update([AttributeUpdate])
    case exit(String)
}

struct JourneyBuilder: Sendable {
    var name: String
    var version = "v1"
    var trigger: Trigger = .event(name: "start", filter: nil)
    var entry: EntryRule = .oneAtATime
    var exits: [ExitCriterion] = []
    var goal: Goal?
    var priority = 50
    var timeZone: String?
    var stage: Stage?
    var steps: [Step] = []

    private var states: [JourneyState] = []
    private var labels: Set<String> = []

    init(
        _ name: String, version: String = "v1", trigger: Trigger = .event(name: "start", filter: nil), entry: EntryRule = .oneAtATime,
        exits: [ExitCriterion] = [], goal: Goal? = nil, priority: Int = 50, timeZone: String? = nil, stage: Stage? = nil,
        steps: [Step]
    ) {
        self.name = name
        self.version = version
        self.trigger = trigger
        self.entry = entry
        self.exits = exits
        self.goal = goal
        self.priority = priority
        self.timeZone = timeZone
        self.stage = stage
        self.steps = steps
    }

    func build() -> JourneyProgram {
        var builder = self
        let end = builder.add(label: "end", kind: .exit(.completed))
        let initial = builder.emit(steps, then: end)
        return JourneyProgram(
            name: name, title: name, version: version, location: SourceLocation(file: "\(name).journey", line: 1, column: 1),
            stage: stage, priority: priority, trigger: trigger, entry: entry, exits: exits, goal: goal, timeZone: timeZone,
            caps: [], states: builder.states, initial: initial)
    }

    private mutating func add(label: String, kind: StateKind) -> StateID {
        var unique = label
        var n = 2
        while labels.contains(unique) {
            unique = "\(label)_\(n)"
            n += 1
        }
        labels.insert(unique)
        let id = states.count
        states.append(
            JourneyState(id: id, label: unique, stage: nil, location: SourceLocation(file: "\(name).journey", line: id + 2, column: 3), kind: kind))
        return id
    }

    private mutating func emit(_ steps: [Step], then next: StateID) -> StateID {
        var current = next
        for step in steps.reversed() {
            switch step {
            case .send(let channel, let message, let category, let fallback, let label):
                let send = Send(channel: channel, message: message, category: category, fallback: fallback)
                current = add(label: label ?? "send_\(message)", kind: .send(send, next: current))
            case .wait(let seconds):
                current = add(label: "wait", kind: .wait(.duration(seconds: seconds, next: current)))
            case .waitUntilTime(let expression):
                current = add(label: "wait_until_time", kind: .wait(.untilTime(expression, next: current)))
            case .waitCalendarDays(let days):
                current = add(label: "wait_calendar", kind: .wait(.calendarDays(days, next: current)))
            case .waitUntil(let time, let weekdays):
                current = add(label: "wait_until", kind: .wait(.untilLocalTime(time, weekdays: weekdays, next: current)))
            case .waitFor(let event, let filter, let timeout, let onEvent, let onTimeout):
                let a = emit(onEvent, then: current)
                let b = emit(onTimeout, then: current)
                current = add(
                    label: "wait_for_\(event)", kind: .wait(.event(name: event, filter: filter, timeout: timeout, onEvent: a, onTimeout: b)))
            case .branch(let arms, let otherwise):
                let targets = arms.map { Branch(condition: $0.0, target: emit($0.1, then: current)) }
                let other = emit(otherwise, then: current)
                current = add(label: "branch", kind: .branch(targets, otherwise: other))
            case .split(let name, let variants):
                let built = variants.map { v in
                    Variant(name: v.name, weight: v.weight, isControl: v.control, target: v.control ? current : emit(v.steps, then: current))
                }
                current = add(label: "split_\(name)", kind: .split(Split(name: name, variants: built)))
            case .update(let updates):
                current = add(label: "update", kind: .update(updates, next: current))
            case .exit(let reason):
                current = add(label: "exit", kind: .exit(.explicit(reason: reason)))
            }
        }
        return current
    }
}

func catalog(
    _ journeys: [JourneyBuilder], segments: [String: Expression] = [:], policy: DeliveryPolicyProgram = DeliveryPolicyProgram()
)
    -> JourneyCatalog
{
    JourneyCatalog(
        journeys: journeys.map { $0.build() }.sorted { $0.name < $1.name }, segments: segments, policy: policy, schema: Schema(),
        messages: [:])
}

// MARK: Expressions

func attr(_ path: String...) -> Expression { .customer(path) }
func prop(_ path: String...) -> Expression { .event(path) }
func num(_ n: Double) -> Expression { .literal(.number(n)) }
func str(_ s: String) -> Expression { .literal(.string(s)) }
func > (a: Expression, b: Expression) -> Expression { .binary(.greater, a, b) }
func >= (a: Expression, b: Expression) -> Expression { .binary(.greaterEqual, a, b) }
func == (a: Expression, b: Expression) -> Expression { .binary(.equal, a, b) }

// MARK: Time

let minute = 60.0
let hour = 3_600.0
let day = 86_400.0

/// 2026-03-02T00:00:00Z, a Monday.
let t0 = 1_772_409_600.0

func utc(_ text: String) -> Double { Value.parseTime(text)! }
