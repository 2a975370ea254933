public import JourneyEngine
import JourneyLanguage

/// What the service keeps of one engine output for inspection (`GET /v1/customers/{id}`) and
/// the per-journey step counters: the engine's timeline turned into customer log entries.
public struct EngineRecords: Sendable {
    public var log: [CustomerLogEntry] = []
    public var counters: [JourneyCounter: Int64] = [:]

    public init(log: [CustomerLogEntry] = [], counters: [JourneyCounter: Int64] = [:]) {
        self.log = log
        self.counters = counters
    }

    /// The log entries and counters of `output`'s timeline; `before` is the customer's state
    /// before the engine ran (it says which variants each instance was already assigned).
    public init(_ output: EngineOutput, before: CustomerState?) { self.init(timeline: output.timeline, before: before) }

    /// The log entries and counters of a timeline (the dry-run's HTML report counts its own with it,
    /// from each customer's whole timeline).
    ///
    /// Every step counter of an instance assigned a variant is also counted per variant
    /// (``variantMetric(_:split:variant:)``: `sent#offer=a`), so the map shows the steps after a
    /// split per variant; `before` gives the assignments made before this timeline.
    public init(timeline: [TimelineRecord], before: CustomerState? = nil) {
        // The variants of each instance (customer, journey, entry) as the timeline goes.
        var assigned: [InstanceKey: [VariantAssignment]] = [:]
        if let before {
            for instance in before.instances where !instance.variants.isEmpty {
                assigned[InstanceKey(before.profile.id, instance.journey, instance.entrySequence)] = instance.variants
            }
        }
        func count(_ record: TimelineRecord, _ step: String, _ metric: String) {
            counters[JourneyCounter(journey: record.journey, version: record.version, step: step, metric: metric), default: 0] += 1
            guard !step.isEmpty, let variants = assigned[InstanceKey(record.customerID, record.journey, record.entrySequence)] else { return }
            for variant in variants {
                let key = JourneyCounter(
                    journey: record.journey, version: record.version, step: step,
                    metric: Self.variantMetric(metric, split: variant.split, variant: variant.variant))
                counters[key, default: 0] += 1
            }
        }
        func log(_ record: TimelineRecord, _ kind: String, _ summary: String) {
            let detail = (try? ValueEncoder.encode(record.kind)) ?? .null
            self.log.append(CustomerLogEntry(at: record.at, kind: kind, journey: record.journey, summary: summary, detail: detail))
        }
        for record in timeline {
            switch record.kind {
            case .entered(let trigger):
                count(record, "", "entered")
                count(record, "", Self.daily("entered", at: record.at))
                log(record, "entered", "entered \(record.journey) on \(trigger)")
            case .notEntered(let trigger, let reason):
                log(record, "not_entered", "did not enter \(record.journey) on \(trigger): \(reason)")
            case .stepReached(let step, _):
                count(record, step, "reached")
            case .sent(let step, let message, let requested, let channel, _, let notes):
                count(record, step, "sent")
                count(record, "", "sent:\(channel.rawValue)")
                if requested != channel { count(record, step, "fell_back") }
                let via = requested == channel ? "" : " instead of \(requested.rawValue)"
                log(record, "decision", "sent \(message) by \(channel.rawValue)\(via)\(notes.isEmpty ? "" : ": \(notes)")")
            case .deferred(let step, let message, let channel, let until, let reason):
                count(record, step, "deferred")
                log(record, "decision", "deferred \(message) by \(channel.rawValue) until \(Value.formatTime(until)): \(reason)")
            case .skipped(let step, let message, let channel, let reason):
                count(record, step, "skipped")
                log(record, "decision", "skipped \(message) by \(channel.rawValue): \(reason)")
            case .sendCancelled(let step, let message, _, let because):
                count(record, step, "cancelled")
                log(record, "decision", "cancelled \(message): \(because)")
            case .sendTimeChosen(let step, let message, let channel, let choice):
                count(record, step, "send_time_chosen")
                log(record, "send_time", SendTimeText.describe(message: message, channel: channel, choice: choice))
            case .sendTimeEngagement(let hour):
                count(record, "", AudienceHours.metric(localHour: hour, at: record.at))
            case .held(let step):
                count(record, step, "held")
                log(record, "held", "held at \(step): \(record.journey) is paused")
            case .resumed(let step, let heldFor):
                log(record, "resumed", "resumed at \(step) after holding \(DurationText.format(heldFor))")
            case .movedByMigration(let fromVersion, let fromStep, let toVersion, let toStep, let kept, let line):
                log(
                    record, "migrated",
                    TimelineKind.movedByMigrationText(
                        fromVersion: fromVersion, fromStep: fromStep, toVersion: toVersion, toStep: toStep, keptDeadline: kept, line: line))
            case .variantAssigned(let split, let variant, let isControl, let winner):
                count(record, "", Self.variantMetric(split: split, variant: variant))
                // The dry-run's words (TimelineText): a decided winner says why it took the customer's place.
                log(record, "variant", "split \(split): variant \(variant)\(isControl ? " (control)" : "")\(winner.map { " (\($0))" } ?? "")")
                if !isControl {
                    // Where a winner rule's period starts: the first assignment (the store keeps the minimum).
                    let first = JourneyCounter(
                        journey: record.journey, version: record.version, metric: JourneyCounter.firstAssignedMetric(split: split))
                    counters[first] = JourneyCounter.combine(counters[first], Int64((record.at * 1_000_000).rounded()), metric: first.metric)
                }
                assigned[InstanceKey(record.customerID, record.journey, record.entrySequence), default: []].append(
                    VariantAssignment(split: split, variant: variant, isControl: isControl))
            case .exited(let step, let reason):
                count(record, step, "exited")
                log(record, "exited", "left \(record.journey) at \(step): \(reason)")
            case .converted(let goal, let time, let variants):
                count(record, "", "converted")
                // Per variant: what the uplift and a split's winner rule are decided from.
                for variant in variants { count(record, "", Self.variantMetric("converted", split: variant.split, variant: variant.variant)) }
                count(record, "", Self.daily("converted", at: record.at))
                counters[JourneyCounter(journey: record.journey, version: record.version, metric: "convert_seconds"), default: 0] +=
                    Int64(max(0, time).rounded())
                count(record, "", ConvertTimeHistogram.metric(seconds: max(0, time)))
                log(record, "converted", "reached the goal \(goal) after \(DurationText.format(time))")
            case .engaged(let e) where e.metric != .sent && e.metric != .converted:
                log(record, "engagement", "\(e.metric.rawValue) \(e.message) (\(e.messageID ?? "no message id"))")
            default:
                break
            }
        }
        counters.merge(EngagementStats.counters(of: timeline), uniquingKeysWith: +)
    }

