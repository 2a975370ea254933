import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// The policy's `global holdout`: a stable share of customers is kept out of every marketing
/// journey (transactional journeys still run for them), and their conversions are still counted.
struct GlobalHoldoutTests {
    static let source = """
        policy
          global holdout 20%
          cap marketing 5 per day

        journey promo
          trigger on event "signed_up"
          goal event "order.completed" within 7 days
          send webhook offer

        journey digest
          trigger on event "signed_up"
          wait 2 days
          send webhook tips

        journey receipt
          trigger on event "signed_up"
          send webhook account_created transactional

        """

    @Test func aStableShareIsKeptOutOfMarketingJourneysOnlyAndStillConverts() throws {
        let result = JourneyCompiler.compile(sources: ["a.journey": Self.source])
        let catalog = try #require(result.catalog, "\(result.diagnostics)")
        #expect(catalog.policy.globalHoldout == 20)
        let engine = JourneyEngine(catalog: catalog)
        var heldOut = 0
        for n in 0..<500 {
            var c = CustomerDriver(engine, profile: CustomerProfile(id: "h\(n)", email: "h\(n)@example.com"))
            c.event("signed_up", at: t0)
            c.event("order.completed", at: t0 + day)
            c.advance(to: t0 + 10 * day)
            let sends = Set(c.sends)
            #expect(sends.contains("webhook account_created"), "transactional journeys run for everyone")
            let promoHeld = c.exits("promo") == [.explicit("global holdout")]
            let digestHeld = c.exits("digest") == [.explicit("global holdout")]
            #expect(promoHeld == digestHeld, "the same customers are held out of every marketing journey")
            #expect(sends.contains("webhook offer") == !promoHeld)
            #expect(sends.contains("webhook tips") == !digestHeld)
            #expect(c.exits("receipt") == [.completed])
            // The held-out entry still measures the goal.
            #expect(c.conversions == [day])
            if promoHeld { heldOut += 1 }
        }
        #expect((70...130).contains(heldOut), "about 20% of 500: \(heldOut)")
    }

    @Test func withoutAHoldoutEveryoneRuns() throws {
        let source = Self.source.replacingOccurrences(of: "  global holdout 20%\n", with: "")
        let catalog = try #require(JourneyCompiler.compile(sources: ["a.journey": source]).catalog)
        #expect(catalog.policy.globalHoldout == nil)
        for n in 0..<50 {
            var c = CustomerDriver(JourneyEngine(catalog: catalog), profile: CustomerProfile(id: "h\(n)", email: "h\(n)@example.com"))
            c.event("signed_up", at: t0)
            c.advance(to: t0 + 10 * day)
            #expect(Set(c.sends) == ["webhook offer", "webhook tips", "webhook account_created"])
        }
    }
}
