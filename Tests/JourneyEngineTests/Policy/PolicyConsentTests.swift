import JourneyLanguage
import Testing

@testable import JourneyEngine

struct PolicyConsentTests {
    let now = 1_780_000_000.0
    let policy = Fixture.policy()

    @Test("no SMS consent: falls back to email, with the reason as a note")
    func fallbackSMSToEmail() {
        let decision = Fixture.decide(
            policy, Fixture.request("a", channel: .sms, fallback: .email, at: now),
            contact: Fixture.contact(subscriptions: ["sms": false]), now: now)
        #expect(decision == .send(channel: .email, notes: [.fellBack(from: .sms, because: .noConsent(channel: .sms, topic: nil))]))
    }

    @Test("no consent and no fallback: never sent")
    func noConsentNoFallback() {
        let decision = Fixture.decide(
            policy, Fixture.request("a", channel: .sms, at: now), contact: Fixture.contact(subscriptions: ["sms": false]), now: now)
        #expect(decision == .skipped(reason: .noConsent(channel: .sms, topic: nil)))
    }

    @Test(
        "missing contact data is a decision with a reason, and falls back if declared",
        arguments: [
            (Channel.sms, Channel?.none, false, DeliveryDecision.skipped(reason: .missingContact(channel: .sms))),
            (.email, .none, false, .skipped(reason: .missingContact(channel: .email))),
            (.sms, .email, true, .send(channel: .email, notes: [.fellBack(from: .sms, because: .missingContact(channel: .sms))])),
        ])
    func missingContact(channel: Channel, fallback: Channel?, hasEmail: Bool, expected: DeliveryDecision) {
        let contact = Fixture.contact(email: hasEmail || channel == .sms, phone: false)
        #expect(Fixture.decide(policy, Fixture.request("a", channel: channel, fallback: fallback, at: now), contact: contact, now: now) == expected)
    }

    @Test("the fallback channel is checked too: both blocked → skipped with both reasons")
    func fallbackAlsoBlocked() {
        let decision = Fixture.decide(
            policy, Fixture.request("a", channel: .sms, fallback: .email, at: now),
            contact: Fixture.contact(subscriptions: ["sms": false, "email": false]), now: now)
        #expect(
            decision
                == .skipped(
                    reason: .fallbackBlocked(
                        from: .sms, because: .noConsent(channel: .sms, topic: nil), fallback: .email,
                        blockedBy: .noConsent(channel: .email, topic: nil))))
    }

    @Test("topic consent: leaving a topic blocks it on every channel")
    func topicConsent() {
        let contact = Fixture.contact(subscriptions: ["topic:newsletter": false])
        let newsletter = Fixture.request("a", channel: .email, topic: "newsletter", fallback: .sms, at: now)
        #expect(Fixture.decide(policy, newsletter, contact: contact, now: now) == .skipped(reason: .noConsent(channel: .email, topic: "newsletter")))
        let offers = Fixture.request("b", channel: .email, topic: "offers", at: now)
        #expect(Fixture.decide(policy, offers, contact: contact, now: now).sentChannel == .email)
    }

    @Test("transactional: no consent needed, contact data still is; never capped, deferred or quiet")
    func transactionalBypass() throws {
        let strict = Fixture.policy(
            caps: [Fixture.cap("nothing", 0, .calendarDay, category: nil)], minimumGap: Fixture.day,
            quietHours: [Fixture.quiet("00:00", "23:59")], transactionalCountsTowardCaps: true)
        let contact = Fixture.contact(subscriptions: ["email": false, "sms": false])
        let ledger = [Fixture.entry("promo", at: now - 60, journey: "other", priority: 99)]
        let receipt = Fixture.request("r", channel: .email, category: .transactional, at: now)
        #expect(Fixture.decide(strict, receipt, ledger: ledger, contact: contact, now: now) == .send(channel: .email, notes: []))
        let noPhone = Fixture.contact(email: true, phone: false)
        let code = Fixture.request("otp", channel: .sms, category: .transactional, fallback: .email, at: now)
        #expect(
            Fixture.decide(strict, code, contact: noPhone, now: now)
                == .send(channel: .email, notes: [.fellBack(from: .sms, because: .missingContact(channel: .sms))]))
        let nothing = Fixture.contact(email: false, phone: false)
        #expect(
            Fixture.decide(strict, Fixture.request("x", channel: .sms, category: .transactional, at: now), contact: nothing, now: now)
                == .skipped(reason: .missingContact(channel: .sms)))
    }

    @Test("whenCapped: fallback sends on the fallback channel when the cap covers only the first")
    func cappedFallback() {
        let policy = Fixture.policy(caps: [Fixture.cap("one_sms", 1, .rolling(seconds: Fixture.day), channels: [.sms])])
        let ledger = [Fixture.entry("a", at: now - 60, channel: .sms)]
        let decision = Fixture.decide(
            policy, Fixture.request("b", channel: .sms, fallback: .email, whenCapped: .fallback, at: now), ledger: ledger, now: now)
        #expect(
            decision
                == .send(
                    channel: .email,
                    notes: [.fellBack(from: .sms, because: .capReached(cap: "one_sms", count: 1, limit: 1, freesAt: now - 60 + Fixture.day))]))
    }

    @Test("a request id already in the ledger is a duplicate, also inside one batch")
    func duplicate() {
        let ledger = [Fixture.entry("a", at: now - Fixture.hour)]
        #expect(Fixture.decide(policy, Fixture.request("a", at: now), ledger: ledger, now: now) == .skipped(reason: .duplicate(requestID: "a")))
        let twice = [Fixture.request("b", at: now), Fixture.request("b", at: now)]
        let decisions = policy.decide(twice, ledger: SendLedger(), contact: Fixture.contact(), now: now)
        #expect(decisions.filter { $0.sentChannel != nil }.count == 1)
        #expect(decisions.contains(.skipped(reason: .duplicate(requestID: "b"))))
        let receipt = Fixture.request("a", category: .transactional, at: now)
        #expect(Fixture.decide(policy, receipt, ledger: ledger, now: now) == .skipped(reason: .duplicate(requestID: "a")))
    }
}