    /// The journey-wide counter of customers assigned `variant` at the split `split`.
    public static func variantMetric(split: String, variant: String) -> String { "variant:\(split)=\(variant)" }

    /// A step's `metric` counted for the instances assigned `variant` at `split`: `sent#offer=a`.
    /// (Journey-wide, `converted#offer=a` counts the conversions of the variant's instances.)
    public static func variantMetric(_ metric: String, split: String, variant: String) -> String { "\(metric)#\(split)=\(variant)" }

    /// One instance of one customer.
    private struct InstanceKey: Hashable {
        var customer: String
        var journey: String
        var entry: Int
        init(_ customer: String, _ journey: String, _ entry: Int) {
            self.customer = customer
            self.journey = journey
            self.entry = entry
        }
    }

    /// A journey-wide counter for one UTC day (`entered@2026-12-01`): what the console sums for
    /// "today" and "the last 7 days" without scanning customers.
    public static func daily(_ metric: String, at time: Double) -> String {
        let day = Int((time / 86_400).rounded(.down))
        return "\(metric)@\(dayText(day))"
    }

    /// `YYYY-MM-DD` of a day number since 1970-01-01 (UTC, proleptic Gregorian).
    public static func dayText(_ day: Int) -> String { UTCDay.text(day) }

    /// The change in the `waiting` gauge (active instances per journey version and step) from
    /// `before` to `after` (`nil`: no customer, or erased): kept as the engine commits, so the
    /// console reads "waiting now" from a counter instead of scanning customers.
    public static func waitingDelta(before: CustomerState?, after: CustomerState?) -> [JourneyCounter: Int64] {
        var delta: [JourneyCounter: Int64] = [:]
        func add(_ instance: JourneyInstance, _ change: Int64) {
            delta[JourneyCounter(journey: instance.journey, version: instance.version, step: instance.step, metric: "waiting"), default: 0] +=
                change
            for variant in instance.variants {
                let metric = variantMetric("waiting", split: variant.split, variant: variant.variant)
                delta[JourneyCounter(journey: instance.journey, version: instance.version, step: instance.step, metric: metric), default: 0] +=
                    change
            }
        }
        for instance in before?.instances ?? [] where instance.isActive { add(instance, -1) }
        for instance in after?.instances ?? [] where instance.isActive { add(instance, 1) }
        return delta.filter { $0.value != 0 }
    }
}
