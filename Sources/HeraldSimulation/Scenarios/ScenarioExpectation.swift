import Foundation
public import JourneyEngine
public import JourneyLanguage

/// One line of a scenario's `expect` list.
///
/// ```
/// send email cart_reminder to c1 at +1h      no send to c2          no send sms to c2
/// 2 sends to c1                              no send to c5 from win_back
/// skipped sms cart_nudge to c3             skipped email digest to c3 from newsletter because conflict
/// deferred email digest to c4 until +9h      deferred sms promo to c4 because quiet hours
/// c1 entered cart_abandonment
/// c2 not entered cart_abandonment            c1 exited cart_abandonment by goal
/// c1 exited by event order.completed         c1 converted in cart_abandonment
/// c3 not converted                           c3 in variant B of subject_line
/// ```
public struct ScenarioExpectation: Sendable, Hashable {
    public var text: String
    public var line: Int
    public var kind: Kind

    public enum Kind: Sendable, Hashable {
        /// A send (or with `count == 0`, none) matching channel/message, optionally at an instant.
        case send(channel: Channel?, message: String?, customer: String, at: Double?, journey: String?, negated: Bool)
        case sendCount(Int, customer: String, journey: String?)
        /// `because` is matched by ``ScenarioExpectation/reason(_:matches:timeZone:)``: a rule
        /// keyword (`conflict`, `cap`, `quiet hours`, …) or a part of the reason's wording.
        case skipped(channel: Channel?, message: String?, customer: String, journey: String? = nil, because: String? = nil)
        case deferred(channel: Channel?, message: String?, customer: String, until: Double? = nil, journey: String? = nil, because: String? = nil)
        case entered(customer: String, journey: String, negated: Bool)
        /// `reason` is matched against ``ExitReason/description`` (`goal`, `completed`,
        /// `event order.completed`, `exit condition`, `exit "why"`), or any reason when `nil`.
        case exited(customer: String, journey: String?, reason: String?)
        case converted(customer: String, journey: String?, negated: Bool)
        case variant(customer: String, variant: String, split: String?)
    }

