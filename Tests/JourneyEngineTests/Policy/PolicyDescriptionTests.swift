import JourneyLanguage
import Testing

@testable import JourneyEngine

struct PolicyDescriptionTests {
    @Test("reasons read like a sentence, instants in the customer's zone")
    func reasons() throws {
        let midnight = try Fixture.instant("2026-11-24T00:00:00+01:00")
        let cap = DecisionReason.capReached(cap: "marketing_per_day", count: 3, limit: 3, freesAt: midnight)
        #expect(cap.description(timeZone: "Europe/Berlin") == "cap `marketing_per_day` reached (3/3), frees at 2026-11-24T00:00:00+01:00")
        #expect(cap.description == "cap `marketing_per_day` reached (3/3), frees at 2026-11-23T23:00:00Z")
        let quiet = DecisionReason.quietHours(
            channel: .sms, start: Fixture.localTime("21:00"), end: Fixture.localTime("08:00"), endsAt: midnight + 8 * 3600)
        #expect(quiet.description(timeZone: "Europe/Berlin") == "quiet hours 21:00–08:00 for sms, end at 2026-11-24T08:00:00+01:00")
        #expect(
            DecisionReason.conflict(winner: "cart_abandonment", winnerPriority: 80).description
                == "journey `cart_abandonment` (priority 80) won the settle window")
        #expect(
            DecisionReason.deferBoundExpired(bound: 5400, blockedBy: .noConsent(channel: .sms, topic: nil)).description
                == "not allowed within the 1h30m defer bound: no consent for sms")
        #expect(
            DecisionReason.fallbackBlocked(
                from: .sms, because: .missingContact(channel: .sms), fallback: .email, blockedBy: .noConsent(channel: .email, topic: "news")
            ).description == "sms: no phone number for sms; fallback email: no consent for topic `news` (requested on email)")
    }

    @Test("decisions read like a sentence")
    func decisions() throws {
        let until = try Fixture.instant("2026-03-09T08:00:00-04:00")
        #expect(DeliveryDecision.send(channel: .email, notes: []).description == "send on email")
        #expect(
            DeliveryDecision.send(channel: .email, notes: [.fellBack(from: .sms, because: .noConsent(channel: .sms, topic: nil))]).description
                == "send on email (fell back from sms: no consent for sms)")
        #expect(
            DeliveryDecision.deferred(until: until, reason: .minimumGap(lastSentAt: until - 14400, gap: 14400, allowedAt: until))
                .description(timeZone: "America/New_York")
                == "deferred until 2026-03-09T08:00:00-04:00: minimum gap of 4h between marketing messages (last sent at 2026-03-09T04:00:00-04:00), allowed at 2026-03-09T08:00:00-04:00"
        )
        #expect(DeliveryDecision.skipped(reason: .duplicate(requestID: "c/j/1/s")).description == "skipped: request `c/j/1/s` was already sent")
    }
}
