public import Foundation
public import JourneyLanguage
import Synchronization

/// Local wall-clock arithmetic in IANA time zones, without `Calendar`: the engine only needs the
/// zone's UTC offset at an instant, which keeps local-time waits and schedules cheap.
///
/// Daylight-saving rules (documented in docs/semantics.md):
/// - a local time that does not exist that day (spring-forward gap) happens at the first instant
///   after the gap (02:30 on a day that jumps 02:00 → 03:00 happens at 03:00 new time);
/// - a local time that happens twice (fall-back overlap) happens once, at its first occurrence.
public enum LocalClock {
    private static let zones = Mutex<[String: TimeZone]>([:])
    private static let invalid = Mutex<Set<String>>([])

    /// The time zone for an IANA identifier (cached); `nil` when the identifier is unknown.
    public static func zone(_ identifier: String) -> TimeZone? {
        if let zone = zones.withLock({ $0[identifier] }) { return zone }
        if invalid.withLock({ $0.contains(identifier) }) { return nil }
        guard let zone = TimeZone(identifier: identifier) else {
            invalid.withLock { _ = $0.insert(identifier) }
            return nil
        }
        zones.withLock { $0[identifier] = zone }
        return zone
    }

    /// Seconds east of UTC in `zone` at the instant `t`.
    @inlinable
    public static func offset(_ zone: TimeZone, at t: Double) -> Double {
        Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: t.rounded(.down))))
    }

    /// The local day (days since 1970-01-01 in local time) and the seconds since local midnight.
    public static func localDay(of t: Double, in zone: TimeZone) -> (day: Int, secondsOfDay: Double) {
        let local = t + offset(zone, at: t)
        let day = Int((local / 86_400).rounded(.down))
        return (day, local - Double(day) * 86_400)
    }

    /// The calendar day (days since 1970-01-01) a time stands for: a date value (`1990-02-28`,
    /// stored as its midnight UTC) is that date; any other instant is its local date in `zone`.
    public static func calendarDay(of t: Double, in zone: TimeZone) -> Int {
        if t.truncatingRemainder(dividingBy: 86_400) == 0 { return Int(t / 86_400) }
        return localDay(of: t, in: zone).day
    }

    /// ISO weekday (1 = Monday … 7 = Sunday) of a local day number.
    public static func weekday(ofDay day: Int) -> Weekday {
        // 1970-01-01 was a Thursday (4).
        let index = ((day + 3) % 7 + 7) % 7
        return Weekday(rawValue: index + 1)!
    }

    /// The hour (0–23) of `t` in `zone`.
    public static func localHour(of t: Double, in zone: TimeZone) -> Int {
        Int(localDay(of: t, in: zone).secondsOfDay / 3_600)
    }

    /// The instant at which local day `day` reaches `time` in `zone`, with the gap and overlap rules.
    public static func instant(day: Int, at time: LocalTime, in zone: TimeZone) -> Double {
        instant(day: day, secondsOfDay: Double(time.minutesOfDay) * 60, in: zone)
    }

    /// `days` calendar days after `t` at the same local time of day in `zone` (a calendar-day
    /// wait): across a daylight-saving change this is an hour more or less than `days` × 24 hours.
    /// A local time the target day lacks (spring-forward gap) is the first instant after the gap;
    /// one it has twice is its first occurrence.
    public static func adding(calendarDays days: Int, to t: Double, in zone: TimeZone) -> Double {
        let local = localDay(of: t, in: zone)
        return instant(day: local.day + days, secondsOfDay: local.secondsOfDay, in: zone)
    }

    /// The instant at which local day `day` reaches `secondsOfDay` in `zone`, with the gap and
    /// overlap rules.
    public static func instant(day: Int, secondsOfDay: Double, in zone: TimeZone) -> Double {
        let naive = Double(day) * 86_400 + secondsOfDay
        var offsets: [Double] = []
        for probe in [naive - 86_400, naive, naive + 86_400] {
            let o = offset(zone, at: probe)
            if !offsets.contains(o) { offsets.append(o) }
        }
        var best: Double?
        for o in offsets {
            let candidate = naive - o
            if offset(zone, at: candidate) == o, best.map({ candidate < $0 }) ?? true { best = candidate }
        }
        if let best { return best }
        // The local time falls in a gap: find the transition instant (the first instant after it).
        guard let small = offsets.min(), let large = offsets.max() else { return naive }
        var lo = naive - large  // still on the small offset
        var hi = naive - small  // already on the large offset
        let before = offset(zone, at: lo)
        while hi - lo > 1 {
            let mid = ((lo + hi) / 2).rounded(.down)
            if offset(zone, at: mid) == before { lo = mid } else { hi = mid }
        }
        return hi
    }

    /// The first instant strictly after `t` at which it is `time` in `zone`, on one of `weekdays`
    /// (any day when `nil`).
    public static func nextOccurrence(of time: LocalTime, weekdays: Set<Weekday>?, after t: Double, in zone: TimeZone) -> Double {
        let today = localDay(of: t, in: zone).day
        for day in (today - 1)...(today + 9) {
            if let weekdays, !weekdays.isEmpty, !weekdays.contains(weekday(ofDay: day)) { continue }
            let candidate = instant(day: day, at: time, in: zone)
            if candidate > t { return candidate }
        }
        return t + 86_400  // unreachable for real zones; keeps the instance moving
    }
}