    public static func parse(_ text: String, start: Double, line: Int) throws -> ScenarioExpectation {
        var words = text.split(separator: " ").map(String.init)
        if words.first == "expect" { words.removeFirst() }
        func fail(_ message: String) -> Message { Message("cannot read expectation \"\(text)\": \(message)") }
        func time(_ word: String) throws -> Double {
            guard let t = ScenarioFile.parseTime(word, start: start) else { throw fail("\"\(word)\" is not a time (+1h, +2d 3h, RFC 3339)") }
            return t
        }
        /// A time that may take several words (`+15d 2m`): the value and the words after it that
        /// continue the duration (a number with a unit, no sign).
        func time(at rest: ArraySlice<String>) throws -> (Double, consumed: Int) {
            var text = rest[rest.startIndex + 1]
            var consumed = 2
            var next = rest.startIndex + 2
            if text.hasPrefix("+") || text.hasPrefix("-") {
                while next < rest.endIndex, let first = rest[next].first, first.isNumber, ScenarioFile.parseDuration(rest[next]) != nil {
                    text += " " + rest[next]
                    next += 1
                    consumed += 1
                }
            }
            return (try time(text), consumed)
        }
        /// `[channel] [message] to <customer>` from `words[i...]`, and what follows.
        func target(_ i: Int) throws -> (Channel?, String?, String, ArraySlice<String>) {
            guard let to = words[i...].firstIndex(of: "to"), to + 1 < words.count else { throw fail("expected `to <customer>`") }
            var between = words[i..<to]
            var channel: Channel?
            if let first = between.first, let c = Channel(rawValue: first) {
                channel = c
                between = between.dropFirst()
            }
            guard between.count <= 1 else { throw fail("expected `[channel] [message] to <customer>`") }
            return (channel, between.first, words[to + 1], words[(to + 2)...])
        }

        guard let first = words.first else { throw fail("it is empty") }
        let kind: Kind
        /// Trailing `at <time>` and `from <journey>` clauses.
        func clauses(_ rest: ArraySlice<String>, allowAt: Bool) throws -> (at: Double?, journey: String?) {
            var at: Double?
            var journey: String?
            var rest = rest
            while let word = rest.first {
                guard rest.count >= 2 else { throw fail("`\(word)` needs a value") }
                let value = rest[rest.startIndex + 1]
                var consumed = 2
                switch word {
                case "at" where allowAt: (at, consumed) = try time(at: rest)
                case "from", "in": journey = value
                default: throw fail("unexpected `\(word)` (expected `at <time>` or `from <journey>`)")
                }
                rest = rest.dropFirst(consumed)
            }
            return (at, journey)
        }
        switch first {
        case "send":
            let (channel, message, customer, rest) = try target(1)
            let (at, journey) = try clauses(rest, allowAt: true)
            kind = .send(channel: channel, message: message, customer: customer, at: at, journey: journey, negated: false)
        case "no" where words.count > 1 && words[1] == "send":
            let (channel, message, customer, rest) = try target(2)
            let (_, journey) = try clauses(rest, allowAt: false)
            kind = .send(channel: channel, message: message, customer: customer, at: nil, journey: journey, negated: true)
        case "skipped", "deferred":
            let (channel, message, customer, rest) = try target(1)
            // Trailing `until <time>` (deferred only), `from <journey>`, `because <reason…>` (the rest of the line).
            var until: Double?
            var journey: String?
            var because: String?
            var remaining = rest
            while let word = remaining.first {
                if word == "because" {
                    because = remaining.dropFirst().joined(separator: " ")
                    guard because?.isEmpty == false else { throw fail("`because` needs a reason (`conflict`, `cap`, `quiet hours`, …)") }
                    break
                }
                guard remaining.count >= 2 else { throw fail("`\(word)` needs a value") }
                let value = remaining[remaining.startIndex + 1]
                var consumed = 2
                switch word {
                case "until" where first == "deferred": (until, consumed) = try time(at: remaining)
                case "from", "in": journey = value
                default:
                    throw fail(
                        "unexpected `\(word)` (expected `\(first == "deferred" ? "until <time>`, `" : "")from <journey>` or `because <reason>`)")
                }
                remaining = remaining.dropFirst(consumed)
            }
            kind =
                first == "skipped"
                ? .skipped(channel: channel, message: message, customer: customer, journey: journey, because: because)
                : .deferred(channel: channel, message: message, customer: customer, until: until, journey: journey, because: because)
        default:
            if let n = Int(first), words.count >= 4, words[1] == "sends" || words[1] == "send", words[2] == "to" {
                let (_, journey) = try clauses(words[4...], allowAt: false)
                kind = .sendCount(n, customer: words[3], journey: journey)
                break
            }
            let customer = first
            let rest = Array(words.dropFirst())
            switch rest.first {
            case "entered" where rest.count == 2:
                kind = .entered(customer: customer, journey: rest[1], negated: false)
            case "not" where rest.count == 3 && rest[1] == "entered":
                kind = .entered(customer: customer, journey: rest[2], negated: true)
            case "exited":
                var journey: String?
                var reason: String?
                if let by = rest.firstIndex(of: "by") {
                    if by == 2 { journey = rest[1] } else if by != 1 { throw fail("expected `exited [journey] by <reason>`") }
                    reason = rest[(by + 1)...].joined(separator: " ")
                    guard reason?.isEmpty == false else {
                        throw fail("`by` needs a reason: goal, completed, event <name>, exit condition, or an exit's words (`exit \"no answer\"`)")
                    }
                    if reason == "exit condition" || reason == "condition" { reason = "exit condition" }
                } else if rest.count == 2 {
                    journey = rest[1]
                } else if rest.count != 1 {
                    throw fail("expected `exited [journey] [by <reason>]`")
                }
                kind = .exited(customer: customer, journey: journey, reason: reason)
            case "converted":
                kind = .converted(customer: customer, journey: rest.count == 3 && rest[1] == "in" ? rest[2] : nil, negated: false)
            case "not" where rest.count >= 2 && rest[1] == "converted":
                kind = .converted(customer: customer, journey: rest.count == 4 && rest[2] == "in" ? rest[3] : nil, negated: true)
            case "in" where rest.count >= 3 && rest[1] == "variant":
                kind = .variant(customer: customer, variant: rest[2], split: rest.count == 5 && rest[3] == "of" ? rest[4] : nil)
            default:
                throw fail(
                    "expected `send …`, `no send …`, `N sends to …`, `skipped …`, `deferred …`, or `<customer> entered|not entered|exited|converted|not converted|in variant …`"
                )
            }
        }
        return ScenarioExpectation(text: text, line: line, kind: kind)
    }

