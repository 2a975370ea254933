import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

@testable import HeraldSimulation

/// The dry-run report of a policy with a `global holdout`: held-out customers are not entries of
/// the marketing journey, and their conversions are reported apart (text and JSON).
struct GlobalHoldoutReportTests {
    @Test func heldOutCustomersAndTheirConversionsAreReportedApart() throws {
        let source = """
            policy
              global holdout 25%
              cap marketing 5 per day

            journey promo
              trigger on event "signed_up"
              goal event "order.completed" within 7 days
              send webhook offer

            """
        let catalog = try #require(JourneyCompiler.compile(sources: ["a.journey": source]).catalog)
        let start = 1_772_409_600.0
        let customers = (0..<200).map { CustomerProfile(id: "r\($0)", email: "r\($0)@example.com") }
        var events: [CustomerEvent] = []
        for (n, customer) in customers.enumerated() {
            events.append(CustomerEvent(id: "s\(n)", customerID: customer.id, name: "signed_up", timestamp: start + Double(n)))
            // Every third customer orders within the goal window.
            if n % 3 == 0 {
                events.append(CustomerEvent(id: "o\(n)", customerID: customer.id, name: "order.completed", timestamp: start + 86_400 + Double(n)))
            }
        }
        let result = DryRun(catalog: catalog).run(customers: customers, events: events)
        let promo = try #require(result.report.journeys.first { $0.journey == "promo" })
        let heldOut = result.customers.filter { customer in
            customer.timeline.contains { if case .exited(_, .explicit("global holdout")) = $0.kind { true } else { false } }
        }
        #expect(!heldOut.isEmpty)
        #expect(promo.heldOut == heldOut.count)
        #expect(promo.entries == 200 - heldOut.count)
        #expect(promo.customers == 200 - heldOut.count, "held-out customers are not customers of the journey")
        let heldOutBuyers = heldOut.filter { Int($0.id.dropFirst())! % 3 == 0 }.count
        #expect(promo.heldOutConversions == heldOutBuyers)
        #expect(promo.conversions == (0..<200).filter { $0 % 3 == 0 }.count - heldOutBuyers)
        #expect(promo.exits[DryRunReport.globalHoldoutReason] == nil, "a held-out entry is not an exit of the journey")
        let text = DryRunTextRenderer(result: result, showTimelines: false).render()
        #expect(text.contains("  global holdout: \(heldOut.count) kept out · conversions \(heldOutBuyers)"), "\(text)")
        let json = DryRunJSONRenderer(result: result).render()
        #expect(json.contains("\"global_holdout\""))
    }
}
