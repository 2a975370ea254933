import JourneyLanguage
import Testing

@testable import JourneyEngine

/// Calendar triggers' next firings, the date functions at run time, and a birthday journey.
struct CalendarScheduleTests {
    static func next(
        _ days: CalendarSchedule.Days, after: String, zone: String = "UTC", at time: LocalTime = LocalTime(hour: 9, minute: 0)
    )
        throws -> String
    {
        let tz = try #require(LocalClock.zone(zone))
        let t = try #require(CalendarSchedule.next(days, at: time, after: utc(after), in: tz))
        return Value.formatTime(t)
    }

    @Test(arguments: [
        // Day 31 in February fires on its last day (28th in 2026); then March 31.
        (MonthDay.day(31), "2026-02-01T00:00:00Z", "2026-02-28T09:00:00Z"),
        (.day(31), "2026-02-28T09:00:00Z", "2026-03-31T09:00:00Z"),
        (.lastDay, "2028-02-01T00:00:00Z", "2028-02-29T09:00:00Z"),
        (.weekday(.monday, ordinal: 1), "2026-03-01T00:00:00Z", "2026-03-02T09:00:00Z"),
        (.weekday(.monday, ordinal: 1), "2026-03-02T09:00:00Z", "2026-04-06T09:00:00Z"),
        (.weekday(.friday, ordinal: -1), "2026-03-01T00:00:00Z", "2026-03-27T09:00:00Z"),
        (.weekday(.sunday, ordinal: 4), "2026-03-01T00:00:00Z", "2026-03-22T09:00:00Z"),
    ])
    func monthly(day: MonthDay, after: String, expected: String) throws {
        #expect(try Self.next(.monthly(day), after: after) == expected)
    }