    /// Whether an expectation's `by <reason>` names this exit: its description (`goal`,
    /// `event order.completed`, `exit "no answer"`), or an explicit exit's words with or without
    /// the quotes (`"no answer"`, `no answer`).
    static func exitReason(_ exit: ExitReason, matches wanted: String) -> Bool {
        if exit.description == wanted { return true }
        guard case .explicit(let words) = exit else { return false }
        var bare = wanted
        if bare.hasPrefix("exit ") { bare.removeFirst(5) }
        if bare.count >= 2, bare.first == "\"", bare.last == "\"" { bare = String(bare.dropFirst().dropLast()) }
        return bare == words
    }

    /// Whether `text` (case-insensitive) names the rule of `reason` — `conflict`, `cap`, `cap <name>`,
    /// `minimum gap`, `quiet hours`, `no consent`, `missing contact`, `defer bound expired`,
    /// `duplicate`, `fell back`, `fallback blocked`, or, for a reason that wraps another (a
    /// deferral bound, a fallback), the inner rule too — or is part of its wording
    /// (`won the settle window`, `frees at 2026-03-09T00:00:00-04:00`); backticks are ignored.
    public static func reason(_ reason: DecisionReason, matches text: String, timeZone: String = "UTC") -> Bool {
        // Backticks around names in the policy's wording are optional.
        func plain(_ s: String) -> String { s.lowercased().replacingOccurrences(of: "`", with: "") }
        let wanted = plain(text)
        func keywords(_ r: DecisionReason) -> [String] {
            switch r {
            case .capReached(let cap, _, _, _): ["cap", "cap \(cap)", "cap `\(cap)`"]
            case .minimumGap: ["minimum gap", "gap"]
            case .quietHours: ["quiet hours"]
            case .conflict(let winner, _): ["conflict", "conflict with \(winner)"]
            case .noConsent: ["no consent", "consent"]
            case .missingContact: ["missing contact", "contact"]
            case .suppressed(let s): ["suppressed", "suppression", s.cause.rawValue]
            case .deferBoundExpired(_, let inner): ["defer bound expired", "defer bound", "bound expired"] + keywords(inner)
            case .duplicate: ["duplicate"]
            case .fellBack(_, let because): ["fell back"] + keywords(because)
            case .fallbackBlocked(_, let because, _, let blockedBy): ["fallback blocked"] + keywords(because) + keywords(blockedBy)
            }
        }
        if keywords(reason).map(plain).contains(wanted) { return true }
        return plain(ReasonText.explanation(reason, timeZone: timeZone)).contains(wanted) || plain(ReasonText.summary(reason)).contains(wanted)
    }

    /// The customer the expectation is about (whose timeline a failure shows).
    public var customer: String {
        switch kind {
        case .send(_, _, let c, _, _, _), .sendCount(_, let c, _), .skipped(_, _, let c, _, _), .deferred(_, _, let c, _, _, _),
            .entered(let c, _, _),
            .exited(let c, _, _), .converted(let c, _, _), .variant(let c, _, _):
            c
        }
    }

