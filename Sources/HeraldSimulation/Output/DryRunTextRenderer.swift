import Foundation
public import JourneyEngine
public import JourneyLanguage

/// The dry-run for people: summary, input issues, timelines, then the report.
public struct DryRunTextRenderer {
    public var result: DryRunResult
    /// Print only this customer's timeline (the report still covers everyone).
    public var customer: String?
    public var showTimelines: Bool

    public init(result: DryRunResult, customer: String? = nil, showTimelines: Bool = true) {
        self.result = result
        self.customer = customer
        self.showTimelines = showTimelines
    }

    public func render() -> String {
        var out: [String] = []
        let sends = result.customers.reduce(0) { $0 + $1.outbox.count }
        out.append(
            "Dry run \(Value.formatTime(result.from)) → \(Value.formatTime(result.until)) · \(result.customers.count) customers · "
                + "\(result.eventCount) events · \(sends) sends · seed \(result.seed)")
        for issue in result.issues { out.append("\(issue) (line skipped)") }
        for note in result.notes { out.append("note: \(note)") }

        if showTimelines {
            out.append("")
            out.append("== Timelines ==")
            for c in result.customers where customer == nil || c.id == customer {
                let lines = TimelineText.lines(c)
                if lines.isEmpty && customer == nil { continue }
                out.append("")
                out.append("\(c.id) (\(c.timeZone), \(c.eventCount) events)")
                out.append(contentsOf: lines.map { "  " + $0 })
                if lines.isEmpty { out.append("  (nothing happened)") }
            }
            if let customer, result.customer(customer) == nil { out.append("no customer \(customer) in the input") }
        }

        let report = result.report
        out.append("")
        out.append("== Journeys ==")
        for j in report.journeys { out.append(contentsOf: render(j)) }
        out.append("")
        out.append("== Stages ==")
        out.append(
            Self.table(
                ["stage", "journeys", "entries", "customers", "steps reached", "sends", "conversions"],
                report.stages.map {
                    [
                        $0.stage.rawValue, "\($0.journeys.count)", "\($0.entries)", "\($0.customers)", "\($0.stepsReached)", "\($0.sends)",
                        "\($0.conversions)",
                    ]
                }))
        if !report.delivery.byRule.isEmpty {
            out.append("")
            out.append("== Delivery ==")
            for journey in report.delivery.byRule.keys.sorted() {
                let rules = report.delivery.byRule[journey]!
                out.append("  \(journey): " + rules.keys.sorted().map { "\($0) \(rules[$0]!)" }.joined(separator: " · "))
            }
            if !report.delivery.conflicts.isEmpty {
                out.append("  conflicts (blocked journey ← winning journey):")
                for loser in report.delivery.conflicts.keys.sorted() {
                    let winners = report.delivery.conflicts[loser]!
                    out.append("    \(loser) ← " + winners.keys.sorted().map { "\($0) \(winners[$0]!)" }.joined(separator: ", "))
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func render(_ j: JourneyReport) -> [String] {
        var out: [String] = [""]
        out.append("\(j.journey) \"\(j.title)\" · stage \(j.stage?.rawValue ?? "-") · priority \(j.priority) · version \(j.version.prefix(12))")
        var entries = "  entries \(j.entries) (\(j.customers) customers)"
        if j.active > 0 { entries += " · still active \(j.active)" }
        if !j.notEntered.isEmpty {
            entries += " · not entered " + j.notEntered.keys.sorted().map { "\($0) \(j.notEntered[$0]!)" }.joined(separator: ", ")
        }
        out.append(entries)
        let rows = j.steps.filter { $0.reached > 0 || $0.kind != "exit" }.map { s in
            [s.step, s.kind, s.stage?.rawValue ?? "-", "\(s.reached)", "\(s.exitedHere)", s.dropOff.map(Self.percent) ?? "-", "\(s.waiting)"]
        }
        out.append(Self.table(["step", "kind", "stage", "reached", "left here", "drop-off", "waiting"], rows, indent: "    "))
        if !j.exits.isEmpty { out.append("  exits: " + j.exits.keys.sorted().map { "\($0) \(j.exits[$0]!)" }.joined(separator: " · ")) }
        if !j.sends.isEmpty { out.append("  sends: " + j.sends.keys.sorted().map { "\($0) \(j.sends[$0]!)" }.joined(separator: " · ")) }
        let d = j.decisions
        out.append("  decisions: sent \(d.sent) · fell back \(d.fellBack) · deferred \(d.deferred) · skipped \(d.skipped) · cancelled \(d.cancelled)")
        for reason in d.reasons.keys.sorted() { out.append("    \(reason): \(d.reasons[reason]!)") }
        var conversions = "  conversions: \(j.conversions) of \(j.entries) entries"
        if let rate = j.conversionRate { conversions += " (\(Self.percent(rate)))" }
        if let median = j.medianTimeToConvert { conversions += " · median time to convert \(DurationText.format(median))" }
        out.append(conversions)
        if j.heldOut > 0 {
            // The policy's global holdout: customers kept out of marketing, converting on their own.
            let rate = Double(j.heldOutConversions) / Double(j.heldOut)
            out.append("  global holdout: \(j.heldOut) kept out · conversions \(j.heldOutConversions) (\(Self.percent(rate)))")
        }
        for e in j.experiments {
            out.append("  experiment \(e.split):")
            if let w = result.winners.first(where: { $0.journey == j.journey && $0.split == e.split }) {
                out.append("    winner: \(w.variant) since \(Value.formatTime(w.since)) (\(w.evidence)); later entrants are counted in it")
            }
            for v in e.variants {
                var line = "    \(v.name)\(v.isControl ? " (control)" : ""): \(v.conversions)/\(v.entries)"
                if let rate = v.conversionRate { line += " = \(Self.percent(rate))" }
                if let interval = v.rateInterval { line += " [\(Self.percent(interval.lowerBound))–\(Self.percent(interval.upperBound))]" }
                if let uplift = v.upliftVsControl { line += " · uplift \(uplift >= 0 ? "+" : "")\(Self.percent(uplift)) vs control" }
                if let points = v.pointsVsControl, let interval = v.pointsInterval {
                    func signed(_ x: Double) -> String { (x >= 0 ? "+" : "−") + String(format: "%.1f", abs(x) * 100) }
                    line += " · \(signed(points)) points [\(signed(interval.lowerBound)), \(signed(interval.upperBound))]"
                }
                if let p = v.pValue { line += String(format: " · p = %.3f", p) }
                if !v.isControl, v.pValue != nil, !v.enoughData { line += " · too few to tell" }
                out.append(line)
                if !v.steps.isEmpty { out.append("      steps: " + v.steps.map { "\($0.step) \($0.reached)" }.joined(separator: " · ")) }
            }
        }
        if let stats = j.engagement, !stats.rows.isEmpty {
            out.append("  engagement per step (as GET /v1/journeys/\(j.journey)/stats):")
            out.append(contentsOf: stats.text.split(separator: "\n").map { "    " + $0 })
        }
        return out
    }

    static func percent(_ x: Double) -> String {
        let tenths = (x * 1000).rounded()
        let whole = Int(tenths) / 10, fraction = abs(Int(tenths)) % 10
        return "\(tenths < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)%"
    }

    static func table(_ header: [String], _ rows: [[String]], indent: String = "  ") -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            indent
                + row.enumerated().map { c, cell in
                    let pad = String(repeating: " ", count: widths[c] - cell.count)
                    return c == 0 || c == 1 || c == 2 ? cell + pad : pad + cell
                }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
