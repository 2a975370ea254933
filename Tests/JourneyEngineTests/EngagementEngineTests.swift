import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// Engagement events (`<channel>.<kind>` with `message_id`): tied to their message, counted once
/// per message, and closing the channel when they are a hard bounce, a complaint, an unsubscribe
/// or a STOP reply — with the cause named on every later skipped send.
struct EngagementEngineTests {
    static let source = """
        policy
          cap marketing 10 per day

        journey promo
          trigger on event "signed_up"
          goal event "order.completed" within 30 days
          split "offer"
            variant discount 50%
              send email offer_discount
            variant story 50%
              send email offer_story
          wait 1 day
          send email follow_up
          wait 1 day
          send sms nudge
          wait 1 day
          send email receipt transactional
          wait 1 day
          send email digest topic "weekly"

        """

    static func engine() throws -> JourneyEngine {
        let result = JourneyCompiler.compile(sources: ["a.journey": Self.source])
        return JourneyEngine(catalog: try #require(result.catalog, "\(result.diagnostics)"))
    }

    static func skips(_ c: CustomerDriver) -> [(String, DecisionReason)] {
        c.timeline.compactMap { if case .skipped(_, let message, _, let reason) = $0.kind { (message, reason) } else { nil } }
    }

    static func engaged(_ c: CustomerDriver) -> [EngagementRecord] {
        c.timeline.compactMap { if case .engaged(let e) = $0.kind { e } else { nil } }
    }

    @Test func aHardBounceSuppressesTheAddressForLaterSendsWithTheReason() throws {
        var c = CustomerDriver(try Self.engine())
        c.event("signed_up", at: t0)
        c.advance(to: t0 + 1)
        let first = try #require(c.outbox.first)
        #expect(first.id.hasPrefix("c1/promo/1/"))
        c.event("email.bounced", at: t0 + 60, ["message_id": .string(first.id), "bounce": .string("hard")])
        c.advance(to: t0 + 10 * day)
        #expect(c.sends.filter { $0.hasPrefix("email") } == ["email \(first.message)"], "no email after the hard bounce: \(c.sends)")
        #expect(c.sends.contains("sms nudge"), "SMS is another channel")
        let skipped = Self.skips(c)
        let followUp = try #require(skipped.first { $0.0 == "follow_up" })
        let text = followUp.1.description
        #expect(text.contains("email address suppressed after hard bounce of message \(first.id) on 2026-03-02"), "\(text)")
        // A hard bounce blocks transactional mail to the address too.
        #expect(skipped.contains { $0.0 == "receipt" })
        // The suppression follows the address: a new address receives again.
        c.profile(CustomerProfile(id: "c1", email: "new@example.com"), at: t0 + 11 * day)
        c.event("signed_up", at: t0 + 40 * day)
        c.advance(to: t0 + 41 * day)
        #expect(c.outbox.last?.channel == .email && c.outbox.last!.at >= t0 + 40 * day, "\(c.sends)")
    }

    @Test func aSoftBounceSuppressesNothingAndAComplaintOnlyMarketing() throws {
        var c = CustomerDriver(try Self.engine())
        c.event("signed_up", at: t0)
        c.advance(to: t0 + 1)
        let first = try #require(c.outbox.first)
        c.event("email.bounced", at: t0 + 60, ["message_id": .string(first.id), "bounce": .string("soft")])
        c.advance(to: t0 + day + 1)
        #expect(c.sends.contains("email follow_up"))
        let followUp = try #require(c.outbox.last)
        c.event("email.complained", at: t0 + day + 60, ["message_id": .string(followUp.id)])
        c.advance(to: t0 + 10 * day)
        #expect(c.sends.contains("email receipt"), "a complaint leaves transactional mail: \(c.sends)")
        let digest = try #require(Self.skips(c).first { $0.0 == "digest" })
        #expect(digest.1.description.contains("suppressed after complaint of message \(followUp.id)"), "\(digest.1)")
    }

    @Test(arguments: [("STOP", true), ("stop ", true), ("HELP", false)])
    func anSMSReplyOfStopUnsubscribesSMSAndHelpDoesNot(keyword: String, stops: Bool) throws {
        var c = CustomerDriver(try Self.engine())
        c.event("signed_up", at: t0)
        c.advance(to: t0 + 2 * day + 1)
        let sms = try #require(c.outbox.first { $0.channel == .sms })
        c.event("sms.replied", at: t0 + 2 * day + 60, ["message_id": .string(sms.id), "keyword": .string(keyword)])
        #expect(c.state.profile.subscriptions["sms"] == (stops ? false : nil))
        #expect(Self.engaged(c).contains { $0.metric == .unsubscribed } == stops)
        // A second campaign: SMS is skipped with the STOP named, or sent.
        c.event("signed_up", at: t0 + 31 * day)
        c.advance(to: t0 + 40 * day)
        let nudges = c.sends.filter { $0 == "sms nudge" }.count
        #expect(nudges == (stops ? 1 : 2), "\(c.sends)")
        if stops {
            let skip = try #require(Self.skips(c).first { $0.0 == "nudge" })
            #expect(skip.1.description.contains("unsubscribed from sms by STOP reply of message \(sms.id)"), "\(skip.1)")
        }
    }

    @Test func anUnsubscribeWithATopicClosesOnlyThatTopic() throws {
        var c = CustomerDriver(try Self.engine())
        c.event("signed_up", at: t0)
        c.advance(to: t0 + 1)
        let first = try #require(c.outbox.first)
        c.event("email.unsubscribed", at: t0 + 60, ["message_id": .string(first.id), "topic": .string("weekly")])
        c.advance(to: t0 + 10 * day)
        #expect(c.sends.contains("email follow_up"))
        #expect(!c.sends.contains("email digest"))
        let digest = try #require(Self.skips(c).first { $0.0 == "digest" })
        #expect(digest.1.description.contains("unsubscribed from topic `weekly` by unsubscribe of message \(first.id)"), "\(digest.1)")
        #expect(c.state.profile.subscriptions["topic:weekly"] == false)
    }

    @Test func engagementIsCountedOncePerMessageAgainstItsStepAndVariant() throws {
        var c = CustomerDriver(try Self.engine())
        c.event("signed_up", at: t0)
        c.advance(to: t0 + 1)
        let first = try #require(c.outbox.first)
        for n in 0..<3 { c.event("email.opened", at: t0 + 60 + Double(n), ["message_id": .string(first.id)]) }
        c.event("email.clicked", at: t0 + 120, ["message_id": .string(first.id), "url": .string("https://example.com")])
        c.event("email.opened", at: t0 + 130, ["message_id": .string("c1/unknown/1/x/email")])  // no such message: not counted
        c.event("order.completed", at: t0 + 3_600, ["revenue": .number(49.5)])
        let records = Self.engaged(c)
        let variant = try #require(c.state.instances.first?.variants.first)
        let label = "offer=\(variant.variant)"
        #expect(records.filter { $0.metric == .opened }.count == 1)
        #expect(records.filter { $0.metric == .clicked }.count == 1)
        #expect(records.allSatisfy { $0.variant == label && $0.step == first.step }, "\(records)")
        let conversion = try #require(records.first { $0.metric == .converted })
        #expect(conversion.revenue == 49.5 && conversion.messageID == first.id)
        // The same records become the same table through the counters.
        let table = EngagementStats(journey: "promo", counters: EngagementStats.counters(of: c.timeline))
        let row = try #require(table.rows.first { $0.step == first.step && $0.variant == nil })
        #expect(row.count(.sent) == 1 && row.count(.opened) == 1 && row.count(.clicked) == 1 && row.count(.converted) == 1)
        #expect(row.revenue == 49.5)
        #expect(table.rows.contains { $0.step == first.step && $0.variant == label && $0.count(.opened) == 1 })
        #expect(EngagementStats(journey: "promo", counters: EngagementStats.counters(of: c.timeline), since: "2026-03-03").rows.isEmpty)
    }

    @Test func theEngagementStateSurvivesTheStoreEncoding() throws {
        var c = CustomerDriver(try Self.engine())
        c.event("signed_up", at: t0)
        c.advance(to: t0 + 1)
        let first = try #require(c.outbox.first)
        c.event("email.bounced", at: t0 + 60, ["message_id": .string(first.id), "bounce": .string("hard")])
        #expect(!c.state.engagement.suppressions.isEmpty && !c.state.engagement.messages.isEmpty)
        let again = try CustomerStateCoding.decode(CustomerStateCoding.encode(c.state))
        #expect(again == c.state)
        // A binary v1 record (written before engagement existed: no engagement section) still reads.
        let plain = CustomerState(profile: CustomerProfile(id: "p"))
        let v2 = CustomerStateCoding.encode(plain)
        // v2 ends with the engagement section (two empty lists) and the absent send-time histogram.
        #expect(v2.first == CustomerStateCoding.binaryV2 && v2.suffix(3) == [0, 0, 0])
        let v1 = [CustomerStateCoding.binaryV1] + v2.dropFirst().dropLast(3)
        #expect(try CustomerStateCoding.decode(v1) == plain)
        let json = try JSONEncoder().encode(plain)
        var object = try #require(JSONSerialization.jsonObject(with: json) as? [String: Any])
        object["engagement"] = nil
        #expect(try JSONDecoder().decode(CustomerState.self, from: JSONSerialization.data(withJSONObject: object)) == plain)
    }
}
