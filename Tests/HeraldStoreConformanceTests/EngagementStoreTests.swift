import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// Every backend keeps a customer's engagement (the messages engagement events are tied to, the
/// suppressions) and the engagement counters the statistics read.
@Suite struct EngagementStoreTests {
    static let source = """
        journey promo
          trigger on event "signed_up"
          goal event "order.completed" within 7 days
          send email offer

        """

    @Test(arguments: StoreBackend.available)
    func engagementStateAndCountersRoundTrip(_ backend: StoreBackend) async throws {
        let catalog = try #require(JourneyCompiler.compile(sources: ["a.journey": Self.source]).catalog)
        let engine = JourneyEngine(catalog: catalog)
        var state = CustomerState(profile: CustomerProfile(id: "e1", email: "e1@example.com"))
        var timeline: [TimelineRecord] = []
        let t0 = 1_772_409_600.0
        func handle(_ name: String, at t: Double, _ properties: [String: Value] = [:]) {
            let event = CustomerEvent(id: "\(name)@\(t)", customerID: "e1", name: name, properties: properties, timestamp: t)
            timeline += engine.handle(.event(event), state: &state, now: t).timeline
        }
        handle("signed_up", at: t0)
        timeline += engine.handle(.wake, state: &state, now: t0 + 30).timeline  // past the settle window
        let sent = try #require(state.engagement.messages.first)
        handle("email.opened", at: t0 + 60, ["message_id": .string(sent.id)])
        handle("email.bounced", at: t0 + 120, ["message_id": .string(sent.id), "bounce": .string("hard")])
        handle("order.completed", at: t0 + 600, ["revenue": .number(12.34)])
        #expect(state.engagement.suppressions.count == 1)
        let counters = EngagementStats.counters(of: timeline)
        try await StoreConformanceTests.withStore(backend) { store, ownership, _ in
            try await store.commit([
                CustomerCommit(
                    customerID: "e1", at: t0 + 600, lease: StoreConformanceTests.lease(ownership, "e1"), expectedVersion: 0,
                    change: .save(state, nextWakeAt: state.nextWakeAt), counters: counters)
            ])
            let loaded = try await store.loadCustomers(["e1"])["e1"]
            #expect(loaded?.state.engagement == state.engagement)
            let table = EngagementStats(journey: "promo", counters: try await store.journeyCounters())
            #expect(table == EngagementStats(journey: "promo", counters: counters))
            let total = table.total
            #expect(total.count(.sent) == 1 && total.count(.opened) == 1 && total.count(.bounced) == 1 && total.count(.converted) == 1)
            #expect(total.revenue == 12.34)
        }
    }
}
