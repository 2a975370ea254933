import Foundation
import HTTPTypes
import HeraldService
import HeraldSimulation
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// The steps after a split are counted per variant (`sent#offer=a`) as the engine commits: the
/// service's counters equal the ones the dry-run's HTML report counts from the same customers and
/// events, and the console's map draws a row per variant on those steps.
struct VariantCountsTests {
    static let start = 1_795_000_000.0

    static let fixture = JourneyFixture(
        journeys: [
            "policy": "policy\n  time zone \"UTC\"\n  cap marketing 5 per day\n",
            "promo": """
            journey promo
              trigger on event "signed_up"
              goal event "order.completed" within 7 days
              send webhook welcome
              split offer
                variant a 40%
                  wait 1 hour
                  send webhook offer_a
                  wait 1 day
                variant b 40%
                  send webhook offer_b
                  wait 2 days
                control 20%

            """,
        ],
        webhooks: ["welcome": #"{"w": 1}"#, "offer_a": #"{"v": "a"}"#, "offer_b": #"{"v": "b"}"#])

    static let customers = (1...16).map { CustomerProfile(id: "v\($0)") }

    static var events: [CustomerEvent] {
        customers.enumerated().map { n, customer in
            CustomerEvent(id: "s\(n)", customerID: customer.id, name: "signed_up", timestamp: start + 60 + Double(n))
        }
            + customers.prefix(5).enumerated().map { n, customer in
                CustomerEvent(id: "o\(n)", customerID: customer.id, name: "order.completed", timestamp: start + 7_200 + Double(n))
            }
    }

    /// The per-variant counters (metric with `#`) of `counters`, without zeros.
    static func perVariant(_ counters: [JourneyCounter: Int64]) -> [JourneyCounter: Int64] {
        counters.filter { $0.key.metric.contains("#") && $0.value != 0 }
    }

    @Test func theServiceCountsEachVariantAsTheDryRunDoesAndTheMapShowsThem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-variants-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.fixture.write(to: directory)
        let catalog = try #require(JourneyCompiler.compile(directory: directory.path).catalog, "the fixture compiles")
        // Stop while some wait (variant b waits 2 days): the gauges are compared too.
        let until = Self.start + 86_400 + 7_200
        let dryRun = DryRun(catalog: catalog).run(
            customers: Self.customers, events: Self.events, options: DryRunOptions(from: Self.start, until: until))
        var counted = EngineRecords(timeline: dryRun.customers.flatMap(\.timeline)).counters
        for customer in dryRun.customers {
            for (counter, delta) in EngineRecords.waitingDelta(before: nil, after: customer.finalState) { counted[counter, default: 0] += delta }
        }
        let expected = Self.perVariant(counted)
        let value: @Sendable (String, String) -> Int64 = { step, metric in
            expected.filter { $0.key.step == step && $0.key.metric == metric }.values.reduce(0, +)
        }
        // Both variants had customers, each sent its own offer, and variant a's sends came after a wait
        // (a run of its own: the variant came from the stored state).
        #expect(value("send_webhook_offer_a", "sent#offer=a") > 0 && value("send_webhook_offer_b", "sent#offer=b") > 0, "\(expected)")
        #expect(value("send_webhook_offer_a", "sent#offer=b") == 0 && value("send_webhook_offer_b", "sent#offer=a") == 0)
        #expect(value("", "converted#offer=a") + value("", "converted#offer=b") > 0, "conversions per variant: \(expected)")
        #expect(value("wait_2_days", "waiting#offer=b") > 0, "variant b still waits at the end")

        let clock = Locked(Self.start)
        try await TestServer.withClockedServer(journeys: directory.path, clock: clock) { port, server, settle in
            for customer in Self.customers {
                #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(customer.id)", body: "{}").status == 200)
            }
            try await settle()
            for event in Self.events {
                clock.withLock { $0 = event.timestamp }
                try await settle()
                let body = try String(decoding: JSONEncoder().encode(ServiceDryRunEquivalenceTests.body(event)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: body).status == 202)
                try await settle()
            }
            clock.withLock { $0 = until }
            try await settle()
            let actual = Self.perVariant(try await server.store.journeyCounters())
            #expect(
                actual == expected,
                "service only: \(actual.filter { expected[$0.key] != $0.value }); dry-run only: \(expected.filter { actual[$0.key] != $0.value })")

            // The map: a row per variant on the steps after the split, none on the steps before it.
            let session = try await ConsoleTests.signIn(port: port)
            let map = try await ConsoleTests.call(port: port, .get, "/console/journeys/promo", cookie: session.cookie)
            #expect(map.status == 200)
            #expect(
                map.body.contains(#"data-step="send_webhook_offer_a" data-metric="sent#offer=a">\#(value("send_webhook_offer_a", "sent#offer=a"))<"#))
            #expect(map.body.contains(#"data-step="wait_2_days" data-metric="waiting#offer=b">\#(value("wait_2_days", "waiting#offer=b"))<"#))
            #expect(!map.body.contains(#"data-step="send_webhook_welcome" data-metric="sent#"#), "the step before the split has no variant rows")
            #expect(!map.body.contains(#"data-step="send_webhook_offer_a" data-metric="sent#offer=b""#), "variant b never passes variant a's steps")
        }
    }
}
