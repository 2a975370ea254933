import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// Local-time waits and schedules in the customer's IANA zone, across daylight-saving changes and
/// at the extremes of the offset range.
struct LocalTimeTests {
    @Test(arguments: [
        // zone, wait starts (UTC), local time to wait for, expected instant (UTC)
        // Ordinary day in Paris (UTC+1 in winter).
        ("Europe/Paris", "2026-03-02T12:00:00Z", LocalTime(hour: 9, minute: 0), "2026-03-03T08:00:00Z"),
        // Spring forward in New York (2026-03-08, 02:00 → 03:00): 02:30 does not exist; it happens
        // at the first instant after the gap, 03:00 EDT = 07:00Z.
        ("America/New_York", "2026-03-07T12:00:00Z", LocalTime(hour: 2, minute: 30), "2026-03-08T07:00:00Z"),
        // The next day 02:30 exists again (EDT, UTC−4).
        ("America/New_York", "2026-03-08T08:00:00Z", LocalTime(hour: 2, minute: 30), "2026-03-09T06:30:00Z"),
        // Fall back in New York (2026-11-01, 02:00 → 01:00): 01:30 happens twice; the first (EDT).
        ("America/New_York", "2026-10-31T12:00:00Z", LocalTime(hour: 1, minute: 30), "2026-11-01T05:30:00Z"),
        // Waiting from between the two occurrences: not the second one that day, but the next day.
        ("America/New_York", "2026-11-01T05:45:00Z", LocalTime(hour: 1, minute: 30), "2026-11-02T06:30:00Z"),
        // Europe's spring forward (2026-03-29, 02:00 → 03:00 CET→CEST).
        ("Europe/Berlin", "2026-03-28T22:00:00Z", LocalTime(hour: 2, minute: 15), "2026-03-29T01:00:00Z"),
        // UTC+14: 09:00 on the Line Islands is 19:00 the previous day in UTC.
        ("Pacific/Kiritimati", "2026-03-02T00:00:00Z", LocalTime(hour: 9, minute: 0), "2026-03-02T19:00:00Z"),
        // UTC−12.
        ("Etc/GMT+12", "2026-03-02T00:00:00Z", LocalTime(hour: 9, minute: 0), "2026-03-02T21:00:00Z"),
        // Strictly after: waiting from exactly 09:00 local goes to the next day.
        ("UTC", "2026-03-02T09:00:00Z", LocalTime(hour: 9, minute: 0), "2026-03-03T09:00:00Z"),
        // Lord Howe shifts by 30 minutes (2026-10-04, 02:00 → 02:30).
        ("Australia/Lord_Howe", "2026-10-03T00:00:00Z", LocalTime(hour: 2, minute: 10), "2026-10-03T15:30:00Z"),
    ])
    func nextOccurrence(zone: String, from: String, time: LocalTime, expected: String) throws {
        let tz = try #require(LocalClock.zone(zone))
        let next = LocalClock.nextOccurrence(of: time, weekdays: nil, after: utc(from), in: tz)
        #expect(Value.formatTime(next) == expected)
    }

    @Test func weekdaysRestrictTheOccurrence() throws {
        let tz = try #require(LocalClock.zone("Europe/London"))
        // From Monday noon, the next Friday 10:00 (London is UTC+0 in early March).
        let next = LocalClock.nextOccurrence(of: LocalTime(hour: 10, minute: 0), weekdays: [.friday], after: t0 + 12 * hour, in: tz)
        #expect(Value.formatTime(next) == "2026-03-06T10:00:00Z")
        #expect(LocalClock.weekday(ofDay: 0) == .thursday)
    }