    /// `nil` when the expectation holds; otherwise what actually happened.
    public func check(_ customer: CustomerResult?, start: Double) -> String? {
        let timeline = customer?.timeline ?? []
        let outbox = customer?.outbox ?? []
        let timeZone = customer?.timeZone ?? "UTC"
        func rel(_ t: Double) -> String {
            let d = t - start
            return d == 0 ? "+0" : (d > 0 ? "+" : "-") + DurationText.format(abs(d)).replacingOccurrences(of: " ", with: "")
        }
        func matches(_ channel: Channel?, _ message: String?, _ c: Channel, _ m: String) -> Bool {
            (channel == nil || channel == c) && (message == nil || message == m)
        }
        let sendList =
            outbox.isEmpty
            ? "no sends" : "sends: " + outbox.map { "\($0.channel.rawValue) \($0.message) at \(rel($0.at)) (\($0.journey))" }.joined(separator: ", ")
        switch kind {
        case .send(let channel, let message, _, let at, let journey, let negated):
            let hits = outbox.filter { matches(channel, message, $0.channel, $0.message) && (journey == nil || $0.journey == journey) }
            if negated { return hits.isEmpty ? nil : sendList }
            if hits.isEmpty { return sendList }
            if let at, !hits.contains(where: { $0.at == at }) { return sendList }
            return nil
        case .sendCount(let n, _, let journey):
            let count = outbox.count { journey == nil || $0.journey == journey }
            return count == n ? nil : "\(count) sends (\(sendList))"
        case .skipped(let channel, let message, _, let journey, let because):
            let skips = timeline.compactMap { r -> DecisionReason? in
                if case .skipped(_, let m, let c, let reason) = r.kind, matches(channel, message, c, m), journey == nil || r.journey == journey {
                    return reason
                }
                return nil
            }
            if skips.isEmpty { return "no matching skipped send (\(sendList))" }
            if let because, !skips.contains(where: { Self.reason($0, matches: because, timeZone: timeZone) }) {
                return "skipped because " + skips.map { ReasonText.explanation($0, timeZone: timeZone) }.joined(separator: "; ")
            }
            return nil
        case .deferred(let channel, let message, _, let until, let journey, let because):
            let defers = timeline.compactMap { r -> (until: Double, reason: DecisionReason)? in
                if case .deferred(_, let m, let c, let u, let reason) = r.kind, matches(channel, message, c, m),
                    journey == nil || r.journey == journey
                {
                    return (u, reason)
                }
                return nil
            }
            if defers.isEmpty { return "no matching deferred send" }
            let hits = defers.filter { d in
                (until == nil || d.until == until) && (because == nil || Self.reason(d.reason, matches: because!, timeZone: timeZone))
            }
            if hits.isEmpty {
                return defers.map { "deferred until \(rel($0.until)) because \(ReasonText.explanation($0.reason, timeZone: timeZone))" }
                    .joined(separator: "; ")
            }
            return nil
        case .entered(_, let journey, let negated):
            let entered = timeline.contains { if case .entered = $0.kind { $0.journey == journey } else { false } }
            if entered != negated { return nil }
            let refusals = timeline.compactMap { r -> String? in
                if case .notEntered(_, let reason) = r.kind, r.journey == journey { return reason.description }
                return nil
            }
            return entered ? "entered \(journey)" : "did not enter \(journey)" + (refusals.isEmpty ? "" : " (\(refusals.joined(separator: "; ")))")
        case .exited(_, let journey, let reason):
            let exits = timeline.compactMap { r -> (String, ExitReason)? in
                if case .exited(_, let why) = r.kind, journey == nil || r.journey == journey { return (r.journey, why) }
                return nil
            }
            if exits.contains(where: { reason == nil || Self.exitReason($0.1, matches: reason!) }) { return nil }
            return exits.isEmpty ? "no exit" : "exits: " + exits.map { "\($0.0) by \($0.1)" }.joined(separator: ", ")
        case .converted(_, let journey, let negated):
            let conversions = timeline.filter { if case .converted = $0.kind { journey == nil || $0.journey == journey } else { false } }
            if conversions.isEmpty == negated { return nil }
            return conversions.isEmpty ? "no conversion" : "converted in " + conversions.map(\.journey).joined(separator: ", ")
        case .variant(_, let variant, let split):
            let assigned = timeline.compactMap { r -> String? in
                if case .variantAssigned(let s, let v, _, _) = r.kind, split == nil || s == split { return v }
                return nil
            }
            return assigned.contains(variant) ? nil : (assigned.isEmpty ? "no variant assigned" : "variant " + assigned.joined(separator: ", "))
        }
    }
}
