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
        case .suppressed(let s): "\(s.channel.rawValue) suppressed (\(s.cause.rawValue))"
        case .deferBoundExpired(let bound, let blockedBy): "defer bound \(DurationText.format(bound)) expired; \(summary(blockedBy))"
        case .duplicate: "duplicate"
        case .fellBack(let from, let because): "fell back from \(from.rawValue): \(summary(because))"
        case .fallbackBlocked(let from, let because, let fallback, let blockedBy):
            "\(from.rawValue): \(summary(because)); fallback \(fallback.rawValue): \(summary(blockedBy))"
        }
    }

    /// The policy's own wording, instants in the customer's zone.
    public static func explanation(_ reason: DecisionReason, timeZone: String = "UTC") -> String {
        reason.description(timeZone: timeZone)
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
        case .suppressed(let s): "suppression (\(s.channel.rawValue))"
        case .deferBoundExpired(_, let blockedBy): rule(blockedBy)
        case .duplicate: "duplicate"
        case .fellBack(_, let because): rule(because)
        case .fallbackBlocked(_, let because, _, _): rule(because)
        }
    }

    /// Why a fallback happened: the reason inside a `fellBack` note (the line already says
    /// which channel it fell back from), any other note as it is.
    public static func fallbackCause(_ reason: DecisionReason) -> DecisionReason {
        if case .fellBack(_, let because) = reason { return because }
        return reason
    }

    public static func conflictWinner(_ reason: DecisionReason) -> String? {
        switch reason {
        case .conflict(let winner, _): winner
        case .deferBoundExpired(_, let inner), .fellBack(_, let inner), .fallbackBlocked(_, let inner, _, _): conflictWinner(inner)
        default: nil
        }
    }

    public static func notEntered(_ reason: NotEnteredReason) -> String {
        switch reason {
        case .alreadyActive: "already active"
        case .onceEver: "entry once"
        case .oncePer(let period, _, _): "entry once per \(DurationText.format(period))"
        case .exitConditionHolds: "exit condition holds"
        case .journeyPaused: "journey paused"
        }
    }
}
