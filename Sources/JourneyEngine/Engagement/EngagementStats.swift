public import JourneyLanguage

/// Per-step engagement statistics — sent, delivered, bounced, opened, clicked, unsubscribed,
/// complained, converted and revenue per journey, step and experiment variant — kept as journey
/// counters (``JourneyCounter``) as the engine commits, and read back as a table. The dry-run counts
/// its timelines with the same ``counters(of:)`` and reads them with the same ``init(journey:counters:since:until:)``,
/// so both worlds show the same table for the same input.
///
/// A counter's metric is `engagement:<metric>@<YYYY-MM-DD>` for a step, and
/// `engagement:<metric>:<split>=<variant>@<YYYY-MM-DD>` for one variant on it (UTC days of the
/// record). Revenue is kept in hundredths (`engagement:revenue_cents`).
public struct EngagementStats: Sendable, Hashable, Codable {
    /// One row: a step (`""`: conversions with no message before them), over every variant
    /// (`variant == nil`) or for one.
    public struct Row: Sendable, Hashable, Codable {
        public var step: String
        public var variant: String?
        /// Metric name (``EngagementRecord/Metric``) → count.
        public var counts: [String: Int64]
        /// The sum of the goal events' `revenue`.
        public var revenue: Double

        public init(step: String, variant: String?, counts: [String: Int64] = [:], revenue: Double = 0) {
            self.step = step
            self.variant = variant
            self.counts = counts
            self.revenue = revenue
        }

        public func count(_ metric: EngagementRecord.Metric) -> Int64 { counts[metric.rawValue] ?? 0 }
    }

    public var journey: String
    /// First and last UTC day counted (`YYYY-MM-DD`), if bounded.
    public var since: String?
    public var until: String?
    /// By step, then the step's row over all variants before its variants' rows (by name).
    public var rows: [Row]

    static let prefix = "engagement:"
    static let revenueMetric = "revenue_cents"

    /// The counter increments of a timeline (what ``JourneyCounter``s the service adds as it commits).
    public static func counters(of timeline: [TimelineRecord]) -> [JourneyCounter: Int64] {
        var counters: [JourneyCounter: Int64] = [:]
        for record in timeline {
            guard case .engaged(let e) = record.kind else { continue }
            let day = dayText(Int((record.at / 86_400).rounded(.down)))
            func add(_ metric: String, _ amount: Int64) {
                counters[
                    JourneyCounter(journey: record.journey, version: record.version, step: e.step, metric: "\(prefix)\(metric)@\(day)"), default: 0] +=
                    amount
                if let variant = e.variant {
                    counters[
                        JourneyCounter(
                            journey: record.journey, version: record.version, step: e.step, metric: "\(prefix)\(metric):\(variant)@\(day)"),
                        default: 0] += amount
                }
            }
            add(e.metric.rawValue, 1)
            if let revenue = e.revenue { add(revenueMetric, Int64((revenue * 100).rounded())) }
        }
        return counters
    }

    /// The table of `journey` from its counters (every version), counting the UTC days from `since`
    /// to `until` inclusive (`YYYY-MM-DD`; `nil`: unbounded).
    public init(journey: String, counters: [JourneyCounter: Int64], since: String? = nil, until: String? = nil) {
        self.journey = journey
        self.since = since
        self.until = until
        var cells: [RowKey: Row] = [:]
        for (counter, value) in counters where counter.journey == journey && counter.metric.hasPrefix(Self.prefix) {
            let body = counter.metric.dropFirst(Self.prefix.count)
            guard let at = body.lastIndex(of: "@") else { continue }
            let day = String(body[body.index(after: at)...])
            if let since, day < since { continue }
            if let until, day > until { continue }
            let name = body[..<at]
            let metric: String
            var variant: String?
            if let colon = name.firstIndex(of: ":") {
                metric = String(name[..<colon])
                variant = String(name[name.index(after: colon)...])
            } else {
                metric = String(name)
            }
            let key = RowKey(step: counter.step, variant: variant)
            var row = cells[key] ?? Row(step: counter.step, variant: variant)
            if metric == Self.revenueMetric {
                row.revenue += Double(value) / 100
            } else {
                row.counts[metric, default: 0] += value
            }
            cells[key] = row
        }
        rows = cells.values.sorted { ($0.step, $0.variant ?? "") < ($1.step, $1.variant ?? "") }
    }

    private struct RowKey: Hashable {
        var step: String
        var variant: String?
    }

    /// The rows over all variants summed: the journey's totals.
    public var total: Row {
        var total = Row(step: "", variant: nil)
        for row in rows where row.variant == nil {
            for (metric, count) in row.counts { total.counts[metric, default: 0] += count }
            total.revenue += row.revenue
        }
        return total
    }

    /// The table as text, one line per row:
    ///
    /// ```
    /// step                 variant        sent deliv bounce  open click unsub compl  conv   revenue
    /// reminder                               4     3      1     2     1     0     0     1     59.00
    /// ```
    public var text: String {
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return left ? s + fill : fill + s
        }
        var lines = [
            pad("step", 32, left: true) + pad("variant", 26, left: true) + "  sent deliv bounce  open click unsub compl  conv    revenue"
        ]
        func add(_ name: String, _ row: Row) {
            var line = pad(name, 32, left: true) + pad(row.variant ?? "", 26, left: true)
            let widths = [6, 6, 7, 6, 6, 6, 6, 6]
            for (metric, width) in zip(EngagementRecord.Metric.allCases, widths) { line += pad(String(row.count(metric)), width) }
            line += pad(Self.money(row.revenue), 11)
            lines.append(line)
        }
        for row in rows { add(row.step.isEmpty ? "(no message)" : row.step, row) }
        add("(total)", total)
        return lines.joined(separator: "\n")
    }

    /// `1234.5` → `1234.50`.
    public static func money(_ amount: Double) -> String {
        let cents = Int((amount * 100).rounded())
        let sign = cents < 0 ? "-" : ""
        let rest = abs(cents) % 100
        return "\(sign)\(abs(cents) / 100).\(rest < 10 ? "0" : "")\(rest)"
    }

    /// The rows as JSON-ready values: `{"step", "variant", "sent", …, "converted", "revenue"}`.
    public var rowValues: [Value] {
        (rows + [total]).enumerated().map { k, row in
            var fields: [String: Value] = [
                "step": k == rows.count ? .null : .string(row.step), "variant": row.variant.map(Value.string) ?? .null,
                "revenue": .number(row.revenue),
            ]
            for metric in EngagementRecord.Metric.allCases { fields[metric.rawValue] = .number(Double(row.count(metric))) }
            return .object(fields)
        }
    }

    /// `YYYY-MM-DD` of a day number since 1970-01-01 (UTC).
    static func dayText(_ day: Int) -> String {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ n: Int, _ width: Int) -> String {
            let text = String(n)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}
