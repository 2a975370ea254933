import JourneyLanguage
import Testing

@testable import JourneyEngine

struct PolicyCapTests {
    let t0 = 1_780_000_000.0  // 2026-05-28T20:26:40Z

    @Test("a rolling cap blocks at its limit and frees when the oldest counted send is a window old")
    func rollingCapHitThenFreed() throws {
        let policy = Fixture.policy(caps: [Fixture.cap("two_per_day", 2, .rolling(seconds: Fixture.day))])
        let ledger = [Fixture.entry("a", at: t0), Fixture.entry("b", at: t0 + Fixture.hour)]
        let blocked = Fixture.decide(policy, Fixture.request("c", at: t0 + 2 * Fixture.hour), ledger: ledger, now: t0 + 2 * Fixture.hour)
        #expect(blocked == .skipped(reason: .capReached(cap: "two_per_day", count: 2, limit: 2, freesAt: t0 + Fixture.day)))
        // One second before the window passes: still blocked; at the instant: allowed.
        let justBefore = t0 + Fixture.day - 1
        #expect(Fixture.decide(policy, Fixture.request("c", at: justBefore), ledger: ledger, now: justBefore).sentChannel == nil)
        let atWindow = t0 + Fixture.day
        #expect(Fixture.decide(policy, Fixture.request("c", at: atWindow), ledger: ledger, now: atWindow).sentChannel == .email)
    }