    /// Local time of the customer's zone: the first Monday of April at 10:00 in Paris is CEST.
    @Test func monthlyInTheCustomersZone() throws {
        #expect(
            try Self.next(
                .monthly(.weekday(.monday, ordinal: 1)), after: "2026-03-03T00:00:00Z", zone: "Europe/Paris", at: LocalTime(hour: 10, minute: 0))
                == "2026-04-06T08:00:00Z")
    }

    /// Every 2 weeks: consecutive firings 14 days apart, on the same weeks for everyone.
    @Test func everyTwoWeeks() throws {
        let first = try Self.next(.everyWeeks(2, [.monday]), after: "2026-03-01T00:00:00Z")
        let second = try Self.next(.everyWeeks(2, [.monday]), after: first)
        #expect(try #require(Value.parseTime(second)) - #require(Value.parseTime(first)) == 14 * day)
        #expect(LocalClock.weekday(ofDay: Int(try #require(Value.parseTime(first)) / day)) == .monday)
        let weekly = try Self.next(.everyWeeks(1, [.monday]), after: "2026-03-01T00:00:00Z")
        #expect(weekly == "2026-03-02T09:00:00Z")
    }

    @Test(arguments: [
        ("1992-02-29", "2026-03-01T00:00:00Z", "2027-02-28T09:00:00Z"),
        ("1992-02-29", "2027-03-01T00:00:00Z", "2028-02-29T09:00:00Z"),
        ("1990-03-05", "2026-03-01T00:00:00Z", "2026-03-05T09:00:00Z"),
        // A sign-up this year: the first anniversary is next year.
        ("2026-03-05", "2026-03-01T00:00:00Z", "2027-03-05T09:00:00Z"),
    ])
    func anniversaries(date: String, after: String, expected: String) throws {
        #expect(try Self.next(.anniversary(#require(CivilDate(parsing: date))), after: after) == expected)
    }

    /// A date value is its date wherever the customer is; an instant is its local date.
    @Test func dateFunctionsAtRunTime() {
        let evaluator = ExpressionEvaluator(
            profile: CustomerProfile(
                id: "c", attributes: ["birthday": .time(Value.parseTime("1990-02-28")!), "signed_up_at": .time(utc("2026-03-02T03:00:00Z"))]),
            event: nil, now: utc("2026-03-02T12:00:00Z"), timeZone: "America/New_York", history: EventHistory(), segments: [:])
        #expect(evaluator.value(of: .call(.year, [attr("birthday")])) == .number(1990))
        #expect(evaluator.value(of: .call(.month, [attr("birthday")])) == .number(2))
        #expect(evaluator.value(of: .call(.day, [attr("birthday")])) == .number(28))
        #expect(evaluator.value(of: .call(.weekday, [attr("birthday")])) == .number(3))  // a Wednesday
        // 03:00Z on 2 March is 22:00 on 1 March in New York.
        #expect(evaluator.value(of: .call(.day, [attr("signed_up_at")])) == .number(1))
        #expect(evaluator.value(of: .call(.daysBetween, [attr("signed_up_at"), .now])) == .number(1))
        #expect(evaluator.value(of: .call(.year, [attr("missing")])) == .null)
    }

    /// A birthday journey enters on the day at 09:00 local, and again the next year; changing the
    /// birthday moves the next firing.
    @Test func birthdayJourneyEntersEveryYear() throws {
        let journey = JourneyBuilder(
            "birthday", trigger: .calendar(segment: nil, at: LocalTime(hour: 9, minute: 0), rule: .anniversary(attribute: ["birthday"])),
            entry: .always, steps: [.send(.email, "greeting")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        let profile = CustomerProfile(id: "c", email: "c@x.y", timeZone: "Europe/Paris", attributes: ["birthday": .string("1990-03-05")])
        var c = CustomerDriver(engine, profile: profile, at: utc("2026-03-01T00:00:00Z"))
        c.advance(to: utc("2027-03-10T00:00:00Z"))
        #expect(c.outbox.map { Value.formatTime($0.at) } == ["2026-03-05T08:00:00Z", "2027-03-05T08:00:00Z"])
        c.profile(CustomerProfile(id: "c", attributes: ["birthday": .string("1990-04-01")]), at: utc("2027-03-10T00:00:00Z"))
        #expect(c.state.schedules["birthday"] == utc("2027-04-01T07:00:00Z"))
        c.profile(CustomerProfile(id: "c", attributes: ["birthday": .null]), at: utc("2027-03-11T00:00:00Z"))
        #expect(c.state.schedules["birthday"] == nil)
    }

    /// `wait until customer.trial_ends_at - 3 days`: three days before, at once when that has
    /// passed or the attribute is missing.
    @Test(arguments: [
        ("2026-03-20T12:00:00Z" as String?, "2026-03-17T12:00:00Z"),
        ("2026-03-02T12:00:00Z", "2026-03-01T00:00:00Z"),
        (nil, "2026-03-01T00:00:00Z"),
    ])
    func waitUntilAnAttribute(trialEnds: String?, expected: String) throws {
        let journey = JourneyBuilder(
            "trial", steps: [.waitUntilTime(.binary(.subtract, attr("trial_ends_at"), .literal(.duration(3 * day)))), .send(.email, "ending")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        let attributes: [String: Value] = trialEnds.map { ["trial_ends_at": .string($0)] } ?? [:]
        var c = CustomerDriver(engine, profile: CustomerProfile(id: "c", email: "c@x.y", attributes: attributes), at: utc("2026-03-01T00:00:00Z"))
        c.event("start", at: utc("2026-03-01T00:00:00Z"))
        c.advance(to: utc("2026-04-01T00:00:00Z"))
        #expect(c.outbox.map { Value.formatTime($0.at) } == [expected])
    }

    /// A date attribute far outside the calendar (a number sent as `1e300`, stored as a time) is
    /// no date: no anniversary, no crash, and date functions give null.
    @Test(arguments: [1e300, -1e300, 1e15, .infinity])
    func anAttributeOutsideTheCalendarIsNoDate(seconds: Double) throws {
        let journey = JourneyBuilder(
            "birthday", trigger: .calendar(segment: nil, at: LocalTime(hour: 9, minute: 0), rule: .anniversary(attribute: ["birthday"])),
            entry: .always, steps: [.send(.email, "greeting")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        let profile = CustomerProfile(id: "c", email: "c@x.y", timeZone: "Europe/Paris", attributes: ["birthday": .time(seconds)])
        var c = CustomerDriver(engine, profile: profile, at: utc("2026-03-01T00:00:00Z"))
        c.advance(to: utc("2027-03-10T00:00:00Z"))
        #expect(c.outbox.isEmpty)
        #expect(c.state.schedules["birthday"] == nil)
        let evaluator = ExpressionEvaluator(
            profile: profile, event: nil, now: utc("2026-03-02T12:00:00Z"), timeZone: "UTC", history: EventHistory(), segments: [:])
        #expect(evaluator.value(of: .call(.year, [attr("birthday")])) == .null)
        #expect(evaluator.value(of: .call(.daysBetween, [attr("birthday"), .now])) == .null)
    }

    /// A schedule left in a customer's state for a journey that is no longer scheduled (removed, or
    /// its trigger changed, by a reload) never makes a step loop at one instant: it is dropped, and
    /// the customer's other work goes on.
    @Test func aScheduleNoJourneyOwnsIsDroppedNotFiredForever() throws {
        let journey = JourneyBuilder("trial", steps: [.wait(1 * day), .send(.email, "ending")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var c = CustomerDriver(engine, profile: CustomerProfile(id: "c", email: "c@x.y"), at: utc("2026-03-01T00:00:00Z"))
        c.event("start", at: utc("2026-03-01T00:00:00Z"))
        c.state.schedules["removed_newsletter"] = utc("2026-03-01T06:00:00Z")
        c.advance(to: utc("2026-03-03T00:00:00Z"))
        #expect(c.state.schedules["removed_newsletter"] == nil)
        #expect(c.sends == ["email ending"])
    }
}
