import Dispatch
import Foundation
public import JourneyEngine
public import JourneyLanguage
import Synchronization

/// The funnel per journey and the roll-up per lifecycle stage, computed from a dry-run's timelines.
public struct DryRunReport: Sendable {
    /// The exit reason the engine gives an entry the policy's `global holdout` keeps out.
    public static let globalHoldoutReason = "global holdout"

    public var journeys: [JourneyReport]
    public var stages: [StageReport]
    public var delivery: DeliveryReport

    public init(result: DryRunResult) {
        // Customers are independent: tally contiguous slices on every core and merge the tallies
        // in order (every count is a sum, and lists keep the order one pass would give them).
        let customers = result.customers
        let engine = result.engine
        let workers = DryRunOptions(threads: result.threads).workerCount
        let slices = customers.isEmpty || workers == 1 ? 1 : min(customers.count, workers * 4)
        let done = Mutex([ReportTally?](repeating: nil, count: slices))
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            var tally = ReportTally(engine: engine)
            for k in (customers.count * slice / slices)..<(customers.count * (slice + 1) / slices) { tally.add(customers[k]) }
            done.withLock { $0[slice] = tally }
        }
        var tally = ReportTally(engine: engine)
        for part in done.withLock({ $0 }) { if let part { tally.merge(part) } }
        var builders = tally.builders
        let (variants, converted, delivery) = (tally.variants, tally.converted, tally.delivery)
        let (customersPerJourney, stageCustomers, stageReached) = (tally.customersPerJourney, tally.stageCustomers, tally.stageReached)

        // Experiments: conversions per variant, against the control group.
        var experiments: [String: [String: [String: (control: Bool, entries: Int, conversions: Int)]]] = [:]
        for (key, assignments) in variants {
            for a in assignments {
                var cell = experiments[key.journey, default: [:]][a.split, default: [:]][a.variant] ?? (a.isControl, 0, 0)
                cell.entries += 1
                if converted[key] != nil { cell.conversions += 1 }
                experiments[key.journey, default: [:]][a.split, default: [:]][a.variant] = cell
            }
        }
        for (journey, splits) in experiments {
            let variantSteps = builders[journey]?.variantSteps ?? [:]
            let journeySteps = builders[journey]?.steps ?? []
            builders[journey]?.experiments = splits.keys.sorted().map { split in
                let cells = splits[split]!
                let control = cells.values.first { $0.control }
                let controlRate = control.flatMap { $0.entries > 0 ? Double($0.conversions) / Double($0.entries) : nil }
                return ExperimentReport(
                    split: split,
                    variants: cells.keys.sorted().map { name in
                        let cell = cells[name]!
                        let rate = cell.entries > 0 ? Double(cell.conversions) / Double(cell.entries) : nil
                        var uplift: Double?
                        if !cell.control, let rate, let controlRate, controlRate > 0 { uplift = rate / controlRate - 1 }
                        var report = VariantReport(
                            name: name, isControl: cell.control, entries: cell.entries, conversions: cell.conversions, conversionRate: rate,
                            upliftVsControl: uplift, pointsVsControl: cell.control ? nil : zip(rate, controlRate).map { $0 - $1 })
                        report.rateInterval = ExperimentStatistics.wilson(cell.conversions, cell.entries)
                        let reached = variantSteps[split]?[name] ?? [:]
                        report.steps = journeySteps.compactMap { step in
                            reached[step.step].map { VariantStepCount(step: step.step, reached: $0) }
                        }
                        if !cell.control, let control {
                            let mine = (cell.conversions, cell.entries)
                            let theirs = (control.conversions, control.entries)
                            report.pointsInterval = ExperimentStatistics.difference(mine, theirs)
                            report.pValue = ExperimentStatistics.pValue(mine, theirs)
                            report.enoughData = ExperimentStatistics.enoughData(mine, theirs)
                        }
                        return report
                    })
            }
        }

        for name in builders.keys {
            builders[name]?.customers = customersPerJourney[name] ?? 0
            builders[name]?.engagement = EngagementStats(journey: name, counters: tally.engagementCounters)
        }
        let journeys = builders.keys.sorted().map { builders[$0]! }
        self.journeys = journeys

        stages = Stage.allCases.compactMap { stage in
            let members = journeys.filter { $0.stage == stage }
            let reached = stageReached[stage] ?? 0
            guard !members.isEmpty || reached > 0 else { return nil }
            return StageReport(
                stage: stage, journeys: members.map(\.journey), entries: members.reduce(0) { $0 + $1.entries },
                customers: stageCustomers[stage] ?? 0, stepsReached: reached,
                sends: members.reduce(0) { $0 + $1.decisions.sent + $1.decisions.fellBack },
                conversions: members.reduce(0) { $0 + $1.conversions })
        }
        self.delivery = delivery
    }
}

