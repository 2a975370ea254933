import Foundation
import HTTPTypes
import HeraldService
import HeraldSimulation
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// The per-step engagement statistics are the same table in the dry-run report and in the service
/// (`GET /v1/journeys/{name}/stats`) for the same customers, events and engagement events.
struct EngagementStatsEquivalenceTests {
    typealias Equivalence = ServiceDryRunEquivalenceTests

    /// Engagement for the messages a first dry-run sent: every message delivered; then, in turn,
    /// opened and clicked, hard-bounced, opened, complained about; the SMS answered STOP.
    static func engagement(for outbox: [OutboxMessage]) -> [CustomerEvent] {
        var events: [CustomerEvent] = []
        for (k, m) in outbox.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }).enumerated() {
            func add(_ kind: String, _ after: Double, _ properties: [String: Value] = [:]) {
                var properties = properties
                properties["message_id"] = .string(m.id)
                events.append(
                    CustomerEvent(
                        id: "g\(k)-\(kind)", customerID: m.customerID, name: "\(m.channel.rawValue).\(kind)", properties: properties,
                        timestamp: m.at + after))
            }
            add("delivered", 30)
            switch (m.channel, k % 4) {
            case (.sms, _): add("replied", 120, ["keyword": .string("STOP")])
            case (_, 0):
                add("opened", 60)
                add("clicked", 90, ["url": .string("https://shop.example.com/")])
            case (_, 1): add("bounced", 60, ["bounce": .string("hard")])
            case (_, 2): add("opened", 60)
            default: add("complained", 60)
            }
        }
        return events
    }

    @Test func theStatisticsTableIsTheSameInTheDryRunAndTheService() async throws {
        let journeys = Equivalence.exampleJourneys
        let catalog = try #require(JourneyCompiler.compile(directory: journeys).catalog, "the example journeys do not compile")
        var base = Equivalence.inputs.enumerated().map { n, input in
            CustomerEvent(id: "e\(n)", customerID: input.customer, name: input.name, properties: input.properties, timestamp: input.at)
        }
        // Revenue on the goal events.
        for k in base.indices where base[k].name == "order.completed" { base[k].properties["revenue"] = .number(Double(10 * (k + 1)) + 0.5) }
        let until = Equivalence.start + 3 * 86_400
        let options = DryRunOptions(from: Equivalence.start, until: until)
        let probe = DryRun(catalog: catalog).run(customers: Equivalence.profiles, events: base, options: options)
        let engagement = Self.engagement(for: probe.customers.flatMap(\.outbox))
        #expect(engagement.count >= 8, "the scenario sends something to engage with")
        let events = (base + engagement).sorted { ($0.timestamp, $0.id) < ($1.timestamp, $1.id) }

        let dryRun = DryRun(catalog: catalog).run(customers: Equivalence.profiles, events: events, options: options)
        let report = DryRunReport(result: dryRun)
        var expected: [String: [Value]] = [:]
        for journey in report.journeys { if let stats = journey.engagement, !stats.rows.isEmpty { expected[journey.journey] = stats.rowValues } }
        let metrics = Set(
            expected.values.flatMap { $0 }.flatMap { row -> [String] in
                guard case .object(let fields) = row else { return [] }
                return fields.filter { if case .number(let n) = $0.value { n > 0 } else { false } }.map(\.key)
            })
        #expect(
            metrics.isSuperset(of: ["sent", "delivered", "bounced", "opened", "clicked", "complained", "unsubscribed", "converted", "revenue"]),
            "the scenario exercises every column: \(metrics.sorted())")

        let names = expected.keys.sorted()
        let clock = Locked(Equivalence.start)
        let actual = try await TestServer.withClockedServer(journeys: journeys, clock: clock) { port, server, settle in
            for profile in Equivalence.profiles {
                let body = try String(decoding: JSONEncoder().encode(Equivalence.body(profile)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(profile.id)", body: body).status == 200)
            }
            try await settle()
            for event in events {
                clock.withLock { $0 = event.timestamp }
                try await settle()
                let reply: HTTPCall.Reply
                if let dot = event.name.firstIndex(of: "."), ["email", "sms", "webhook"].contains(String(event.name[..<dot])),
                    case .string(let messageID)? = event.properties["message_id"]
                {
                    // Engagement through Herald's own inbound endpoint.
                    var properties = event.properties
                    properties["message_id"] = nil
                    let body: Value = .object([
                        "id": .string(event.id), "event": .string(event.name), "message_id": .string(messageID),
                        "timestamp": .number(event.timestamp), "properties": .object(properties),
                    ])
                    reply = try await HTTPCall.send(
                        port: port, .post, "/v1/engagement", body: String(decoding: JSONEncoder().encode(body), as: UTF8.self))
                } else {
                    let body = try String(decoding: JSONEncoder().encode(Equivalence.body(event)), as: UTF8.self)
                    reply = try await HTTPCall.send(port: port, .post, "/v1/events", body: body)
                }
                #expect(reply.status == 202, "\(event.name): \(reply.body)")
                try await settle()
            }
            clock.withLock { $0 = until }
            try await settle()
            var tables: [String: [Value]] = [:]
            for journey in names {
                let reply = try await HTTPCall.send(port: port, .get, "/v1/journeys/\(journey)/stats")
                let json = try #require(reply.json, "\(reply.body)")
                tables[journey] = json["steps"].array + [json["total"]]
            }
            return tables
        }
        #expect(!expected.isEmpty)
        for journey in expected.keys.sorted() {
            #expect(
                actual[journey] == expected[journey], "\(journey): service \(String(describing: actual[journey])) vs dry-run \(expected[journey]!)")
        }
    }
}
