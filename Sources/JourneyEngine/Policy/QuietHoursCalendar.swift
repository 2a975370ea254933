import JourneyLanguage

/// Quiet-hours windows in the customer's local time.
///
/// A window `start–end` covers the local times of day `t` with `start ≤ t < end`; when
/// `end < start` it spans midnight (21:00–08:00 covers 21:00…23:59 and 00:00…07:59). A window with
/// `start == end` is empty. A send inside a window may go out at the first instant the wall clock
/// reaches `end` (on a spring-forward night where `end` does not exist, the instant clocks jump).
struct QuietHoursCalendar {
    static func applies(_ window: QuietHours, to channel: Channel) -> Bool {
        window.channels?.contains(channel) ?? true
    }

    static func contains(_ window: QuietHours, minuteOfDay minute: Int) -> Bool {
        let start = window.start.minutesOfDay
        let end = window.end.minutesOfDay
        if start < end { return minute >= start && minute < end }
        if start > end { return minute >= start || minute < end }
        return false
    }

    /// The blocker for `window` at `instant`, or `nil` when the instant is outside it.
    static func blocker(
        _ window: QuietHours, channel: Channel, at instant: Double, minuteOfDay minute: Int, calendar: LocalCalendar
    ) -> Blocker? {
        guard contains(window, minuteOfDay: minute) else { return nil }
        let day = calendar.day(at: instant)
        // Inside and before `end` today (a same-day window, or the morning part of one spanning
        // midnight) → ends today; otherwise (the evening part) → ends tomorrow.
        let endDay = minute < window.end.minutesOfDay ? day : day + 1
        let endWall = endDay * LocalCalendar.secondsPerDay + Double(window.end.minutesOfDay * 60)
        let endsAt = calendar.firstInstant(reachingWallClock: endWall, after: instant)
        return Blocker(kind: .quietHours(channel: channel, start: window.start, end: window.end), freesAt: endsAt)
    }
}