/// The counts of a report over some of the customers (each customer in one tally only).
struct ReportTally {
    struct EntryKey: Hashable {
        var customer: String
        var journey: String
        var entry: Int
    }

    let engine: JourneyEngine
    var builders: [String: JourneyReport] = [:]
    var variants: [EntryKey: [VariantAssignment]] = [:]
    var converted: [EntryKey: Double] = [:]
    /// Entries kept out by the global holdout.
    var heldOut: Set<EntryKey> = []
    /// Distinct customers per journey and per stage (a customer is counted once, where it is tallied).
    var customersPerJourney: [String: Int] = [:]
    var stageCustomers: [Stage: Int] = [:]
    var stageReached: [Stage: Int] = [:]
    var delivery = DeliveryReport()
    /// The engagement statistics' counters, as the service keeps them.
    var engagementCounters: [JourneyCounter: Int64] = [:]

    init(engine: JourneyEngine) {
        self.engine = engine
        for program in engine.catalog.journeys { builders[program.name] = JourneyReport(program: program) }
    }

    mutating func add(_ customer: CustomerResult) {
        var enteredJourneys: [String] = []
        var entriesHere: [String: Int] = [:]
        var stagesReached: UInt32 = 0  // bit k: Stage.allCases[k] reached
        // The builder of the previous record's journey, by position (records of one journey come
        // in runs): no hashing of the journey name for every record.
        var cached: (journey: String, index: Dictionary<String, JourneyReport>.Index)?
        for record in customer.timeline {
            let journey = record.journey
            let b: Dictionary<String, JourneyReport>.Index
            if let cached, cached.journey == journey {
                b = cached.index
            } else if let index = builders.index(forKey: journey) {
                b = index
            } else {
                guard let program = engine.heldPrograms.first(where: { $0.name == journey }) else { continue }
                builders[journey] = JourneyReport(program: program)
                b = builders.index(forKey: journey)!
            }
            cached = (journey, b)
            switch record.kind {
            case .entered:
                builders.values[b].entries += 1
                entriesHere[journey, default: 0] += 1
                if !enteredJourneys.contains(journey) { enteredJourneys.append(journey) }
            case .notEntered(_, let reason):
                builders.values[b].notEntered[ReasonText.notEntered(reason), default: 0] += 1
            case .stepReached(let step, let stage):
                builders.values[b].reach(step, stage: stage)
                // After a split: the step counts for the entry's variant(s) too.
                if let assigned = variants[EntryKey(customer: customer.id, journey: journey, entry: record.entrySequence)] {
                    for a in assigned { builders.values[b].variantSteps[a.split, default: [:]][a.variant, default: [:]][step, default: 0] += 1 }
                }
                if let stage {
                    stageReached[stage, default: 0] += 1
                    stagesReached |= 1 << UInt32(Stage.allCases.firstIndex(of: stage)!)
                }
            case .exited(_, .explicit(DryRunReport.globalHoldoutReason)):
                // Kept out by the policy's global holdout: not an entry of the journey, but its
                // conversions are counted apart (the finished instance still records the goal).
                builders.values[b].entries -= 1
                entriesHere[journey, default: 0] -= 1
                builders.values[b].heldOut += 1
                heldOut.insert(EntryKey(customer: customer.id, journey: journey, entry: record.entrySequence))
            case .converted(_, _, _) where heldOut.contains(EntryKey(customer: customer.id, journey: journey, entry: record.entrySequence)):
                builders.values[b].heldOutConversions += 1
            case .exited(let step, let reason):
                builders.values[b].exits[reason.description, default: 0] += 1
                if reason != .completed { builders.values[b].leave(step) }
            case .variantAssigned(let split, let variant, let isControl, _):
                let key = EntryKey(customer: customer.id, journey: journey, entry: record.entrySequence)
                variants[key, default: []].append(VariantAssignment(split: split, variant: variant, isControl: isControl))
            case .converted(_, let time, _):
                converted[EntryKey(customer: customer.id, journey: journey, entry: record.entrySequence)] = time
                builders.values[b].conversions += 1
                builders.values[b].timesToConvert.append(time)
            case .sent(_, let message, let requested, let channel, _, let notes):
                builders.values[b].sends["\(channel.rawValue) \(message)", default: 0] += 1
                if channel != requested {
                    builders.values[b].decisions.fellBack += 1
                    let reason = notes.first.map(ReasonText.summary) ?? "fallback"
                    builders.values[b].decisions.reasons[reason, default: 0] += 1
                    delivery.record(journey: journey, reason: notes.first)
                } else {
                    builders.values[b].decisions.sent += 1
                }
            case .deferred(_, _, _, _, let reason):
                builders.values[b].decisions.deferred += 1
                builders.values[b].decisions.reasons["deferred: \(ReasonText.summary(reason))", default: 0] += 1
                delivery.record(journey: journey, reason: reason)
            case .skipped(_, _, _, let reason):
                builders.values[b].decisions.skipped += 1
                builders.values[b].decisions.reasons["skipped: \(ReasonText.summary(reason))", default: 0] += 1
                delivery.record(journey: journey, reason: reason)
            case .sendCancelled:
                builders.values[b].decisions.cancelled += 1
            case .waiting, .eventReceived, .timedOut, .attributesUpdated, .migrated, .movedByMigration, .held, .resumed, .sendTimeChosen,
                .sendTimeEngagement, .engaged:
                break
            }
        }
        // A customer held out of a journey every time it triggered is not one of its customers.
        for journey in enteredJourneys where entriesHere[journey, default: 0] > 0 { customersPerJourney[journey, default: 0] += 1 }
        for (k, stage) in Stage.allCases.enumerated() where stagesReached & (1 << UInt32(k)) != 0 { stageCustomers[stage, default: 0] += 1 }
        // The service's counters, counted by the same function (docs/engagement.md).
        engagementCounters.merge(EngagementStats.counters(of: customer.timeline), uniquingKeysWith: +)
        for instance in customer.finalState.instances where instance.isActive {
            builders[instance.journey]?.waitingAt(instance.step)
            builders[instance.journey]?.active += 1
        }
    }

