import Foundation
import Testing

@testable import JourneyLanguage

/// Dates: the calendar arithmetic, the date literal, the date functions' types, and the
/// calendar triggers (anniversaries, monthly, every N weeks) with their diagnostics.
struct DateTests {
    static let schema = """
        schema
          customer
            first_name string
            birthday time

        """

    @Test func civilDatesRoundTrip() {
        for n in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(CivilDate(dayNumber: n).dayNumber == n)
        }
        #expect(CivilDate(dayNumber: 0) == CivilDate(year: 1970, month: 1, day: 1))
        #expect(CivilDate(year: 2000, month: 2, day: 29).dayNumber == 11_016)
        #expect(CivilDate(dayNumber: 20_513).description == "2026-03-01")
    }

    @Test(arguments: [
        ("2024-02-29", true), ("2026-02-29", false), ("1900-02-29", false), ("2000-02-29", true), ("2026-13-01", false), ("26-03-01", false),
    ])
    func parsing(text: String, valid: Bool) {
        #expect((CivilDate(parsing: text) != nil) == valid)
    }

    /// 29 February is 28 February in a year without one; other dates stay.
    @Test(arguments: [(2027, "2027-02-28"), (2028, "2028-02-29"), (2100, "2100-02-28")])
    func leapDayAnniversary(year: Int, expected: String) {
        #expect(CivilDate(year: 1992, month: 2, day: 29).anniversary(in: year).description == expected)
        #expect(CivilDate(year: 1992, month: 3, day: 1).anniversary(in: year).description == "\(year)-03-01")
    }

    @Test func dateValuesParseAsTheirMidnightUTC() {
        #expect(Value.parseTime("1990-02-28") == Double(CivilDate(year: 1990, month: 2, day: 28).dayNumber) * 86_400)
        #expect(Value.parseTime("1990-02-30") == nil)
    }

    @Test func dateLiteralsAndFunctionsTypeCheck() throws {
        let result = compile(
            Self.schema + """
                journey j
                  trigger on event "x"
                  if customer.birthday < 2000-01-01 and month(customer.birthday) == 3 and day(customer.birthday) >= 1
                    exit "early"
                  if year(now) - year(customer.birthday) >= 18 and weekday(now) <= 5 and days_between(customer.birthday, now) > 365
                    exit "adult"
                  exit "done"
                """)
        #expect(result.errors.isEmpty, "\(result.errors)")
    }

    @Test(arguments: [
        (
            "  if customer.birthday < 2026-02-30\n    exit \"x\"\n", DiagnosticID.invalidTime,
            "`2026-02-30` is not a date; write YYYY-MM-DD" as String?
        ),
        ("  if year(customer.first_name) > 1\n    exit \"x\"\n", .typeMismatch, nil),
        ("  if days_between(now) > 1\n    exit \"x\"\n", .argumentCount, nil),
    ])
    func badDates(step: String, id: DiagnosticID, message: String?) {
        let result = compile(Self.schema + "journey j\n  trigger on event \"x\"\n" + step)
        #expect(result.errors.first?.id == id, "\(result.errors)")
        if let message { #expect(result.errors.first?.message == message) }
    }

    @Test(arguments: [
        (
            "on anniversary of customer.birthday at 09:00",
            Trigger.calendar(segment: nil, at: LocalTime(hour: 9, minute: 0), rule: .anniversary(attribute: ["birthday"]))
        ),
        ("every month on day 31 at 08:30", .calendar(segment: nil, at: LocalTime(hour: 8, minute: 30), rule: .monthly(.day(31)))),
        ("every month on the last day at 18:00", .calendar(segment: nil, at: LocalTime(hour: 18, minute: 0), rule: .monthly(.lastDay))),
        (
            "every month on the first monday at 10:00",
            .calendar(segment: nil, at: LocalTime(hour: 10, minute: 0), rule: .monthly(.weekday(.monday, ordinal: 1)))
        ),
        (
            "every month on the last friday at 10:00",
            .calendar(segment: nil, at: LocalTime(hour: 10, minute: 0), rule: .monthly(.weekday(.friday, ordinal: -1)))
        ),
        (
            "every 2 weeks on monday, thursday at 08:00",
            .calendar(segment: nil, at: LocalTime(hour: 8, minute: 0), rule: .everyWeeks(2, weekdays: [.monday, .thursday]))
        ),
    ])
    func calendarTriggers(text: String, trigger: Trigger) throws {
        let program = try #require(compile(Self.schema + "journey j\n  trigger \(text)\n  exit \"x\"\n").catalog?.journeys.first)
        #expect(program.trigger == trigger)
        #expect(JourneyGraph.describe(program.trigger).hasPrefix(text.components(separatedBy: " at ")[0]))
    }

    @Test(arguments: [
        (
            "on anniversary of customer.first_name at 09:00",
            "an anniversary needs a date, but `customer.first_name` is a string; declare it `time` in the schema"
        ),
        ("on anniversary of 3 at 09:00", "an anniversary is of a customer attribute that holds a date (`customer.birthday`)"),
        ("every month on day 32 at 09:00", "expected a day of the month from 1 to 31, found `32`"),
        ("every 0 weeks on monday at 09:00", "a week interval is a whole number from 1 to 52"),
        ("every month on the first at 09:00", "expected a weekday after `first` (`the first monday`), found `at`"),
    ])
    func badCalendarTriggers(text: String, message: String) {
        let result = compile(Self.schema + "journey j\n  trigger \(text)\n  exit \"x\"\n")
        #expect(result.errors.first?.message == message, "\(result.errors.map(\.message))")
    }

    /// `wait until <time>`: an instant relative to an attribute.
    @Test func waitUntilATime() throws {
        let source = Self.schema + "journey j\n  trigger on event \"x\"\n  wait until customer.birthday - 3 days\n  wait until 09:00\n  exit \"x\"\n"
        let program = try #require(compile(source).catalog?.journeys.first)
        guard case .wait(.untilTime(let expression, next: 1)) = program.states[0].kind else {
            Issue.record("not a wait until a time: \(program.states[0].kind)")
            return
        }
        #expect("\(expression)" == "customer.birthday - 3 days")
        #expect(program.states[0].label.hasPrefix("wait_until_customer_birthday"))
        #expect(program.states[1].kind == .wait(.untilLocalTime(LocalTime(hour: 9, minute: 0), weekdays: nil, next: 2)))
        #expect(JourneyGraph.describe(program.states[0]) == "wait until customer.birthday - 3 days")
        let bad = compile(Self.schema + "journey j\n  trigger on event \"x\"\n  wait until customer.first_name\n  exit \"x\"\n")
        #expect(bad.errors.map(\.message) == ["`wait until` needs a time, such as `customer.trial_ends_at - 3 days`, but this is a string"])
    }
}
