import Foundation

/// Wall-clock arithmetic in one customer's time zone: local time of day, local midnights and the
/// instants at which a local time is reached — correct across daylight-saving changes.
///
/// A *wall clock* value is what a clock on the customer's wall shows, written as seconds since
/// 1970-01-01T00:00 local (`instant + UTC offset at that instant`). Local days are the 86 400-second
/// slices of the wall clock; a local day lasts 23, 24 or 25 hours of real time.
///
/// Only `TimeZone.secondsFromGMT(for:)` is consulted (two calls in the common case), no
/// `DateFormatter` and no `Calendar`, so the policy stays fast; the tests check the results against
/// Foundation's `Calendar`.
struct LocalCalendar: Sendable {
    let timeZone: TimeZone

    /// The zone for `identifier`, else for `fallback`, else UTC.
    init(identifier: String, fallback: String = "UTC") {
        timeZone = TimeZone(identifier: identifier) ?? TimeZone(identifier: fallback) ?? TimeZone(secondsFromGMT: 0)!
    }

    init(timeZone: TimeZone) { self.timeZone = timeZone }

    static let secondsPerDay: Double = 86_400

    /// The UTC offset in seconds at `instant`.
    @inline(__always)
    func offset(at instant: Double) -> Double {
        Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: instant)))
    }

    /// The wall-clock value at `instant`.
    @inline(__always)
    func wallClock(at instant: Double) -> Double { instant + offset(at: instant) }

    /// The local day number (days since 1970-01-01 local) containing `instant`.
    func day(at instant: Double) -> Double { (wallClock(at: instant) / Self.secondsPerDay).rounded(.down) }

    /// Minutes since local midnight at `instant` (0..<1440).
    func minuteOfDay(at instant: Double) -> Int {
        let wall = wallClock(at: instant)
        let secondOfDay = wall - (wall / Self.secondsPerDay).rounded(.down) * Self.secondsPerDay
        return Int(secondOfDay / 60)
    }

    /// The start of the local day containing `instant` (its local midnight, or the first instant of
    /// the day when midnight was skipped by a daylight-saving change).
    func startOfDay(containing instant: Double) -> Double {
        firstInstant(reachingWallClock: day(at: instant) * Self.secondsPerDay, after: -.infinity)
    }

    /// The start of the local day after the one containing `instant`: when calendar-day caps reset.
    func startOfNextDay(after instant: Double) -> Double {
        firstInstant(reachingWallClock: (day(at: instant) + 1) * Self.secondsPerDay, after: instant)
    }

    /// The first instant after `after` at which the wall clock shows `wall` or later:
    /// - a wall time that occurs once → that instant;
    /// - one that occurs twice (clocks set back) → the first occurrence after `after`;
    /// - one skipped by clocks moving forward → the instant of the change (02:30 on a
    ///   spring-forward night in New York → 03:00 EDT).
    func firstInstant(reachingWallClock wall: Double, after: Double) -> Double {
        // Every instant whose wall clock is `wall` lies in [wall - 14h, wall + 12h] (UTC offsets
        // range from -12:00 to +14:00), and at most one offset change falls inside 26 hours.
        let low = wall - 14 * 3600 - 1
        let high = wall + 12 * 3600 + 1
        let offsetLow = offset(at: low)
        let candidateLow = wall - offsetLow
        if offset(at: candidateLow) == offsetLow, candidateLow > after {
            // The earliest candidate: before any change in the span, so no earlier instant exists.
            return candidateLow
        }
        let offsetHigh = offset(at: high)
        let candidateHigh = wall - offsetHigh
        if offsetHigh != offsetLow, offset(at: candidateHigh) == offsetHigh, candidateHigh > after {
            return candidateHigh
        }
        // Skipped wall time (or a pathological span): the first instant past `after` whose wall
        // clock reaches `wall`, found by bisection on whole seconds.
        var lo = max(low, after.isFinite ? after : low)
        var hi = high
        if wallClock(at: hi) < wall { return hi }
        if wallClock(at: lo) >= wall { return lo }
        while hi - lo > 1 {
            let mid = ((lo + hi) / 2).rounded(.down)
            if wallClock(at: mid) >= wall { hi = mid } else { lo = mid }
        }
        return hi
    }

    /// `instant` in ISO 8601 with the local offset,
    /// `2026-11-24T00:00:00+01:00`.
    func iso8601(_ instant: Double) -> String {
        guard instant.isFinite else { return instant > 0 ? "never" : "-∞" }
        let offsetSeconds = Int(offset(at: instant))
        let wall = Int((instant + Double(offsetSeconds)).rounded(.down))
        return CivilTime.iso8601(wallSeconds: wall, offsetSeconds: offsetSeconds)
    }
}

/// Proleptic Gregorian date arithmetic on wall-clock seconds (Howard Hinnant's `civil_from_days`).
enum CivilTime {
    static func iso8601(wallSeconds: Int, offsetSeconds: Int) -> String {
        var days = wallSeconds / 86_400
        var secondOfDay = wallSeconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        var text = "\(year)-\(pad(month))-\(pad(day))T\(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60))"
        if offsetSeconds == 0 {
            text += "Z"
        } else {
            let magnitude = abs(offsetSeconds)
            text += (offsetSeconds < 0 ? "-" : "+") + "\(pad(magnitude / 3600)):\(pad(magnitude / 60 % 60))"
        }
        return text
    }

    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
