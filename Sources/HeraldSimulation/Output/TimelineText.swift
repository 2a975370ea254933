public import JourneyEngine
public import JourneyLanguage

/// One line per timeline record, for people.
public enum TimelineText {
    /// The record as words, or `nil` for records timelines leave out (`stepReached`; reports count those).
    /// Instants inside reasons are written in `timeZone`.
    public static func describe(_ kind: TimelineKind, timeZone: String = "UTC") -> String? {
        switch kind {
        case .entered(let trigger): "entered (\(trigger))"
        case .notEntered(let trigger, let reason): "not entered (\(trigger)): \(reason)"
        case .stepReached: nil
        case .waiting(let step, let until, let event):
            if let event {
                "at \(step): waiting for \(event) until \(Value.formatTime(until))"
            } else {
                "at \(step): waiting until \(Value.formatTime(until))"
            }
        case .eventReceived(let step, let event): "at \(step): received \(event)"
        case .timedOut(let step): "at \(step): timed out"
        case .variantAssigned(let split, let variant, let isControl, let winner):
            "split \(split): variant \(variant)\(isControl ? " (control)" : "")\(winner.map { " (\($0))" } ?? "")"
        case .attributesUpdated(let step, let attributes): "at \(step): updated \(attributes.joined(separator: ", "))"
        case .sent(_, let message, let requested, let channel, let id, let notes):
            if channel != requested {
                "sent \(channel.rawValue) \(message) [\(id)] — fell back from \(requested.rawValue): \(notes.map { ReasonText.explanation(ReasonText.fallbackCause($0), timeZone: timeZone) }.joined(separator: "; "))"
            } else {
                "sent \(channel.rawValue) \(message) [\(id)]"
            }
        case .deferred(_, let message, let channel, let until, let reason):
            "deferred \(channel.rawValue) \(message) until \(Value.formatTime(until)): \(ReasonText.explanation(reason, timeZone: timeZone))"
        case .skipped(_, let message, let channel, let reason):
            "skipped \(channel.rawValue) \(message): \(ReasonText.explanation(reason, timeZone: timeZone))"
        case .sendCancelled(_, let message, let channel, let reason): "cancelled \(channel.rawValue) \(message): instance exited (\(reason))"
        case .exited(let step, let reason): "exited at \(step): \(reason)"
        case .converted(let goal, let time, let variants):
            "converted (\(goal)) after \(DurationText.format(time))"
                + (variants.isEmpty ? "" : " in " + variants.map { "\($0.split)=\($0.variant)" }.joined(separator: ", "))
        case .migrated(let from, let to, let step): "moved from version \(from.prefix(12)) to \(to.prefix(12)) at \(step)"
        case .movedByMigration(let fromVersion, let fromStep, let toVersion, let toStep, let kept, let line):
            TimelineKind.movedByMigrationText(
                fromVersion: fromVersion, fromStep: fromStep, toVersion: toVersion, toStep: toStep, keptDeadline: kept, line: line)
        case .held(let step): "held at \(step): the journey is paused"
        case .engaged(let e):
            // Sends and conversions have their own lines.
            e.metric == .sent || e.metric == .converted
                ? nil : "\(e.metric.rawValue) \(e.channel?.rawValue ?? "") \(e.message) [\(e.messageID ?? "")]"
        case .resumed(let step, let heldFor): "resumed at \(step) after holding \(DurationText.format(heldFor))"
        case .sendTimeChosen(_, let message, let channel, let choice): SendTimeText.describe(message: message, channel: channel, choice: choice)
        case .sendTimeEngagement: nil
        }
    }

    /// `2026-03-02T11:00:00Z 12:00 local  cart_abandonment#1  sent email cart_reminder [...]`
    public static func line(_ record: TimelineRecord, timeZone: String) -> String? {
        guard let text = describe(record.kind, timeZone: timeZone) else { return nil }
        var local = ""
        if let zone = LocalClock.zone(timeZone) {
            let minutes = Int(LocalClock.localDay(of: record.at, in: zone).secondsOfDay / 60)
            local = LocalTime(hour: minutes / 60, minute: minutes % 60).description
        }
        let who = record.entrySequence > 0 ? "\(record.journey)#\(record.entrySequence)" : record.journey
        return "\(Value.formatTime(record.at)) \(local) local  \(who)  \(text)"
    }

    /// Every line of one customer's timeline, each in the zone in force at its instant.
    public static func lines(_ customer: CustomerResult) -> [String] {
        customer.timeline.compactMap { line($0, timeZone: customer.timeZone(at: $0.at)) }
    }
}
