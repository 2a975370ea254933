import JourneyLanguage

extension DecisionReason: CustomStringConvertible {
    /// The reason for a person, instants in UTC. Prefer `description(timeZone:)` with the
    /// customer's zone.
    public var description: String { description(timeZone: "UTC") }

    /// The reason for a person, with instants in `timeZone` (an IANA identifier):
    ///
    /// ```swift
    /// DecisionReason.capReached(cap: "marketing_per_day", count: 3, limit: 3, freesAt: 1_795_474_800)
    ///     .description(timeZone: "Europe/Berlin")
    /// // "cap `marketing_per_day` reached (3/3), frees at 2026-11-24T00:00:00+01:00"
    /// ```
    public func description(timeZone: String) -> String {
        describe(in: LocalCalendar(identifier: timeZone))
    }

    func describe(in calendar: LocalCalendar) -> String {
        switch self {
        case .capReached(let cap, let count, let limit, let freesAt):
            let frees = freesAt.isFinite ? "frees at \(calendar.iso8601(freesAt))" : "never frees"
            return "cap `\(cap)` reached (\(count)/\(limit)), \(frees)"
        case .minimumGap(let lastSentAt, let gap, let allowedAt):
            return "minimum gap of \(Duration.text(gap)) between marketing messages "
                + "(last sent at \(calendar.iso8601(lastSentAt))), allowed at \(calendar.iso8601(allowedAt))"
        case .quietHours(let channel, let start, let end, let endsAt):
            return "quiet hours \(start)–\(end) for \(channel.rawValue), end at \(calendar.iso8601(endsAt))"
        case .conflict(let winner, let winnerPriority):
            let priority = winnerPriority == .max ? "" : " (priority \(winnerPriority))"
            return "journey `\(winner)`\(priority) won the settle window"
        case .noConsent(let channel, let topic?):
            return "no consent for topic `\(topic)` (requested on \(channel.rawValue))"
        case .noConsent(let channel, nil):
            return "no consent for \(channel.rawValue)"
        case .missingContact(let channel):
            switch channel {
            case .email: return "no email address for email"
            case .sms: return "no phone number for sms"
            case .webhook: return "no webhook contact"
            }
        case .suppressed(let s):
            let message = s.messageID.map { " of message \($0)" } ?? ""
            let day = String(calendar.iso8601(s.at).prefix(10))
            switch s.cause {
            case .hardBounce, .complaint:
                return "\(s.channel.rawValue) address suppressed after \(s.cause.rawValue)\(message) on \(day)"
            case .unsubscribed, .stop:
                let what = s.topic.map { "topic `\($0)`" } ?? s.channel.rawValue
                return "unsubscribed from \(what) by \(s.cause.rawValue)\(message) on \(day)"
            }
        case .deferBoundExpired(let bound, let blockedBy):
            return "not allowed within the \(Duration.text(bound)) defer bound: \(blockedBy.describe(in: calendar))"
        case .duplicate(let requestID):
            return "request `\(requestID)` was already sent"
        case .fellBack(let from, let because):
            return "fell back from \(from.rawValue): \(because.describe(in: calendar))"
        case .fallbackBlocked(let from, let because, let fallback, let blockedBy):
            return "\(from.rawValue): \(because.describe(in: calendar)); "
                + "fallback \(fallback.rawValue): \(blockedBy.describe(in: calendar))"
        }
    }

    /// Durations as a person writes them: `45s`, `90m` → `1h30m`, `1d`, `1d6h`.
    enum Duration {
        static func text(_ seconds: Double) -> String {
            guard seconds.isFinite else { return "∞" }
            var rest = Int(seconds.rounded())
            if rest == 0 { return "0s" }
            var text = rest < 0 ? "-" : ""
            rest = abs(rest)
            for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
                text += "\(rest / size)\(unit)"
                rest %= size
            }
            return text
        }
    }
}

extension DeliveryDecision: CustomStringConvertible {
    /// The decision for a person, instants in UTC.
    public var description: String { description(timeZone: "UTC") }

    /// The decision for a person, instants in `timeZone`:
    /// `send on email (fell back from sms: no consent for sms)`,
    /// `deferred until 2026-03-09T08:00:00-04:00: quiet hours 21:00–08:00 for sms, …`,
    /// `skipped: cap `marketing_per_day` reached (3/3), …`.
    public func description(timeZone: String) -> String {
        let calendar = LocalCalendar(identifier: timeZone)
        switch self {
        case .send(let channel, let notes):
            if notes.isEmpty { return "send on \(channel.rawValue)" }
            return "send on \(channel.rawValue) (" + notes.map { $0.describe(in: calendar) }.joined(separator: "; ") + ")"
        case .deferred(let until, let reason):
            return "deferred until \(calendar.iso8601(until)): \(reason.describe(in: calendar))"
        case .skipped(let reason):
            return "skipped: \(reason.describe(in: calendar))"
        }
    }
}
