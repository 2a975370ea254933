import JourneyEngine
import JourneyLanguage

/// `herald replay`'s output: the difference per journey and step, as text or JSON.
public struct ReplayRenderer: Sendable {
    public var result: ReplayResult
    /// What the two sets were called on the command line.
    public var baseName: String
    public var candidateName: String

    public init(result: ReplayResult, baseName: String, candidateName: String) {
        self.result = result
        self.baseName = baseName
        self.candidateName = candidateName
    }

    // MARK: Text

    public func text() -> String {
        let d = result.difference
        var out = "Replay of \(result.log): \(result.inputCount) input(s) from \(d.customers) customer(s)"
        if let from = result.from { out += ", \(Value.formatTime(from)) to \(Value.formatTime(result.until))" }
        if let horizon = result.horizonAfterLastInput {
            out += " (timers fired until \(DurationText.format(horizon)) after the last input)"
        } else {
            out += " (timers fired until --until)"
        }
        out += "\nbase: \(baseName)   candidate: \(candidateName)\n"
        out += "sends: \(d.baseSends) in the base, \(d.candidateSends) in the candidate\n\n"
        if d.isEmpty {
            out += "No difference: the candidate sends exactly what the base sends, to the same customers, at the same times, on the same channels.\n"
        } else {
            for journey in d.changedJourneys {
                out += "journey \(journey)\n"
                for (key, change) in d.steps.filter({ $0.key.journey == journey && !$0.value.isEmpty }).sorted(by: { $0.key < $1.key }) {
                    out += "  \(key.step): " + Self.describe(change) + "\n"
                }
                if let n = d.differentPaths[journey], n > 0 { out += "  \(n) customer(s) took a different path\n" }
            }
            out += "\n\(d.customersWithChangedSends) customer(s) with changed sends, \(d.customersWithDifferentPath) with a different path"
            out += " (of \(d.customers)); for example: \(d.sample.joined(separator: ", "))\n"
            out += "See one with --customer ID.\n"
        }
        if let customer = result.customer { out += "\n" + Self.sideBySide(customer) }
        return out
    }

    static func describe(_ c: ReplayDifference.StepChange) -> String {
        var parts: [String] = []
        if c.added > 0 { parts.append("+\(c.added) added") }
        if c.removed > 0 { parts.append("-\(c.removed) removed") }
        if c.moved > 0 {
            var moved = "~\(c.moved) moved by \(Self.shift(c.averageShift)) on average"
            if c.shiftMin != c.shiftMax { moved += " (\(Self.shift(c.shiftMin)) to \(Self.shift(c.shiftMax)))" }
            parts.append(moved)
        }
        if c.channelChanged > 0 {
            let ways = c.channelChanges.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            parts.append("\(c.channelChanged) on another channel (\(ways))")
        }
        if c.unchanged > 0 { parts.append("\(c.unchanged) unchanged") }
        return parts.joined(separator: "; ")
    }

    static func shift(_ seconds: Double) -> String { (seconds < 0 ? "-" : "+") + DurationText.format(seconds) }

    /// The customer's two timelines in two columns.
    static func sideBySide(_ c: CustomerComparison) -> String {
        func lines(_ run: CustomerReplay) -> [String] {
            run.timeline.compactMap { record in
                guard let text = TimelineText.describe(record.kind) else { return nil }
                let who = record.entrySequence > 0 ? "\(record.journey)#\(record.entrySequence)" : record.journey
                return "\(Value.formatTime(record.at))  \(who)  \(text)"
            }
        }
        let left = lines(c.base)
        let right = lines(c.candidate)
        let width = max(40, min(90, (left.map(\.count).max() ?? 0)))
        func pad(_ s: String) -> String {
            let cut = s.count > width ? String(s.prefix(width - 1)) + "…" : s
            return cut + String(repeating: " ", count: width - cut.count)
        }
        var out =
            "customer \(c.id)\n" + pad("base") + " | candidate\n" + String(repeating: "-", count: width) + "-+-" + String(repeating: "-", count: 40)
            + "\n"
        for k in 0..<max(left.count, right.count) {
            let l = k < left.count ? left[k] : ""
            let r = k < right.count ? right[k] : ""
            out += pad(l) + (l == r ? " | " : " ≠ ") + r + "\n"
        }
        return out
    }

    // MARK: JSON

    public func json() -> String { document().rendered() + "\n" }

    public func document() -> JSONNode {
        let d = result.difference
        var journeys: [JSONNode] = []
        for journey in Set(d.steps.keys.map(\.journey)).union(d.differentPaths.keys).sorted() {
            let steps = d.steps.filter { $0.key.journey == journey && !$0.value.isEmpty }.sorted { $0.key < $1.key }
            let paths = d.differentPaths[journey] ?? 0
            guard !steps.isEmpty || paths > 0 else { continue }
            journeys.append(
                .object([
                    ("journey", .string(journey)),
                    ("customers_with_different_path", .int(paths)),
                    ("steps", .array(steps.map { Self.step($0.key.step, $0.value) })),
                ]))
        }
        var fields: [(String, JSONNode)] = [
            ("log", .string(result.log)), ("inputs", .int(result.inputCount)), ("base", .string(baseName)), ("candidate", .string(candidateName)),
            ("from", result.from.map(JSONNode.time) ?? .null), ("last_input", result.lastInput.map(JSONNode.time) ?? .null),
            ("until", .time(result.until)), ("horizon_after_last_input", result.horizonAfterLastInput.map(JSONNode.number) ?? .null),
            ("changed", .bool(!d.isEmpty)), ("customers", .int(d.customers)), ("customers_with_changed_sends", .int(d.customersWithChangedSends)),
            ("customers_with_different_path", .int(d.customersWithDifferentPath)), ("base_sends", .int(d.baseSends)),
            ("candidate_sends", .int(d.candidateSends)), ("journeys", .array(journeys)), ("sample_customers", .array(d.sample.map(JSONNode.string))),
        ]
        if let c = result.customer {
            fields.append(
                ("customer", .object([("id", .string(c.id)), ("base", Self.run(c.base)), ("candidate", Self.run(c.candidate))])))
        }
        return .object(fields)
    }

    static func step(_ name: String, _ c: ReplayDifference.StepChange) -> JSONNode {
        .object([
            ("step", .string(name)), ("added", .int(c.added)), ("removed", .int(c.removed)), ("moved", .int(c.moved)),
            ("shift_average", c.moved == 0 ? .null : .number(c.averageShift)), ("shift_min", c.moved == 0 ? .null : .number(c.shiftMin)),
            ("shift_max", c.moved == 0 ? .null : .number(c.shiftMax)), ("channel_changed", .int(c.channelChanged)),
            ("channel_changes", .sorted(c.channelChanges.mapValues(JSONNode.int))), ("unchanged", .int(c.unchanged)),
        ])
    }

    static func run(_ r: CustomerReplay) -> JSONNode {
        .object([
            (
                "sends",
                .array(
                    r.outbox.map {
                        .object([
                            ("at", .time($0.at)), ("journey", .string($0.journey)), ("step", .string($0.step)),
                            ("channel", .string($0.channel.rawValue)),
                            ("message", .string($0.message)), ("id", .string($0.id)),
                        ])
                    })
            ),
            (
                "timeline",
                .array(
                    r.timeline.compactMap { record in
                        TimelineText.describe(record.kind).map {
                            .object([("at", .time(record.at)), ("journey", .string(record.journey)), ("text", .string($0))])
                        }
                    })
            ),
        ])
    }
}
