import Foundation
import JourneyLanguage

/// The next firing of a calendar trigger (`every month on the last day`, `every 2 weeks on
/// monday`, `on anniversary of customer.birthday`) in a customer's time zone. Local times follow
/// ``LocalClock``'s gap and overlap rules.
enum CalendarSchedule {
    enum Days {
        case everyWeeks(Int, Set<Weekday>)
        case monthly(MonthDay)
        /// The original date; it fires from the year after it on.
        case anniversary(CivilDate)
    }

    /// The first firing strictly after `t`, or `nil` when there is none within the rule's period.
    static func next(_ days: Days, at time: LocalTime, after t: Double, in zone: TimeZone) -> Double? {
        let today = LocalClock.localDay(of: t, in: zone).day
        switch days {
        case .everyWeeks(let n, let weekdays):
            guard n >= 1, !weekdays.isEmpty else { return nil }
            for day in (today - 1)...(today + 7 * n + 7) where weekdays.contains(LocalClock.weekday(ofDay: day)) {
                // Weeks are counted from the week of Monday 1970-01-05 (day 4).
                let week = Int((Double(day - 4) / 7).rounded(.down))
                guard (week % n + n) % n == 0 else { continue }
                let candidate = LocalClock.instant(day: day, at: time, in: zone)
                if candidate > t { return candidate }
            }
            return nil
        case .monthly(let monthDay):
            let date = CivilDate(dayNumber: today)
            var (year, month) = date.month == 1 ? (date.year - 1, 12) : (date.year, date.month - 1)
            for _ in 0..<15 {
                let candidate = LocalClock.instant(day: dayNumber(of: monthDay, year: year, month: month), at: time, in: zone)
                if candidate > t { return candidate }
                (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
            }
            return nil
        case .anniversary(let original):
            let first = max(CivilDate(dayNumber: today).year - 1, original.year + 1)
            for year in first...(first + 2) {
                let candidate = LocalClock.instant(day: original.anniversary(in: year).dayNumber, at: time, in: zone)
                if candidate > t { return candidate }
            }
            return nil
        }
    }

    /// The day number of `monthDay` in a month: day N (the last day when the month is shorter), the
    /// last day, or the first…fourth or last given weekday.
    static func dayNumber(of monthDay: MonthDay, year: Int, month: Int) -> Int {
        let length = CivilDate.days(inMonth: month, year: year)
        switch monthDay {
        case .day(let day):
            return CivilDate(year: year, month: month, day: min(max(day, 1), length)).dayNumber
        case .lastDay:
            return CivilDate(year: year, month: month, day: length).dayNumber
        case .weekday(let weekday, let ordinal) where ordinal > 0:
            let first = CivilDate(year: year, month: month, day: 1).dayNumber
            let offset = (weekday.rawValue - LocalClock.weekday(ofDay: first).rawValue + 7) % 7
            return first + offset + 7 * (min(ordinal, 4) - 1)
        case .weekday(let weekday, _):
            let last = CivilDate(year: year, month: month, day: length).dayNumber
            return last - (LocalClock.weekday(ofDay: last).rawValue - weekday.rawValue + 7) % 7
        }
    }
}
