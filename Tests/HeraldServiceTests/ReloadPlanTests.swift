import Foundation
import HTTPTypes
import HeraldPostgres
import HeraldService
import HeraldTestSupport
import HummingbirdTesting
import JourneyEngine
import JourneyLanguage
import Logging
import Testing

/// `POST /v1/journeys/reload?plan=true` on a real server and its store (SQLite, PostgreSQL): the plan's counts are
/// the store's waiting instances, nothing is deployed, and a plain reload still deploys.
struct ReloadPlanTests {
    typealias Call = HTTPCall

    static func fixture(firstWait: String = "wait for event \"first\" up to 30 days") -> JourneyFixture {
        JourneyFixture(
            journeys: [
                "policy": "policy\n  time zone \"UTC\"\n",
                "steps": JourneyFixture.journey(
                    "steps", on: "go",
                    steps: [firstWait, "wait for event \"second\" up to 30 days", "send webhook later transactional", "exit \"done\""]),
            ],
            webhooks: ["later": #"{"customer": "{{customer.id}}"}"#])
    }

    /// The store the server runs on.
    enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite, postgres
        var testDescription: String { rawValue }
        static var available: [Backend] { TestDatabase.required ? [.sqlite, .postgres] : [.sqlite] }
    }

    /// A full server on `journeys`, on SQLite (``TestServer/withServer``) or on a fresh PostgreSQL database.
    static func withServer(
        _ backend: Backend, journeys: URL, _ body: @escaping @Sendable (_ port: Int, _ server: HeraldServer) async throws -> Void
    ) async throws {
        guard backend == .postgres else { return try await TestServer.withServer(journeys: journeys, body) }
        let database = try await TestDatabase.create()
        let store = try await database.open()
        do {
            var configuration = ServiceConfiguration()
            configuration.port = 0
            configuration.apiKeys = [TestServer.apiKey]
            configuration.journeys = journeys.path
            configuration.limits.syncWaitSeconds = 60
            var logger = Logger(label: "herald-test")
            logger.logLevel = .warning
            let server = try await HeraldServer.make(configuration: configuration, store: store, delivery: ScriptedDelivery(), logger: logger)
            try await server.application.test(.live) { client in try await body(client.port!, server) }
        } catch {
            store.close()
            await database.drop()
            throw error
        }
        store.close()
        await database.drop()
    }

    @Test(arguments: Backend.available)
    func planCountsAreTheStoresWaitingInstancesAndNothingIsDeployed(_ backend: Backend) async throws {
        let journeys = FileManager.default.temporaryDirectory.appendingPathComponent("herald-plan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: journeys) }
        try Self.fixture().write(to: journeys)
        try await Self.withServer(backend, journeys: journeys) { port, server in
            // 30 customers enter; 12 of them move on to the second wait.
            let entries: [String] = (0..<30).map { n in #"{"id": "go-\#(n)", "customer_id": "c\#(n)", "name": "go"}"# }
            let firsts: [String] = (0..<12).map { n in #"{"id": "first-\#(n)", "customer_id": "c\#(n)", "name": "first"}"# }
            let store = server.store
            for batch in [entries, firsts] {
                let body: String = "[" + batch.joined(separator: ",") + "]"
                let accepted = try await Call.send(port: port, .post, "/v1/events", body: body)
                #expect(accepted.status == 202)
                let idle = try await TestServer.eventually { try await store.statistics(now: Date().timeIntervalSince1970).pendingInbox == 0 }
                #expect(idle)
            }
            let before = try #require(try await Call.send(port: port, .get, "/v1/journeys").json)

            // The edit: the first wait becomes a plain wait (another step), the second stays.
            try Self.fixture(firstWait: "wait 2 days").write(to: journeys)
            let reply = try await Call.send(port: port, .post, "/v1/journeys/reload?plan=true")
            #expect(reply.status == 200)
            let body = try #require(reply.json)
            #expect(body["status"].string == "planned")
            let journey = try #require(body["plan"]["journeys"].array.first)
            #expect(journey["name"].string == "steps" && journey["status"].string == "changed")
            let waiting = Dictionary(uniqueKeysWithValues: journey["waiting"].array.map { ($0["step"].string ?? "", Int($0["count"].number ?? -1)) })
            let counted = try await (try #require(store as? any WaitingInstanceCounting)).waitingInstances()
            #expect(Dictionary(uniqueKeysWithValues: counted.map { ($0.step, $0.count) }) == waiting)
            #expect(waiting.values.sorted() == [12, 18])
            #expect(journey["waiting_total"].number == 30)
            let changes = journey["steps"].array.map { "\($0["change"].string ?? "") \($0["kind"].string ?? "")" }.sorted()
            #expect(changes.contains("added wait") && changes.contains("removed wait"), "\(changes)")

            // Nothing was deployed: the same single version runs.
            #expect(try await Call.send(port: port, .get, "/v1/journeys").json == before)

            // A candidate that does not check: the plan says the reload would be refused, and why.
            try "journey steps \"steps\"\n  trigger on event \"go\"\n  entry always\n\n  send carrier_pigeon hello\n"
                .write(to: journeys.appendingPathComponent("steps.journey"), atomically: true, encoding: .utf8)
            let refused = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload?plan=true").json)
            #expect(refused["status"].string == "would_refuse" && refused["plan"]["refused"] == .bool(true))
            #expect(refused["plan"]["reasons"].array.first?.string?.contains("steps.journey:5:") == true)
            #expect(refused["plan"]["journeys"].array.first?["waiting_total"].number == 30)

            let bad = try await Call.send(port: port, .post, "/v1/journeys/reload?plan=maybe")
            #expect(bad.status == 400 && bad.json?["error"]["code"].string == "invalid_query")

            // A plain reload still deploys, as before.
            try Self.fixture(firstWait: "wait 2 days").write(to: journeys)
            let reloaded = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload").json)
            #expect(reloaded["status"].string == "deployed" && reloaded["journeys"].array.first?["status"].string == "changed")
            // The instances stay where they were, on their version: the plan said so.
            let after = try await (try #require(store as? any WaitingInstanceCounting)).waitingInstances()
            #expect(after == counted)
        }
    }
}
