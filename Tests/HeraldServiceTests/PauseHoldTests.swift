import Foundation
import HTTPTypes
import HeraldService
import HeraldTestSupport
import HummingbirdTesting
import JourneyEngine
import JourneyLanguage
import Logging
import Testing

/// Pausing a journey in the running service: no new entries, waiting instances hold (their timers
/// do not fire, nothing is sent), and a resume continues them at once — on the example journeys and
/// the real engine, on a clock the test moves.
struct PauseHoldTests {
    static let start = 1_795_000_000.0  // Wed 2026-11-18 11:06:40 UTC

    @Test func pausedJourneyHoldsItsInstancesAndResumeContinuesThem() async throws {
        let clock = Locked(Self.start)
        try await TestServer.withClockedServer(clock: clock) { port, server, settle in
            let store = server.store
            func post(_ id: String, _ customer: String, at t: Double) async throws {
                let body = #"{"id": "\#(id)", "customer_id": "\#(customer)", "name": "cart.updated", "properties": {"items": 2}, "timestamp": \#(t)}"#
                #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: body).status == 202)
            }
            for id in ["p1", "p2"] {
                let profile = #"{"email": "\#(id)@example.com", "time_zone": "Europe/London"}"#
                #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(id)", body: profile).status == 200)
            }
            clock.withLock { $0 = Self.start + 60 }
            try await post("e1", "p1", at: Self.start + 60)
            try await settle()
            let waiting = try #require(try await store.loadCustomers(["p1"])["p1"])
            #expect(waiting.nextWakeAt == Self.start + 60 + 3_600, "the reminder waits an hour")

            #expect(try await HTTPCall.send(port: port, .post, "/v1/journeys/cart_abandonment/pause").status == 200)
            // Past the hour: the customer's timer comes due, and the instance holds.
            let held = Self.start + 60 + 2 * 3_600
            clock.withLock { $0 = held }
            try await settle()
            try await post("e2", "p2", at: held)  // a new cart while paused: no entry
            try await settle()
            #expect(try await store.outbox(customerID: "p1", limit: 10).isEmpty, "nothing is sent while paused")
            let p1 = try #require(try await store.loadCustomers(["p1"])["p1"])
            #expect(p1.state.instances.first?.heldSince == held)
            #expect(p1.nextWakeAt == held + CustomerStepper.defaultHeldRetry, "a held customer is rechecked, never spun")
            let p2 = try #require(try await store.loadCustomers(["p2"])["p2"])
            #expect(p2.state.instances.isEmpty, "a paused journey takes no new entries")
            let shown = try #require(try await HTTPCall.send(port: port, .get, "/v1/customers/p1").json)
            let log = shown["recent_decisions"].array
            #expect(
                log.contains { $0["kind"].string == "held" && $0["summary"].string?.hasPrefix("held at") == true },
                "the customer's log says why nothing happens: \(log.compactMap { $0["summary"].string })")
            let journeys = try #require(try await HTTPCall.send(port: port, .get, "/v1/journeys").json)
            let cart = journeys["journeys"].array.first { $0["name"].string == "cart_abandonment" }
            #expect(cart?["paused"] == .bool(true))

            // Resumed: the held reminder goes on at once (decided after the 2-minute settle window
            // from the resume), not at the hour it was originally due.
            #expect(try await HTTPCall.send(port: port, .post, "/v1/journeys/cart_abandonment/resume").status == 200)
            let resumed = try await TestServer.eventually(timeout: 60) {
                let customer = try await store.loadCustomers(["p1"])["p1"]
                return customer?.state.instances.first?.heldSince == nil && customer?.state.pendingSends.count == 1
            }
            #expect(resumed, "the resume wakes the held customer without waiting for its recheck")
            clock.withLock { $0 = held + 600 }
            try await settle()
            let sent = try await store.outbox(customerID: "p1", limit: 10).map(\.message)
            #expect(sent.map(\.message) == ["cart_reminder"])
            #expect(sent.first?.at == held + 120)
            // p2's cart arrived while paused: it never entered, so nothing for it.
            #expect(try await store.outbox(customerID: "p2", limit: 10).isEmpty)
        }
    }

    @Test func pauseSwitchSetByAnotherNodeIsPickedUp() async throws {
        let toolchain = ScriptedToolchain(journeys: ["welcome"], version: "v1")
        try await TestServer.withServer(toolchain: toolchain) { _, server in
            #expect(server.registry.current?.paused.isEmpty == true)
            // Another node pauses through the shared store; this node reads the switches again.
            try await server.store.setJourneyPaused("welcome", paused: true)
            try await server.registry.refreshControls()
            #expect(server.registry.current?.paused == ["welcome"])
            let before = server.registry.resumeCount
            try await server.store.setJourneyPaused("welcome", paused: false)
            try await server.registry.refreshControls()
            #expect(server.registry.current?.paused.isEmpty == true)
            #expect(server.registry.resumeCount == before + 1, "a resume is counted, so held customers are woken")
            try await server.registry.refreshControls()
            #expect(server.registry.resumeCount == before + 1, "no change, no resume")
        }
    }
}
