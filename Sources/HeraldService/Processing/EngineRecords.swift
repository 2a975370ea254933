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

    /// The log entries and counters of `output`'s timeline.
    public init(_ output: EngineOutput) {
        func count(_ record: TimelineRecord, _ step: String, _ metric: String) {
            counters[JourneyCounter(journey: record.journey, version: record.version, step: step, metric: metric), default: 0] += 1
        }
        func log(_ record: TimelineRecord, _ kind: String, _ summary: String) {
            let detail = (try? ValueEncoder.encode(record.kind)) ?? .null
            self.log.append(CustomerLogEntry(at: record.at, kind: kind, journey: record.journey, summary: summary, detail: detail))
        }
        for record in output.timeline {
            switch record.kind {
            case .entered(let trigger):
                count(record, "", "entered")
                log(record, "entered", "entered \(record.journey) on \(trigger)")
            case .notEntered(let trigger, let reason):
                log(record, "not_entered", "did not enter \(record.journey) on \(trigger): \(reason)")
            case .stepReached(let step, _):
                count(record, step, "reached")
            case .sent(let step, let message, let requested, let channel, _, let notes):
                count(record, step, "sent")
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
            case .held(let step):
                count(record, step, "held")
                log(record, "held", "held at \(step): \(record.journey) is paused")
            case .resumed(let step, let heldFor):
                log(record, "resumed", "resumed at \(step) after holding \(DurationText.format(heldFor))")
            case .exited(let step, let reason):
                count(record, step, "exited")
                log(record, "exited", "left \(record.journey) at \(step): \(reason)")
            case .converted(let goal, let time, _):
                count(record, "", "converted")
                log(record, "converted", "reached the goal \(goal) after \(DurationText.format(time))")
            default:
                break
            }
        }
    }
}
