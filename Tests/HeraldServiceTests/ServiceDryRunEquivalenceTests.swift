import Foundation
import HTTPTypes
import HeraldChannels
import HeraldService
import HeraldSimulation
import HeraldTestSupport
import HummingbirdTesting
import JourneyEngine
import JourneyLanguage
import Logging
import Testing

/// The same journeys and the same customers and events give the same sends in the service (its
/// store, timers and processors, on a clock the test moves) as in the dry-run (virtual clock).
struct ServiceDryRunEquivalenceTests {
    static let start = 1_795_000_000.0  // a Sunday afternoon in November 2026

    struct Input: Sendable {
        var at: Double
        var customer: String
        var name: String
        var properties: [String: Value]
    }

    static let profiles: [CustomerProfile] = [
        CustomerProfile(
            id: "d1", email: "d1@example.com", timeZone: "Europe/London",
            attributes: ["first_name": .string("Ada"), "lifetime_value": .number(900)]),
        CustomerProfile(
            id: "d2", email: "d2@example.com", phone: "+447700900123", timeZone: "America/New_York",
            attributes: ["first_name": .string("Bo"), "lifetime_value": .number(50)]),
        CustomerProfile(
            id: "d3", email: "d3@example.com", timeZone: "Asia/Tokyo", attributes: ["first_name": .string("Cy")]),
        CustomerProfile(id: "d4", email: "d4@example.com", attributes: ["first_name": .string("Di")]),
    ]

    static let inputs: [Input] = [
        Input(at: start + 60, customer: "d1", name: "cart.updated", properties: ["items": .number(2)]),
        Input(
            at: start + 120, customer: "d2", name: "order.completed",
            properties: ["order_id": .string("o1"), "total": .number(42), "items": .number(1)]),
        Input(at: start + 180, customer: "d3", name: "signed_up", properties: [:]),
        Input(at: start + 200, customer: "d4", name: "cart.updated", properties: ["items": .number(1)]),
        Input(
            at: start + 3_000, customer: "d4", name: "order.completed",
            properties: ["order_id": .string("o2"), "total": .number(10), "items": .number(1)]),
        Input(at: start + 7_200, customer: "d2", name: "nps.submitted", properties: ["score": .number(10)]),
        Input(at: start + 9_000, customer: "d3", name: "cart.updated", properties: ["items": .number(3)]),
    ]

    @Test func serviceAndDryRunSendTheSame() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let journeys = root.appendingPathComponent("Journeys").path
        guard let catalog = JourneyCompiler.compile(directory: journeys).catalog else {
            Issue.record("the example journeys do not compile")
            return
        }
        let events = Self.inputs.enumerated().map { n, input in
            CustomerEvent(id: "e\(n)", customerID: input.customer, name: input.name, properties: input.properties, timestamp: input.at)
        }
        let until = Self.start + 3 * 86_400
        let dryRun = DryRun(catalog: catalog).run(
            customers: Self.profiles, events: events, options: DryRunOptions(from: Self.start, until: until))
        let expected = Set(dryRun.customers.flatMap(\.outbox).map(Self.describe))
        #expect(expected.count >= 4, "the scenario sends something: \(expected.sorted())")
        print("service vs dry-run: \(expected.count) sends compared")

        // The service, on a clock the test moves.
        let clock = Locked(Self.start)
        let actual = try await TestServer.withClockedServer(journeys: journeys, clock: clock) { port, server, settle in
            let store = server.store
            for profile in Self.profiles {
                let body = try String(decoding: JSONEncoder().encode(Self.body(profile)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(profile.id)", body: body).status == 200)
            }
            try await settle()
            for event in events {
                clock.withLock { $0 = event.timestamp }
                try await settle()
                let body = try String(decoding: JSONEncoder().encode(Self.body(event)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: body).status == 202)
                try await settle()
            }
            clock.withLock { $0 = until }
            try await settle()
            var sends: Set<String> = []
            for profile in Self.profiles {
                for status in try await store.outbox(customerID: profile.id, limit: 1_000) {
                    let m = status.message
                    sends.insert(Self.describe(m))
                }
            }
            return sends
        }
        #expect(actual == expected, "service only: \(actual.subtracting(expected).sorted()); dry-run only: \(expected.subtracting(actual).sorted())")
    }

    /// An event stamped at the very instant a `wait for event ... up to` ends is too late in both
    /// worlds (timers come first at an instant); one a second earlier is received in both.
    @Test(arguments: [(0.0, true), (-1.0, false)])
    func eventAtTheTimeoutInstantIsDecidedTheSameWay(offset: Double, timesOut: Bool) async throws {
        let journeys = Self.exampleJourneys
        let catalog = try #require(JourneyCompiler.compile(directory: journeys).catalog, "the example journeys do not compile")
        let profiles = [Self.profiles[0]]  // lifetime value 900: the timeout branch sends vip_discount
        let enter = CustomerEvent(id: "t0", customerID: "d1", name: "cart.updated", properties: ["items": .number(2)], timestamp: Self.start + 60)
        let until = Self.start + 4 * 86_400
        let options = DryRunOptions(from: Self.start, until: until)
        let probe = DryRun(catalog: catalog).run(customers: profiles, events: [enter], options: options)
        let deadline = try #require(
            probe.customers.first?.timeline.lazy.compactMap { record -> Double? in
                if case .waiting(_, let until, "email.clicked"?) = record.kind { until } else { nil }
            }.first)
        let events = [enter, CustomerEvent(id: "t1", customerID: "d1", name: "email.clicked", timestamp: deadline + offset)]
        let dryRun = DryRun(catalog: catalog).run(customers: profiles, events: events, options: options)
        let timeline = try #require(dryRun.customers.first?.timeline)
        #expect(timeline.contains { if case .timedOut = $0.kind { true } else { false } } == timesOut)
        #expect(timeline.contains { if case .eventReceived(_, "email.clicked") = $0.kind { true } else { false } } == !timesOut)
        let expected = Set(dryRun.customers.flatMap(\.outbox).map(Self.describe))
        #expect(expected.contains { $0.contains("vip_discount") } == timesOut)
        let actual = try await Self.serviceSends(journeys: journeys, profiles: profiles, events: events, until: until)
        #expect(actual == expected, "service only: \(actual.subtracting(expected).sorted()); dry-run only: \(expected.subtracting(actual).sorted())")
    }

