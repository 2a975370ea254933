public import JourneyEngine
public import JourneyLanguage

/// Words for the engine's reasons: a short `summary` for report tables (no instants, so that equal
/// rules group together) and a full `explanation` for timelines.
public enum ReasonText {
    public static func summary(_ reason: DecisionReason) -> String {
        switch reason {
        case .capReached(let cap, _, let limit, _): "cap \(cap) (\(limit))"
        case .minimumGap(_, let gap, _): "minimum gap \(DurationText.format(gap))"
        case .quietHours(let channel, let start, let end, _): "quiet hours \(channel.rawValue) \(start)–\(end)"
        case .conflict(let winner, _): "conflict with \(winner)"
        case .noConsent(let channel, let topic): "no consent for \(channel.rawValue)" + (topic.map { " (topic \($0))" } ?? "")
        case .missingContact(let channel): "no \(channel == .sms ? "phone" : channel.rawValue) contact"
        case .deferBoundExpired(let bound, let blockedBy): "defer bound \(DurationText.format(bound)) expired; \(summary(blockedBy))"
        case .duplicate: "duplicate"
        case .fellBack(let from, let because): "fell back from \(from.rawValue): \(summary(because))"
        }
    }

    public static func explanation(_ reason: DecisionReason) -> String {
        switch reason {
        case .capReached(let cap, let count, let limit, let freesAt):
            "cap \(cap) reached (\(count)/\(limit)), frees at \(Value.formatTime(freesAt))"
        case .minimumGap(let last, let gap, let allowed):
            "minimum gap \(DurationText.format(gap)) since the last marketing message at \(Value.formatTime(last)); allowed at \(Value.formatTime(allowed))"
        case .quietHours(let channel, let start, let end, let endsAt):
            "quiet hours for \(channel.rawValue) \(start)–\(end) local, end at \(Value.formatTime(endsAt))"
        case .conflict(let winner, let priority): "lost to \(winner) (priority \(priority)) in the settle window"
        case .noConsent(let channel, let topic):
            "the customer is not subscribed to \(channel.rawValue)" + (topic.map { " (topic \($0))" } ?? "")
        case .missingContact(let channel): "the customer has no \(channel == .sms ? "phone number" : channel == .email ? "email address" : "webhook target")"
        case .deferBoundExpired(let bound, let blockedBy): "still blocked after the \(DurationText.format(bound)) defer bound: \(explanation(blockedBy))"
        case .duplicate(let id): "already sent as \(id)"
        case .fellBack(let from, let because): "fell back from \(from.rawValue) because \(explanation(because))"
        }
    }

    /// The rule a decision is attributed to in the delivery section.
    public static func rule(_ reason: DecisionReason) -> String {
        switch reason {
        case .capReached(let cap, _, _, _): "cap \(cap)"
        case .minimumGap: "minimum gap"
        case .quietHours(let channel, _, _, _): "quiet hours (\(channel.rawValue))"
        case .conflict: "priority conflict"
        case .noConsent(let channel, _): "consent (\(channel.rawValue))"
        case .missingContact(let channel): "missing contact (\(channel.rawValue))"
        case .deferBoundExpired(_, let blockedBy): rule(blockedBy)
        case .duplicate: "duplicate"
        case .fellBack(_, let because): rule(because)
        }
    }

    public static func conflictWinner(_ reason: DecisionReason) -> String? {
        switch reason {
        case .conflict(let winner, _): winner
        case .deferBoundExpired(_, let inner), .fellBack(_, let inner): conflictWinner(inner)
        default: nil
        }
    }

    public static func notEntered(_ reason: NotEnteredReason) -> String {
        switch reason {
        case .alreadyActive: "already active"
        case .onceEver: "entry once"
        case .oncePer(let period, _, _): "entry once per \(DurationText.format(period))"
        case .exitConditionHolds: "exit condition holds"
        }
    }
}