    @Test func localTimeWaitInAJourneyUsesTheCustomerZone() throws {
        let journey = JourneyBuilder("j", steps: [.waitUntil(LocalTime(hour: 9, minute: 0)), .send(.email, "morning")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        for (zone, expected) in [
            ("Pacific/Kiritimati", "2026-03-02T19:00:00Z"), ("Etc/GMT+12", "2026-03-02T21:00:00Z"), ("Asia/Tokyo", "2026-03-03T00:00:00Z"),
        ] {
            var c = CustomerDriver(engine, profile: CustomerProfile(id: "c", email: "c@x.y", timeZone: zone))
            c.event("start", at: t0 + hour)
            c.advance(to: t0 + 3 * day)
            let sent = try #require(c.outbox.first)
            #expect(Value.formatTime(sent.at) == expected, "zone \(zone)")
        }
    }

    @Test func unknownZoneFallsBackToJourneyThenPolicy() {
        let engine = JourneyEngine(
            catalog: catalog([JourneyBuilder("j", timeZone: "Asia/Tokyo", steps: [])], policy: DeliveryPolicyProgram(defaultTimeZone: "Europe/Paris"))
        )
        let profile = CustomerProfile(id: "c", timeZone: "Mars/Olympus_Mons")
        #expect(engine.timeZoneIdentifier(for: profile, journey: engine.currentProgram(named: "j")) == "Asia/Tokyo")
        #expect(engine.timeZoneIdentifier(for: profile, journey: nil) == "Europe/Paris")
    }

    @Test func scheduleFiresPerCustomerZoneEveryWeek() {
        let weekly = JourneyBuilder(
            "weekly", trigger: .schedule(segment: "active", at: LocalTime(hour: 9, minute: 0), weekdays: [.monday]), steps: [.send(.email, "digest")])
        let engine = JourneyEngine(catalog: catalog([weekly], segments: ["active": attr("active") == .literal(.bool(true))]))
        var paris = CustomerDriver(
            engine, profile: CustomerProfile(id: "p", email: "p@x.y", timeZone: "Europe/Paris", attributes: ["active": .bool(true)]))
        var tokyo = CustomerDriver(
            engine, profile: CustomerProfile(id: "t", email: "t@x.y", timeZone: "Asia/Tokyo", attributes: ["active": .bool(true)]))
        var idle = CustomerDriver(engine, profile: CustomerProfile(id: "i", email: "i@x.y", timeZone: "Asia/Tokyo"))
        let end = t0 + 14 * day - 1
        paris.advance(to: end)
        tokyo.advance(to: end)
        idle.advance(to: end)
        // t0 is Monday 00:00Z: Paris 09:00 CET = 08:00Z the same day; Tokyo's Monday 09:00 already
        // passed (00:00Z), so its first is the next Monday.
        #expect(paris.outbox.map { Value.formatTime($0.at) } == ["2026-03-02T08:00:00Z", "2026-03-09T08:00:00Z"])
        #expect(tokyo.outbox.map { Value.formatTime($0.at) } == ["2026-03-09T00:00:00Z"])
        #expect(idle.outbox.isEmpty)
        #expect(paris.state.schedules["weekly"] == utc("2026-03-16T08:00:00Z"))
    }

    @Test func scheduleAcrossSpringForwardKeepsLocalTime() {
        // Paris moves to CEST on 2026-03-29: the Monday 09:00 digest moves from 08:00Z to 07:00Z.
        let weekly = JourneyBuilder(
            "weekly", trigger: .schedule(segment: nil, at: LocalTime(hour: 9, minute: 0), weekdays: [.monday]), entry: .always,
            steps: [.send(.email, "digest")])
        let engine = JourneyEngine(catalog: catalog([weekly]))
        var c = CustomerDriver(engine, profile: CustomerProfile(id: "p", email: "p@x.y", timeZone: "Europe/Paris"), at: utc("2026-03-22T00:00:00Z"))
        c.advance(to: utc("2026-04-07T00:00:00Z"))
        #expect(c.outbox.map { Value.formatTime($0.at) } == ["2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z"])
    }

    /// A `wait until 10:00` started in Paris, when the customer moves to New York before 10:00
    /// Paris: the wait ends at 10:00 New York time (the rule schedules follow), and the timeline
    /// records the new deadline. Without a change the deadline is 10:00 Paris.
    @Test(arguments: [
        ("America/New_York", "2026-03-10T14:00:00Z"),  // EDT since 8 March: 10:00 = 14:00Z
        ("Asia/Tokyo", "2026-03-11T01:00:00Z"),  // 16:00 in Tokyo at the change: tomorrow's 10:00
        ("Europe/Paris", "2026-03-10T09:00:00Z"),  // no change
    ])
    func waitUntilFollowsATimeZoneChange(newZone: String, expected: String) throws {
        let journey = JourneyBuilder("j", steps: [.waitUntil(LocalTime(hour: 10, minute: 0)), .send(.email, "hello")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        let start = utc("2026-03-10T06:00:00Z")  // 07:00 in Paris
        var c = CustomerDriver(engine, profile: CustomerProfile(id: "c", email: "c@x.y", timeZone: "Europe/Paris"), at: start)
        c.event("start", at: start)
        #expect(c.state.instances.first?.deadline == utc("2026-03-10T09:00:00Z"))
        c.profile(CustomerProfile(id: "c", timeZone: newZone), at: utc("2026-03-10T07:00:00Z"))
        c.advance(to: utc("2026-03-12T00:00:00Z"))
        let sent = try #require(c.outbox.first)
        #expect(Value.formatTime(sent.at) == expected)
        let waits = c.timeline.compactMap { if case .waiting(_, let until, nil) = $0.kind { Value.formatTime(until) } else { nil } }
        #expect(waits == (newZone == "Europe/Paris" ? [expected] : ["2026-03-10T09:00:00Z", expected]))
    }

    /// `wait 2 calendar days` keeps the local time of day across the spring-forward change (New
    /// York, 8 March 2026): 47 hours. `wait 2 days` is 48 hours and drifts to 11:00 local.
    @Test(arguments: [
        (Step.waitCalendarDays(2), "2026-03-09T14:00:00Z"),  // 10:00 EDT
        (Step.wait(2 * day), "2026-03-09T15:00:00Z"),  // 11:00 EDT
    ])
    func calendarDaysKeepTheLocalTimeAcrossDST(wait: Step, expected: String) throws {
        let engine = JourneyEngine(catalog: catalog([JourneyBuilder("j", steps: [wait, .send(.email, "hello")])]))
        let start = utc("2026-03-07T15:00:00Z")  // Saturday 10:00 EST
        var c = CustomerDriver(engine, profile: CustomerProfile(id: "c", email: "c@x.y", timeZone: "America/New_York"), at: start)
        c.event("start", at: start)
        c.advance(to: utc("2026-03-12T00:00:00Z"))
        #expect(c.outbox.map { Value.formatTime($0.at) } == [expected])
    }

    @Test(arguments: [
        // (zone, start, days, expected): autumn (25-hour day), a zone without DST, a gap at the
        // target time (02:30 does not exist on 29 March 2026 in Paris: 03:00 CEST).
        ("Europe/Paris", "2026-10-24T08:00:00Z", 1, "2026-10-25T09:00:00Z"),
        ("Asia/Tokyo", "2026-03-07T01:00:00Z", 3, "2026-03-10T01:00:00Z"),
        ("Europe/Paris", "2026-03-28T01:30:00Z", 1, "2026-03-29T01:00:00Z"),
    ])
    func calendarDayArithmetic(zone: String, start: String, days: Int, expected: String) throws {
        let tz = try #require(LocalClock.zone(zone))
        #expect(Value.formatTime(LocalClock.adding(calendarDays: days, to: utc(start), in: tz)) == expected)
    }

    @Test func localHourAndWeekdayFunctions() {
        let evaluator = ExpressionEvaluator(
            profile: CustomerProfile(id: "c"), event: nil, now: t0, timeZone: "Pacific/Kiritimati", history: EventHistory(), segments: [:])
        #expect(evaluator.value(of: .call(.localHour, [.now])) == .number(14))
        #expect(evaluator.value(of: .call(.localWeekday, [.now])) == .number(1))
    }
}