    @Test("a deferred capped send goes to the instant the cap frees")
    func deferToCapFree() {
        let policy = Fixture.policy(caps: [Fixture.cap("one_per_6h", 1, .rolling(seconds: 6 * Fixture.hour))])
        let request = Fixture.request("b", whenCapped: .deferUpTo(seconds: Fixture.day), at: t0 + 60)
        let decision = Fixture.decide(policy, request, ledger: [Fixture.entry("a", at: t0)], now: t0 + 60)
        #expect(
            decision
                == .deferred(
                    until: t0 + 6 * Fixture.hour,
                    reason: .capReached(cap: "one_per_6h", count: 1, limit: 1, freesAt: t0 + 6 * Fixture.hour)))
    }

    @Test(
        "a calendar-day cap resets at local midnight, also on DST days",
        arguments: [
            // zone, last send, a moment before local midnight, local midnight
            ("America/New_York", "2026-03-08T09:00:00-04:00", "2026-03-08T23:59:59-04:00", "2026-03-09T00:00:00-04:00"),
            ("America/New_York", "2026-11-01T09:00:00-05:00", "2026-11-01T23:59:59-05:00", "2026-11-02T00:00:00-05:00"),
            ("America/New_York", "2026-03-07T20:00:00-05:00", "2026-03-07T23:59:59-05:00", "2026-03-08T00:00:00-05:00"),
            ("Europe/Berlin", "2026-03-29T01:00:00+01:00", "2026-03-29T23:59:59+02:00", "2026-03-30T00:00:00+02:00"),
            ("Europe/Berlin", "2026-10-25T02:30:00+01:00", "2026-10-25T23:59:59+01:00", "2026-10-26T00:00:00+01:00"),
            ("Europe/Berlin", "2026-11-23T10:00:00+01:00", "2026-11-23T23:59:59+01:00", "2026-11-24T00:00:00+01:00"),
        ])
    func calendarDayReset(zone: String, sent: String, before: String, midnight: String) throws {
        let policy = Fixture.policy(caps: [Fixture.cap("one_per_day", 1, .calendarDay)])
        let ledger = [Fixture.entry("a", at: try Fixture.instant(sent))]
        let contact = Fixture.contact(zone)
        let beforeMidnight = try Fixture.instant(before)
        let atMidnight = try Fixture.instant(midnight)
        let blocked = Fixture.decide(policy, Fixture.request("b", at: beforeMidnight), ledger: ledger, contact: contact, now: beforeMidnight)
        #expect(blocked == .skipped(reason: .capReached(cap: "one_per_day", count: 1, limit: 1, freesAt: atMidnight)))
        let freed = Fixture.decide(policy, Fixture.request("b", at: atMidnight), ledger: ledger, contact: contact, now: atMidnight)
        #expect(freed == .send(channel: .email, notes: []))
    }

    @Test("a calendar-day cap counts the local day, not the UTC day")
    func calendarDayIsLocal() throws {
        let policy = Fixture.policy(caps: [Fixture.cap("one_per_day", 1, .calendarDay)])
        // 23:30 in New York on Nov 23 is 04:30 UTC on Nov 24: a different UTC day, the same local one.
        let sent = try Fixture.instant("2026-11-23T08:00:00-05:00")
        let now = try Fixture.instant("2026-11-23T23:30:00-05:00")
        let decision = Fixture.decide(
            policy, Fixture.request("b", at: now), ledger: [Fixture.entry("a", at: sent)],
            contact: Fixture.contact("America/New_York"), now: now)
        #expect(decision.skipReason != nil)
        let inUTC = Fixture.decide(policy, Fixture.request("b", at: now), ledger: [Fixture.entry("a", at: sent)], now: now)
        #expect(inUTC.sentChannel == .email)
    }

    @Test("several caps at once: the one that frees last is reported, and decides the deferral")
    func severalCaps() {
        let policy = Fixture.policy(caps: [
            Fixture.cap("three_per_week", 3, .rolling(seconds: 7 * Fixture.day)),
            Fixture.cap("one_per_hour", 1, .rolling(seconds: Fixture.hour)),
            Fixture.cap("two_per_day", 2, .rolling(seconds: Fixture.day)),
        ])
        let ledger = [Fixture.entry("a", at: t0), Fixture.entry("b", at: t0 + 2 * Fixture.hour)]
        let now = t0 + 2 * Fixture.hour + 60
        let decision = Fixture.decide(
            policy, Fixture.request("c", whenCapped: .deferUpTo(seconds: 3 * Fixture.day), at: now), ledger: ledger, now: now)
        // one_per_hour frees at b + 1h, two_per_day at a + 24h: the day cap is the strictest.
        #expect(
            decision
                == .deferred(
                    until: t0 + Fixture.day,
                    reason: .capReached(cap: "two_per_day", count: 2, limit: 2, freesAt: t0 + Fixture.day)))
    }

    @Test("cap scopes: per channel, across channels, per category")
    func capScopes() {
        let policy = Fixture.policy(caps: [
            Fixture.cap("one_sms_per_day", 1, .rolling(seconds: Fixture.day), channels: [.sms]),
            Fixture.cap("three_per_day", 3, .rolling(seconds: Fixture.day)),
        ])
        let now = t0 + 600
        let ledger = [Fixture.entry("a", at: t0, channel: .sms)]
        #expect(Fixture.decide(policy, Fixture.request("b", channel: .sms, at: now), ledger: ledger, now: now).skipReason != nil)
        #expect(Fixture.decide(policy, Fixture.request("b", channel: .email, at: now), ledger: ledger, now: now).sentChannel == .email)
        let three = [
            Fixture.entry("a", at: t0, channel: .sms), Fixture.entry("b", at: t0 + 1, channel: .email),
            Fixture.entry("c", at: t0 + 2, channel: .webhook),
        ]
        #expect(
            Fixture.decide(policy, Fixture.request("d", channel: .email, at: now), ledger: three, now: now)
                == .skipped(reason: .capReached(cap: "three_per_day", count: 3, limit: 3, freesAt: t0 + Fixture.day)))
        // Transactional entries do not count toward a marketing cap.
        let transactional = three.map { entry -> LedgerEntry in
            var entry = entry
            entry.category = .transactional
            return entry
        }
        #expect(Fixture.decide(policy, Fixture.request("d", at: now), ledger: transactional, now: now).sentChannel == .email)
    }

    @Test(
        "transactional entries count toward category-less caps only when the policy says so",
        arguments: [(false, true), (true, false)])
    func transactionalCounting(counts: Bool, allowed: Bool) {
        let policy = Fixture.policy(
            caps: [Fixture.cap("one_message_per_day", 1, .rolling(seconds: Fixture.day), category: nil)],
            transactionalCountsTowardCaps: counts)
        let ledger = [Fixture.entry("receipt", at: t0, category: .transactional)]
        let decision = Fixture.decide(policy, Fixture.request("promo", at: t0 + 60), ledger: ledger, now: t0 + 60)
        #expect((decision.sentChannel != nil) == allowed)
    }

    @Test("journey caps: each journey counted separately, or one named journey")
    func journeyScopes() {
        let each = Fixture.policy(caps: [Fixture.cap("one_per_journey", 1, .rolling(seconds: Fixture.day), journey: .each)])
        let ledger = [Fixture.entry("a", at: t0, journey: "welcome")]
        let now = t0 + 3 * Fixture.hour
        #expect(Fixture.decide(each, Fixture.request("b", journey: "welcome", at: now), ledger: ledger, now: now).skipReason != nil)
        #expect(Fixture.decide(each, Fixture.request("b", journey: "winback", at: now), ledger: ledger, now: now).sentChannel != nil)

        let named = Fixture.policy(journeyCaps: [
            Fixture.cap("winback_once_a_week", 1, .rolling(seconds: 7 * Fixture.day), journey: .named("winback"))
        ])
        let winbackLedger = [Fixture.entry("a", at: t0, journey: "winback")]
        #expect(Fixture.decide(named, Fixture.request("b", journey: "winback", at: now), ledger: winbackLedger, now: now).skipReason != nil)
        #expect(Fixture.decide(named, Fixture.request("b", journey: "welcome", at: now), ledger: winbackLedger, now: now).sentChannel != nil)
        // The named cap counts only its journey's sends.
        let welcomeLedger = [Fixture.entry("a", at: t0, journey: "welcome")]
        #expect(Fixture.decide(named, Fixture.request("b", journey: "winback", at: now), ledger: welcomeLedger, now: now).sentChannel != nil)
    }

    @Test("a cap with limit 0 never frees: deferral gives up at once")
    func zeroLimit() {
        let policy = Fixture.policy(caps: [Fixture.cap("no_sms", 0, .calendarDay, channels: [.sms])])
        let decision = Fixture.decide(
            policy, Fixture.request("a", channel: .sms, whenCapped: .deferUpTo(seconds: Fixture.day), at: t0), now: t0)
        #expect(
            decision
                == .skipped(
                    reason: .deferBoundExpired(
                        bound: Fixture.day, blockedBy: .capReached(cap: "no_sms", count: 0, limit: 0, freesAt: .infinity))))
    }

    @Test("sends allowed earlier in a batch count toward the caps later ones read")
    func batchCountsItself() {
        let policy = Fixture.policy(caps: [Fixture.cap("two_per_day", 2, .rolling(seconds: Fixture.day))])
        let requests = (0..<3).map { Fixture.request("r\($0)", journey: "welcome", at: t0) }
        let decisions = policy.decide(requests, ledger: SendLedger(), contact: Fixture.contact(), now: t0 + 60)
        #expect(decisions.map(\.sentChannel) == [.email, .email, nil])
    }

    @Test("the minimum gap spaces marketing messages on any channel")
    func minimumGap() {
        let policy = Fixture.policy(minimumGap: 4 * Fixture.hour)
        let ledger = [Fixture.entry("a", at: t0, channel: .sms), Fixture.entry("receipt", at: t0 + 3 * Fixture.hour, category: .transactional)]
        let now = t0 + Fixture.hour
        #expect(
            Fixture.decide(policy, Fixture.request("b", whenCapped: .deferUpTo(seconds: Fixture.day), at: now), ledger: ledger, now: now)
                == .deferred(
                    until: t0 + 4 * Fixture.hour,
                    reason: .minimumGap(lastSentAt: t0, gap: 4 * Fixture.hour, allowedAt: t0 + 4 * Fixture.hour)))
        let later = t0 + 4 * Fixture.hour
        #expect(Fixture.decide(policy, Fixture.request("b", at: later), ledger: ledger, now: later).sentChannel == .email)
    }
}