    /// Adds the counts of `other`, a tally of customers after this one's.
    mutating func merge(_ other: ReportTally) {
        for (name, report) in other.builders {
            if builders.index(forKey: name) == nil {
                builders[name] = report
            } else {
                builders[name]!.merge(report)
            }
        }
        variants.merge(other.variants) { $0 + $1 }
        converted.merge(other.converted) { _, new in new }
        heldOut.formUnion(other.heldOut)
        customersPerJourney.merge(other.customersPerJourney, uniquingKeysWith: +)
        stageCustomers.merge(other.stageCustomers, uniquingKeysWith: +)
        stageReached.merge(other.stageReached, uniquingKeysWith: +)
        delivery.merge(other.delivery)
        engagementCounters.merge(other.engagementCounters, uniquingKeysWith: +)
    }
}

private func zip(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}

public struct JourneyReport: Sendable {
    public var journey: String
    public var title: String
    public var version: String
    public var stage: Stage?
    public var priority: Int
    public var entries = 0
    /// Distinct customers who entered.
    public var customers = 0
    /// Instances still in the journey when the replay ended.
    public var active = 0
    /// Refused entries by reason.
    public var notEntered: [String: Int] = [:]
    /// The steps in program order (steps only older versions have come last).
    public var steps: [StepReport]
    public var exits: [String: Int] = [:]
    /// Sends made, by `channel message`.
    public var sends: [String: Int] = [:]
    public var decisions = DecisionCounts()
    public var conversions = 0
    /// Triggers of customers in the policy's global holdout (not counted as entries), and how
    /// many of them reached the goal anyway: the baseline marketing is measured against.
    public var heldOut = 0
    public var heldOutConversions = 0
    public var timesToConvert: [Double] = []
    public var experiments: [ExperimentReport] = []
    /// Per-step engagement statistics (the table `GET /v1/journeys/{name}/stats` shows).
    public var engagement: EngagementStats?
    /// Steps reached after a split, per split, variant and step (filled into `experiments`).
    var variantSteps: [String: [String: [String: Int]]] = [:]

    init(program: JourneyProgram) {
        journey = program.name
        title = program.title
        version = program.version
        stage = program.stage
        priority = program.priority
        steps = program.states.map { StepReport(step: $0.label, stage: $0.stage ?? program.stage, kind: $0.kind.reportName) }
    }

    public var conversionRate: Double? { entries > 0 ? Double(conversions) / Double(entries) : nil }

