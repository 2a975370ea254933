public import JourneyLanguage

/// Journey-wide engagement by local hour and UTC day: what a send falls back to when its customer
/// has too little history ("journey's best hour 10:00"). An input of the engine, like the decided
/// winners: ``JourneyEngine/audience``.
///
/// The engine counts every engagement event whose `message_id` names a message of journey J
/// (`<customer>/<J>/…`), when J has a send at the best time, as a `sendTimeEngagement` timeline record; the service keeps them as the
/// journey counters ``metric(localHour:at:)`` (`send_time_hour:19@2026-12-01`) as it commits, the
/// dry-run sums its own timelines the same way. The best hour used on UTC day D reads only the
/// ``lookbackDays`` days before D, never D itself, so it is fixed for the whole day: the service
/// reads the counters again at each UTC day boundary, the dry-run has every day's counts from its
/// first pass, and both choose the same hour.
///
/// ```swift
/// var audience = AudienceHours()
/// audience.add(journey: "weekly", localHour: 10, day: UTCDay.of(t), count: 12)
/// audience.weights(journey: "weekly", day: UTCDay.of(t) + 1)   // (hour 10: 12, total 12)
/// ```
public struct AudienceHours: Sendable, Hashable {
    /// Journey → UTC day number (days since 1970-01-01) → engagements per local hour (24).
    public private(set) var counts: [String: [Int: [Int64]]]

    /// How many days before the day of the choice are read: 28.
    public static let lookbackDays = 28
    /// The metric prefix of the journey counters.
    public static let metricPrefix = "send_time_hour:"

    public init() { counts = [:] }

    /// The audience hours held in journey counters (their versions summed); other counters are ignored.
    public init(counters: [JourneyCounter: Int64]) {
        self.init()
        for (counter, count) in counters {
            guard let (hour, day) = Self.parse(metric: counter.metric) else { continue }
            add(journey: counter.journey, localHour: hour, day: day, count: count)
        }
    }

    /// The audience hours of engine timelines (what the service's counters hold after committing them).
    public init(timeline: some Sequence<TimelineRecord>) {
        self.init()
        for record in timeline {
            if case .sendTimeEngagement(let hour) = record.kind {
                add(journey: record.journey, localHour: hour, day: UTCDay.of(record.at), count: 1)
            }
        }
    }

    public mutating func add(journey: String, localHour: Int, day: Int, count: Int64) {
        guard (0..<24).contains(localHour), count != 0 else { return }
        modifying(&counts[journey, default: [:]]) { days in
            modifying(&days[day, default: Array(repeating: 0, count: 24)]) { $0[localHour] += count }
        }
    }

    /// The journey counter metric of one engagement at `localHour`, processed at `t`.
    public static func metric(localHour: Int, at t: Double) -> String {
        let hour = localHour < 10 ? "0\(localHour)" : "\(localHour)"
        return "\(metricPrefix)\(hour)@\(UTCDay.text(UTCDay.of(t)))"
    }

    static func parse(metric: String) -> (hour: Int, day: Int)? {
        guard metric.hasPrefix(metricPrefix) else { return nil }
        let rest = metric.dropFirst(metricPrefix.count)
        guard let at = rest.firstIndex(of: "@"), let hour = Int(rest[..<at]), (0..<24).contains(hour),
            let day = UTCDay.parse(String(rest[rest.index(after: at)...]))
        else { return nil }
        return (hour, day)
    }

    /// The journey's engagements per local hour over the ``lookbackDays`` UTC days before `day`,
    /// and their total.
    public func weights(journey: String, day: Int) -> (weights: [Double], total: Int64) {
        var weights = Array(repeating: 0.0, count: 24)
        var total: Int64 = 0
        guard let days = counts[journey] else { return (weights, 0) }
        for d in (day - Self.lookbackDays)..<day {
            guard let hours = days[d] else { continue }
            for h in 0..<24 {
                weights[h] += Double(hours[h])
                total += hours[h]
            }
        }
        return (weights, total)
    }
}

/// UTC day numbers (days since 1970-01-01) and their `YYYY-MM-DD` text.
public enum UTCDay {
    public static func of(_ t: Double) -> Int { Int((t / 86_400).rounded(.down)) }

    /// `YYYY-MM-DD` (proleptic Gregorian; Howard Hinnant's civil-from-days).
    public static func text(_ day: Int) -> String {
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

    /// The day number of `YYYY-MM-DD` (days-from-civil), `nil` when malformed.
    public static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let y0 = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension JourneyCatalog {
    /// Whether a send of a journey asks for `at best time within …` (only then do the dry-run and
    /// the service gather the journeys' audience hours).
    public var sendsAtBestTime: Bool {
        journeys.contains { program in
            program.states.contains { state in
                if case .send(let send, _) = state.kind { return send.bestTime != nil }
                return false
            }
        }
    }
}
