import Foundation
public import JourneyEngine
public import JourneyLanguage

/// One line of a scenario's `expect` list.
///
/// ```
/// send email cart_reminder to c1 at +1h      no send to c2          no send sms to c2
/// 2 sends to c1                              no send to c5 from win_back
/// skipped sms cart_nudge to c3
/// deferred email digest to c4 until +9h      c1 entered cart_abandonment
/// c2 not entered cart_abandonment            c1 exited cart_abandonment by goal
/// c1 exited by event order.completed         c1 converted in cart_abandonment
/// c3 not converted                           c3 in variant B of subject_line
/// ```
public struct Expectation: Sendable, Hashable {
    public var text: String
    public var line: Int
    public var kind: Kind

    public enum Kind: Sendable, Hashable {
        /// A send (or with `count == 0`, none) matching channel/message, optionally at an instant.
        case send(channel: Channel?, message: String?, customer: String, at: Double?, journey: String?, negated: Bool)
        case sendCount(Int, customer: String, journey: String?)
        case skipped(channel: Channel?, message: String?, customer: String)
        case deferred(channel: Channel?, message: String?, customer: String, until: Double?)
        case entered(customer: String, journey: String, negated: Bool)
        /// `reason` is matched against ``ExitReason/description`` (`goal`, `completed`,
        /// `event order.completed`, `exit condition`, `exit "why"`), or any reason when `nil`.
        case exited(customer: String, journey: String?, reason: String?)
        case converted(customer: String, journey: String?, negated: Bool)
        case variant(customer: String, variant: String, split: String?)
    }

    public static func parse(_ text: String, start: Double, line: Int) throws -> Expectation {
        var words = text.split(separator: " ").map(String.init)
        if words.first == "expect" { words.removeFirst() }
        func fail(_ message: String) -> Message { Message("cannot read expectation \"\(text)\": \(message)") }
        func time(_ word: String) throws -> Double {
            guard let t = ScenarioFile.parseTime(word, start: start) else { throw fail("\"\(word)\" is not a time (+1h, +2d, RFC 3339)") }
            return t
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
                switch word {
                case "at" where allowAt: at = try time(value)
                case "from", "in": journey = value
                default: throw fail("unexpected `\(word)` (expected `at <time>` or `from <journey>`)")
                }
                rest = rest.dropFirst(2)
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
        case "skipped":
            let (channel, message, customer, _) = try target(1)
            kind = .skipped(channel: channel, message: message, customer: customer)
        case "deferred":
            let (channel, message, customer, rest) = try target(1)
            var until: Double?
            if rest.first == "until", rest.count == 2 { until = try time(rest.last!) }
            kind = .deferred(channel: channel, message: message, customer: customer, until: until)
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
                throw fail("expected `send …`, `no send …`, `N sends to …`, `skipped …`, `deferred …`, or `<customer> entered|not entered|exited|converted|not converted|in variant …`")
            }
        }
        return Expectation(text: text, line: line, kind: kind)
    }

    /// The customer the expectation is about (whose timeline a failure shows).
    public var customer: String {
        switch kind {
        case .send(_, _, let c, _, _, _), .sendCount(_, let c, _), .skipped(_, _, let c), .deferred(_, _, let c, _), .entered(let c, _, _),
            .exited(let c, _, _), .converted(let c, _, _), .variant(let c, _, _):
            c
        }
    }

    /// `nil` when the expectation holds; otherwise what actually happened.
    public func check(_ customer: CustomerResult?, start: Double) -> String? {
        let timeline = customer?.timeline ?? []
        let outbox = customer?.outbox ?? []
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
        case .skipped(let channel, let message, _):
            let skips = timeline.compactMap { r -> String? in
                if case .skipped(_, let m, let c, let reason) = r.kind { return matches(channel, message, c, m) ? ReasonText.explanation(reason) : nil }
                return nil
            }
            return skips.isEmpty ? "no matching skipped send (\(sendList))" : nil
        case .deferred(let channel, let message, _, let until):
            let defers = timeline.compactMap { r -> Double? in
                if case .deferred(_, let m, let c, let u, _) = r.kind, matches(channel, message, c, m) { return u }
                return nil
            }
            if defers.isEmpty { return "no matching deferred send" }
            if let until, !defers.contains(until) { return "deferred until " + defers.map(rel).joined(separator: ", ") }
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
            if exits.contains(where: { reason == nil || $0.1.description == reason || "\($0.1)" == "exit \"\(reason!)\"" }) { return nil }
            return exits.isEmpty ? "no exit" : "exits: " + exits.map { "\($0.0) by \($0.1)" }.joined(separator: ", ")
        case .converted(_, let journey, let negated):
            let conversions = timeline.filter { if case .converted = $0.kind { journey == nil || $0.journey == journey } else { false } }
            if conversions.isEmpty == negated { return nil }
            return conversions.isEmpty ? "no conversion" : "converted in " + conversions.map(\.journey).joined(separator: ", ")
        case .variant(_, let variant, let split):
            let assigned = timeline.compactMap { r -> String? in
                if case .variantAssigned(let s, let v, _) = r.kind, split == nil || s == split { return v }
                return nil
            }
            return assigned.contains(variant) ? nil : (assigned.isEmpty ? "no variant assigned" : "variant " + assigned.joined(separator: ", "))
        }
    }
}