    public var medianTimeToConvert: Double? {
        guard !timesToConvert.isEmpty else { return nil }
        let sorted = timesToConvert.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    mutating func reach(_ step: String, stage: Stage?) {
        if let i = steps.firstIndex(where: { $0.step == step }) {
            steps[i].reached += 1
        } else {
            steps.append(StepReport(step: step, stage: stage, kind: "step", reached: 1))
        }
    }

    mutating func leave(_ step: String) {
        if let i = steps.firstIndex(where: { $0.step == step }) { steps[i].exitedHere += 1 }
    }

    mutating func waitingAt(_ step: String) {
        if let i = steps.firstIndex(where: { $0.step == step }) { steps[i].waiting += 1 }
    }

    /// Adds the counts of `other` (the same journey, tallied over later customers); steps only
    /// `other` has come after this report's, in `other`'s order.
    mutating func merge(_ other: JourneyReport) {
        entries += other.entries
        heldOut += other.heldOut
        heldOutConversions += other.heldOutConversions
        customers += other.customers
        active += other.active
        notEntered.merge(other.notEntered, uniquingKeysWith: +)
        for step in other.steps {
            if let i = steps.firstIndex(where: { $0.step == step.step }) {
                steps[i].reached += step.reached
                steps[i].exitedHere += step.exitedHere
                steps[i].waiting += step.waiting
            } else {
                steps.append(step)
            }
        }
        exits.merge(other.exits, uniquingKeysWith: +)
        sends.merge(other.sends, uniquingKeysWith: +)
        decisions.sent += other.decisions.sent
        decisions.deferred += other.decisions.deferred
        decisions.skipped += other.decisions.skipped
        decisions.fellBack += other.decisions.fellBack
        decisions.cancelled += other.decisions.cancelled
        decisions.reasons.merge(other.decisions.reasons, uniquingKeysWith: +)
        conversions += other.conversions
        timesToConvert.append(contentsOf: other.timesToConvert)
        for (split, variants) in other.variantSteps {
            for (variant, steps) in variants { variantSteps[split, default: [:]][variant, default: [:]].merge(steps, uniquingKeysWith: +) }
        }
    }
}

public struct StepReport: Sendable {
    public var step: String
    public var stage: Stage?
    /// `send`, `update`, `branch`, `split`, `wait`, `exit`.
    public var kind: String
    /// Instances that reached the step.
    public var reached = 0
    /// Instances that left the journey here (exit event or condition, goal, …; not completion).
    public var exitedHere = 0
    /// Instances still waiting here when the replay ended.
    public var waiting = 0

    /// The share of those who reached the step that left the journey here.
    public var dropOff: Double? { reached > 0 ? Double(exitedHere) / Double(reached) : nil }
}

public struct DecisionCounts: Sendable {
    public var sent = 0
    public var deferred = 0
    public var skipped = 0
    public var fellBack = 0
    /// Undecided sends dropped because their instance exited.
    public var cancelled = 0
    /// `skipped: cap marketing_per_day` → count, and so on.
    public var reasons: [String: Int] = [:]
}

public struct ExperimentReport: Sendable {
    public var split: String
    public var variants: [VariantReport]
}

public struct VariantReport: Sendable {
    public var name: String
    public var isControl: Bool
    public var entries: Int
    public var conversions: Int
    public var conversionRate: Double?
    /// Relative uplift of the conversion rate over the control group's (0.25 = +25 %).
    public var upliftVsControl: Double?
    /// Difference in conversion rate against control, as a fraction (0.05 = +5 points).
    public var pointsVsControl: Double?
    /// 95 % interval of the conversion rate (Wilson score).
    public var rateInterval: ClosedRange<Double>?
    /// 95 % interval of `pointsVsControl` (Newcombe); `nil` for the control or without one.
    public var pointsInterval: ClosedRange<Double>?
    /// Two-proportion z-test against the control group.
    public var pValue: Double?
    /// Whether this variant and the control are large enough to tell (see ``ExperimentStatistics``).
    public var enoughData = false
    /// The steps this variant's entries reached after the split, in the journey's step order.
    public var steps: [VariantStepCount] = []
}

public struct VariantStepCount: Sendable, Equatable {
    public var step: String
    public var reached: Int
}

public struct StageReport: Sendable {
    public var stage: Stage
    public var journeys: [String]
    public var entries: Int
    /// Distinct customers who reached a step of this stage.
    public var customers: Int
    public var stepsReached: Int
    public var sends: Int
    public var conversions: Int
}

/// Delivery decisions that blocked, deferred or redirected a send, by journey and rule, and which
/// journey won each conflict (the hook for the delivery policy's conflict matrix).
public struct DeliveryReport: Sendable {
    /// Journey → rule summary → count.
    public var byRule: [String: [String: Int]] = [:]
    /// Losing journey → winning journey → count.
    public var conflicts: [String: [String: Int]] = [:]

    mutating func merge(_ other: DeliveryReport) {
        for (journey, rules) in other.byRule { byRule[journey, default: [:]].merge(rules, uniquingKeysWith: +) }
        for (journey, winners) in other.conflicts { conflicts[journey, default: [:]].merge(winners, uniquingKeysWith: +) }
    }

    mutating func record(journey: String, reason: DecisionReason?) {
        guard let reason else { return }
        byRule[journey, default: [:]][ReasonText.rule(reason), default: 0] += 1
        if let winner = ReasonText.conflictWinner(reason) { conflicts[journey, default: [:]][winner, default: 0] += 1 }
    }
}

extension StateKind {
    var reportName: String {
        switch self {
        case .send: "send"
        case .update: "update"
        case .branch: "branch"
        case .split: "split"
        case .wait: "wait"
        case .exit: "exit"
        }
    }
}