    /// `wait for events` takes the same arm in both worlds: of two answers stamped at one instant
    /// the first sent decides (promoter or detractor), and an answer at the very instant the wait
    /// ends is too late (the `timeout ->` arm runs). The example `support_nps` journey.
    @Test(
        arguments: [
            ([2.0, 10.0], 3_600.0, "low_rating_alert"),
            ([10.0, 2.0], 3_600.0, "review_request"),
            ([10.0], 0.0, nil),
        ] as [([Double], Double, String?)])
    func waitForEventsTakesTheSameArmInBothWorlds(scores: [Double], beforeDeadline: Double, arm: String?) async throws {
        let journeys = Self.exampleJourneys
        let catalog = try #require(JourneyCompiler.compile(directory: journeys).catalog, "the example journeys do not compile")
        let profiles = [Self.profiles[0]]
        let enter = CustomerEvent(
            id: "t0", customerID: "d1", name: "support.ticket_closed", properties: ["ticket_id": .string("t-1")], timestamp: Self.start + 60)
        let until = Self.start + 7 * 86_400
        let options = DryRunOptions(from: Self.start, until: until)
        let probe = DryRun(catalog: catalog).run(customers: profiles, events: [enter], options: options)
        let deadline = try #require(
            probe.customers.first?.timeline.lazy.compactMap { record -> Double? in
                if case .waiting(_, let until, "nps.submitted"?) = record.kind, record.journey == "support_nps" { until } else { nil }
            }.first)
        let answers = scores.enumerated().map { n, score in
            CustomerEvent(
                id: "a\(n)", customerID: "d1", name: "nps.submitted", properties: ["score": .number(score)], timestamp: deadline - beforeDeadline)
        }
        let dryRun = DryRun(catalog: catalog).run(customers: profiles, events: [enter] + answers, options: options)
        let expected = Set(dryRun.customers.flatMap(\.outbox).map(Self.describe))
        let fromNPS = expected.filter { $0.contains("/support_nps/") }
        for message in ["review_request", "low_rating_alert", "nps_thanks"] {
            let sent = fromNPS.contains { $0.contains(" \(message) ") }
            #expect(sent == (message == arm || (message == "nps_thanks" && arm != nil)), "\(message): \(fromNPS.sorted())")
        }
        let actual = try await Self.serviceSends(journeys: journeys, profiles: profiles, events: [enter] + answers, until: until)
        #expect(actual == expected, "service only: \(actual.subtracting(expected).sorted()); dry-run only: \(expected.subtracting(actual).sorted())")
    }

    /// A send as both worlds are compared: its id, channel, message, instant and, for a message
    /// sent with variants, the version in its context.
    static func describe(_ m: OutboxMessage) -> String {
        var text = "\(m.id) \(m.channel.rawValue) \(m.message) @\(Int(m.at))"
        if case .string(let variant)? = m.context["variant"]?[path: ["name"]] { text += " variant \(variant)" }
        return text
    }

    /// The monthly newsletter's subject-line test (message variants): every customer gets the same
    /// version in the service's outbox as in the dry-run, on the first Monday of December.
    @Test func messageVariantsAreTheSameInBothWorlds() async throws {
        let journeys = Self.exampleJourneys
        let catalog = try #require(JourneyCompiler.compile(directory: journeys).catalog, "the example journeys do not compile")
        let until = Self.start + 23 * 86_400  // past Monday 7 December 2026 in every zone
        let dryRun = DryRun(catalog: catalog).run(customers: Self.profiles, events: [], options: DryRunOptions(from: Self.start, until: until))
        let expected = Set(dryRun.customers.flatMap(\.outbox).map(Self.describe))
        let newsletters = expected.filter { $0.contains(" newsletter @") }
        #expect(!newsletters.isEmpty && newsletters.allSatisfy { $0.contains(" variant ") }, "\(expected.sorted())")
        let actual = try await Self.serviceSends(journeys: journeys, profiles: Self.profiles, events: [], until: until)
        #expect(actual == expected, "service only: \(actual.subtracting(expected).sorted()); dry-run only: \(expected.subtracting(actual).sorted())")
    }

    /// The policy's global holdout keeps the same customers out of the marketing journey in both
    /// worlds (the transactional journey still runs for them).
    @Test func theGlobalHoldoutKeepsTheSameCustomersOutInBothWorlds() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-holdout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try JourneyFixture(
            journeys: [
                "policy": "policy\n  time zone \"UTC\"\n  global holdout 30%\n  cap marketing 5 per day\n",
                "promo": JourneyFixture.journey("promo", on: "signed_up", steps: ["send webhook offer"]),
                "receipt": JourneyFixture.journey("receipt", on: "signed_up", steps: ["send webhook receipt transactional"]),
            ],
            webhooks: [
                "offer": #"{"customer": "{{customer.id}}", "message": "offer"}"#,
                "receipt": #"{"customer": "{{customer.id}}", "message": "receipt"}"#,
            ]
        ).write(to: directory)
        let catalog = try #require(JourneyCompiler.compile(directory: directory.path).catalog)
        let profiles = (0..<12).map { CustomerProfile(id: "g\($0)", email: "g\($0)@example.com") }
        let events = profiles.enumerated().map { n, profile in
            CustomerEvent(id: "s\(n)", customerID: profile.id, name: "signed_up", timestamp: Self.start + 60 + Double(n))
        }
        let until = Self.start + 86_400
        let dryRun = DryRun(catalog: catalog).run(customers: profiles, events: events, options: DryRunOptions(from: Self.start, until: until))
        let expected = Set(dryRun.customers.flatMap(\.outbox).map(Self.describe))
        let offers = expected.filter { $0.contains(" offer @") }.count
        #expect(expected.filter { $0.contains(" receipt @") }.count == 12)
        #expect(offers > 0 && offers < 12, "some customers are held out of the promo, not all: \(expected.sorted())")
        let actual = try await Self.serviceSends(journeys: directory.path, profiles: profiles, events: events, until: until)
        #expect(actual == expected, "service only: \(actual.subtracting(expected).sorted()); dry-run only: \(expected.subtracting(actual).sorted())")
    }

    static var exampleJourneys: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Journeys").path
    }

    /// The sends the service makes for these inputs, on a clock the test moves to each event's
    /// time (letting due timers fire first) and then to `until`.
    static func serviceSends(journeys: String, profiles: [CustomerProfile], events: [CustomerEvent], until: Double) async throws -> Set<String> {
        let clock = Locked(Self.start)
        return try await TestServer.withClockedServer(journeys: journeys, clock: clock) { port, server, settle in
            let store = server.store
            for profile in profiles {
                let body = try String(decoding: JSONEncoder().encode(Self.body(profile)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(profile.id)", body: body).status == 200)
            }
            try await settle()
            for event in events {
                clock.withLock { $0 = event.timestamp }
                try await settle()
                let body = try String(decoding: JSONEncoder().encode(Self.body(event)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: body).status == 202)
                try await settle()
            }
            clock.withLock { $0 = until }
            try await settle()
            var sends: Set<String> = []
            for profile in profiles {
                for status in try await store.outbox(customerID: profile.id, limit: 1_000) {
                    let m = status.message
                    sends.insert(Self.describe(m))
                }
            }
            return sends
        }
    }

    static func body(_ profile: CustomerProfile) -> Value {
        .object([
            "email": profile.email.map(Value.string) ?? .null, "phone": profile.phone.map(Value.string) ?? .null,
            "time_zone": profile.timeZone.map(Value.string) ?? .null, "attributes": .object(profile.attributes),
        ])
    }

    static func body(_ event: CustomerEvent) -> Value {
        .object([
            "id": .string(event.id), "customer_id": .string(event.customerID), "name": .string(event.name),
            "properties": .object(event.properties), "timestamp": .number(event.timestamp),
        ])
    }
}

/// Keeps every message pending (no delivery outcome is fed back: the dry-run has none either).
struct NeverDelivers: MessageDelivery {
    func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryOutcome {
        .transient(reason: "held by the test", retryAfter: .seconds(1_000_000_000))
    }
}
