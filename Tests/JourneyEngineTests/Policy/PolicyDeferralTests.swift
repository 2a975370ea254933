import JourneyLanguage
import Testing

@testable import JourneyEngine

struct PolicyDeferralTests {
    let t0 = 1_780_000_000.0

    @Test("a deferred send whose bound would be exceeded is skipped with the bound and the blocker")
    func boundExpires() {
        let policy = Fixture.policy(caps: [Fixture.cap("one_per_day", 1, .rolling(seconds: Fixture.day))])
        let ledger = [Fixture.entry("a", at: t0)]
        let request = Fixture.request("b", whenCapped: .deferUpTo(seconds: 6 * Fixture.hour), at: t0 + Fixture.hour)
        let cap = DecisionReason.capReached(cap: "one_per_day", count: 1, limit: 1, freesAt: t0 + Fixture.day)
        #expect(
            Fixture.decide(policy, request, ledger: ledger, now: t0 + Fixture.hour)
                == .skipped(reason: .deferBoundExpired(bound: 6 * Fixture.hour, blockedBy: cap)))
    }

    @Test(
        "the bound counts from requestedAt, not from the re-presentation",
        arguments: [
            (23.0, true), (22.0, false),
        ])
    func boundFromRequestedAt(boundHours: Double, deferred: Bool) {
        let policy = Fixture.policy(caps: [Fixture.cap("one_per_day", 1, .rolling(seconds: Fixture.day))])
        let ledger = [Fixture.entry("a", at: t0)]
        // Requested an hour after the last send, re-presented 10 hours later.
        let request = Fixture.request("b", whenCapped: .deferUpTo(seconds: boundHours * Fixture.hour), at: t0 + Fixture.hour)
        let decision = Fixture.decide(policy, request, ledger: ledger, now: t0 + 11 * Fixture.hour)
        #expect((decision.deferredUntil == t0 + Fixture.day) == deferred)
    }

    @Test("the deferral target satisfies every rule at once: cap, gap and quiet hours")
    func targetSatisfiesAll() throws {
        let policy = Fixture.policy(
            caps: [Fixture.cap("two_per_day", 2, .rolling(seconds: Fixture.day))], minimumGap: 6 * Fixture.hour,
            quietHours: [Fixture.quiet("22:00", "07:00")])
        let a = try Fixture.instant("2026-06-01T09:00:00Z")
        let b = try Fixture.instant("2026-06-01T16:00:00Z")
        let now = try Fixture.instant("2026-06-01T17:00:00Z")
        let request = Fixture.request("c", whenCapped: .deferUpTo(seconds: 2 * Fixture.day), at: now)
        let ledger = [Fixture.entry("a", at: a), Fixture.entry("b", at: b)]
        let decision = Fixture.decide(policy, request, ledger: ledger, now: now)
        // The cap frees last (a + 24h = 09:00 next day); by then the gap has passed and quiet hours ended.
        #expect(decision.deferredUntil == (try Fixture.instant("2026-06-02T09:00:00Z")))
        let until = try #require(decision.deferredUntil)
        #expect(Fixture.decide(policy, request, ledger: ledger, now: until).sentChannel == .email)
    }
}
