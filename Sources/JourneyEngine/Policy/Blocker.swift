import JourneyLanguage

/// Something that keeps a marketing send from going out at an instant, and the instant it stops
/// doing so. Built without allocating; turned into a `DecisionReason` only for the final decision.
struct Blocker: Sendable {
    enum Kind: Sendable {
        case cap(name: String, count: Int, limit: Int)
        case minimumGap(lastSentAt: Double, gap: Double)
        case conflict(winner: String, winnerPriority: Int)
        case quietHours(channel: Channel, start: LocalTime, end: LocalTime)
    }

    var kind: Kind
    /// When this rule stops blocking (`.infinity` for a cap with limit 0).
    var freesAt: Double

    var isQuietHours: Bool {
        if case .quietHours = kind { return true }
        return false
    }

    var reason: DecisionReason {
        switch kind {
        case .cap(let name, let count, let limit):
            return .capReached(cap: name, count: count, limit: limit, freesAt: freesAt)
        case .minimumGap(let lastSentAt, let gap):
            return .minimumGap(lastSentAt: lastSentAt, gap: gap, allowedAt: freesAt)
        case .conflict(let winner, let winnerPriority):
            return .conflict(winner: winner, winnerPriority: winnerPriority)
        case .quietHours(let channel, let start, let end):
            return .quietHours(channel: channel, start: start, end: end, endsAt: freesAt)
        }
    }

    /// The stricter of two blockers: the one that frees last; on a tie, the first one (rules are
    /// visited in a fixed order: caps as declared, then the minimum gap, then conflicts, then quiet
    /// hours).
    static func stricter(_ a: Blocker?, _ b: Blocker?) -> Blocker? {
        guard let a else { return b }
        guard let b else { return a }
        return b.freesAt > a.freesAt ? b : a
    }
}
