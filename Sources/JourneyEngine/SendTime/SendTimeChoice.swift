public import JourneyLanguage

/// The instant `at best time within …` chose for one send, and why: what the timeline records in
/// both worlds, in the same words (``description``).
public struct SendTimeChoice: Sendable, Hashable, Codable, CustomStringConvertible {
    /// When the send is requested (the policy decides it after the settle window, as any send).
    public var at: Double
    /// The local time of `at` (the chosen hour, or the window start's own minute).
    public var localTime: LocalTime
    public var basis: Basis

    public enum Basis: Sendable, Hashable, Codable {
        /// The customer's own histogram: the hour with the most decayed engagement in the window.
        case customer(opens: Int, clicks: Int)
        /// The journey's audience-wide best hour in the window (from `audience` engagements in the
        /// 28 UTC days before); `history` is the customer's own count.
        case journey(history: Int, audience: Int64, outsideWindow: Bool)
        /// The send's declared `default HH:MM`.
        case defaultTime(history: Int, outsideWindow: Bool)
        /// The start of the window (the send goes out at once).
        case windowStart(history: Int, outsideWindow: Bool)
    }

    public init(at: Double, localTime: LocalTime, basis: Basis) {
        self.at = at
        self.localTime = localTime
        self.basis = basis
    }

    /// "best hour 19:00 local, from 14 clicks" · "too little history (2 engagements): journey's
    /// best hour 10:00" · "no history: window start 09:00".
    public var description: String {
        func fallback(_ history: Int, _ outsideWindow: Bool) -> String {
            if outsideWindow { return "no engagement inside the window (\(Self.count(history, "engagement")) at other hours)" }
            if history == 0 { return "no history" }
            return "too little history (\(Self.count(history, "engagement")))"
        }
        switch basis {
        case .customer(let opens, let clicks):
            let from =
                opens == 0
                ? Self.count(clicks, "click")
                : clicks == 0 ? Self.count(opens, "open") : "\(Self.count(opens, "open")) and \(Self.count(clicks, "click"))"
            return "best hour \(localTime) local, from \(from)"
        case .journey(let history, _, let outside): return "\(fallback(history, outside)): journey's best hour \(localTime)"
        case .defaultTime(let history, let outside): return "\(fallback(history, outside)): default \(localTime)"
        case .windowStart(let history, let outside): return "\(fallback(history, outside)): window start \(localTime)"
        }
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}

/// The one line both worlds print for a send-time choice (the dry-run's timeline and the
/// service's customer log): `email weekly at 2026-12-01T18:00:00Z: best hour 19:00 local, from 14 clicks`.
public enum SendTimeText {
    public static func describe(message: String, channel: Channel, choice: SendTimeChoice) -> String {
        "send time for \(channel.rawValue) \(message): \(Value.formatTime(choice.at)) (\(choice))"
    }
}
