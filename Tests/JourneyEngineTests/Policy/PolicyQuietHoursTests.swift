import JourneyLanguage
import Testing

@testable import JourneyEngine

struct PolicyQuietHoursTests {
    let overnight = Fixture.policy(quietHours: [Fixture.quiet("21:00", "08:00")])

    @Test(
        "a marketing send inside a window spanning midnight is deferred to its end",
        arguments: [
            ("Europe/Berlin", "2026-06-01T22:15:00+02:00", "2026-06-02T08:00:00+02:00"),
            ("Europe/Berlin", "2026-06-02T03:00:00+02:00", "2026-06-02T08:00:00+02:00"),
            ("Europe/Berlin", "2026-06-01T21:00:00+02:00", "2026-06-02T08:00:00+02:00"),
            // The nights the clocks change: the window ends at 08:00 local all the same.
            ("America/New_York", "2026-03-07T23:00:00-05:00", "2026-03-08T08:00:00-04:00"),
            ("America/New_York", "2026-10-31T23:00:00-04:00", "2026-11-01T08:00:00-05:00"),
            ("Asia/Kolkata", "2026-01-10T06:00:00+05:30", "2026-01-10T08:00:00+05:30"),
        ])
    func deferredToWindowEnd(zone: String, at: String, end: String) throws {
        let now = try Fixture.instant(at)
        let endsAt = try Fixture.instant(end)
        let decision = Fixture.decide(overnight, Fixture.request("a", at: now), contact: Fixture.contact(zone), now: now)
        #expect(
            decision
                == .deferred(
                    until: endsAt,
                    reason: .quietHours(
                        channel: .email, start: Fixture.localTime("21:00"), end: Fixture.localTime("08:00"), endsAt: endsAt)))
    }

    @Test(
        "outside the window, at its end, and just before its start the send goes",
        arguments: [
            "2026-06-02T08:00:00+02:00", "2026-06-02T12:00:00+02:00", "2026-06-01T20:59:00+02:00",
        ])
    func outsideWindow(at: String) throws {
        let now = try Fixture.instant(at)
        #expect(Fixture.decide(overnight, Fixture.request("a", at: now), contact: Fixture.contact("Europe/Berlin"), now: now).sentChannel == .email)
    }

    @Test("inQuietHours: skip skips instead of deferring")
    func skipRule() throws {
        let now = try Fixture.instant("2026-06-01T23:00:00Z")
        let decision = Fixture.decide(overnight, Fixture.request("a", inQuietHours: .skip, at: now), now: now)
        #expect(decision.skipReason.map { if case .quietHours = $0 { true } else { false } } == true)
    }

    @Test("quiet hours apply per channel and never to transactional messages")
    func perChannelAndTransactional() throws {
        let policy = Fixture.policy(quietHours: [Fixture.quiet("20:00", "09:00", channels: [.sms])])
        let now = try Fixture.instant("2026-06-01T23:00:00Z")
        #expect(Fixture.decide(policy, Fixture.request("a", channel: .email, at: now), now: now).sentChannel == .email)
        #expect(Fixture.decide(policy, Fixture.request("b", channel: .sms, at: now), now: now).deferredUntil != nil)
        #expect(
            Fixture.decide(policy, Fixture.request("c", channel: .sms, category: .transactional, at: now), now: now)
                == .send(channel: .sms, notes: []))
    }

    @Test("a same-day window, and an end that does not exist on a spring-forward night")
    func sameDayWindowAndSkippedEnd() throws {
        let lunch = Fixture.policy(quietHours: [Fixture.quiet("12:00", "14:00")])
        let noon = try Fixture.instant("2026-06-01T12:30:00Z")
        #expect(Fixture.decide(lunch, Fixture.request("a", at: noon), now: noon).deferredUntil == (try Fixture.instant("2026-06-01T14:00:00Z")))

        let night = Fixture.policy(quietHours: [Fixture.quiet("22:00", "02:30")])
        let now = try Fixture.instant("2026-03-07T23:00:00-05:00")
        // 02:30 is skipped in New York on 2026-03-08: the window ends when clocks jump to 03:00 EDT.
        let decision = Fixture.decide(night, Fixture.request("a", at: now), contact: Fixture.contact("America/New_York"), now: now)
        #expect(decision.deferredUntil == (try Fixture.instant("2026-03-08T03:00:00-04:00")))
    }

    @Test("a deferral caused only by quiet hours is not bounded by deferUpTo")
    func quietHoursIgnoreBound() throws {
        let now = try Fixture.instant("2026-06-01T22:00:00Z")
        let request = Fixture.request("a", whenCapped: .deferUpTo(seconds: Fixture.hour), at: now)
        #expect(Fixture.decide(overnight, request, now: now).deferredUntil == (try Fixture.instant("2026-06-02T08:00:00Z")))
    }

    @Test("cap and quiet hours together: the first instant both allow, within the bound")
    func capThenQuietHours() throws {
        let policy = Fixture.policy(
            caps: [Fixture.cap("one_per_day", 1, .calendarDay)], quietHours: [Fixture.quiet("21:00", "08:00")])
        let sent = try Fixture.instant("2026-06-01T10:00:00Z")
        let now = try Fixture.instant("2026-06-01T18:00:00Z")
        // The cap frees at midnight, inside quiet hours: the send goes at 08:00.
        let within = Fixture.request("b", whenCapped: .deferUpTo(seconds: Fixture.day), at: now)
        let decision = Fixture.decide(policy, within, ledger: [Fixture.entry("a", at: sent)], now: now)
        let eight = try Fixture.instant("2026-06-02T08:00:00Z")
        #expect(
            decision
                == .deferred(
                    until: eight,
                    reason: .quietHours(channel: .email, start: Fixture.localTime("21:00"), end: Fixture.localTime("08:00"), endsAt: eight)))
        // With a 10-hour bound (until 04:00) the cap frees in time but quiet hours do not end: skipped.
        let tight = Fixture.request("b", whenCapped: .deferUpTo(seconds: 10 * Fixture.hour), at: now)
        let expired = Fixture.decide(policy, tight, ledger: [Fixture.entry("a", at: sent)], now: now)
        #expect(
            expired
                == .skipped(
                    reason: .deferBoundExpired(
                        bound: 10 * Fixture.hour,
                        blockedBy: .quietHours(
                            channel: .email, start: Fixture.localTime("21:00"), end: Fixture.localTime("08:00"), endsAt: eight))))
    }
}
