import Foundation
import HTTPTypes
import HeraldChannels
import HeraldPostgres
import HeraldService
import HeraldTestSupport
import HummingbirdTesting
import JourneyEngine
import JourneyLanguage
import Logging
import Synchronization
import Testing

/// The declared migration, end to end on a real server and store (SQLite, PostgreSQL): 1,000
/// customers wait at three steps; a version declaring a migration is planned through the API,
/// then deployed; some customers are touched by an event, the sweep moves the rest; the plan's
/// per-step counts are what the store holds afterwards, every timeline says what happened, no
/// message id is delivered twice, and a rollback gives new entrants the old version again.
struct DeclaredMigrationServiceTests {
    typealias Call = HTTPCall
    typealias Backend = ReloadPlanTests.Backend

    /// Records every delivery attempt by message id (what a receiver honouring the key would see).
    final class CountingDelivery: MessageDelivery, Sendable {
        let ids = Mutex<[String]>([])
        func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryOutcome {
            ids.withLock { $0.append(message.id) }
            return .delivered(providerMessageID: nil)
        }
        var delivered: [String] { ids.withLock { $0 } }
    }

    static let v1 = JourneyFixture(
        journeys: [
            "policy": "policy\n  time zone \"UTC\"\n",
            "cart": """
            journey cart "cart"
              trigger on event "go"
              entry always

              send webhook hello transactional
              wait for event "first" up to 30 days
              wait for event "second" up to 30 days
              wait 20 days
              send webhook done transactional

            """,
        ],
        webhooks: ["hello": #"{"hello": "{{customer.id}}"}"#, "done": #"{"done": "{{customer.id}}"}"#])

    /// The new version: the first wait restarts (10 days now), the second takes its customers out,
    /// and the 20-day wait becomes a 10-day one that keeps its deadline.
    static let v2 = JourneyFixture(
        journeys: [
            "policy": "policy\n  time zone \"UTC\"\n",
            "cart": """
            journey cart "cart"
              trigger on event "go"
              entry always
              migrate from wait_for_first to wait_for_first restart
              migrate from wait_for_second exit
              migrate from wait_20_days to wait_10_days keep deadline

              send webhook hello transactional
              wait for event "first" up to 10 days
              wait 10 days
              send webhook done transactional

            """,
        ],
        webhooks: v1.webhooks)

    /// A full server on `journeys` with `delivery`, on SQLite or a fresh PostgreSQL database.
    static func withServer(
        _ backend: Backend, journeys: URL, delivery: any MessageDelivery,
        _ body: @escaping @Sendable (_ port: Int, _ server: HeraldServer) async throws -> Void
    ) async throws {
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configuration.apiKeys = [TestServer.apiKey]
        configuration.journeys = journeys.path
        configuration.limits.syncWaitSeconds = 60
        var logger = Logger(label: "herald-test")
        logger.logLevel = .warning
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-migrate-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let server = try await HeraldServer.make(
                configuration: configuration, store: try TestServer.openStore(in: directory), delivery: delivery, logger: logger)
            try await server.application.test(.live) { client in try await body(client.port!, server) }
        case .postgres:
            let database = try await TestDatabase.create()
            let store = try await database.open()
            do {
                let server = try await HeraldServer.make(configuration: configuration, store: store, delivery: delivery, logger: logger)
                try await server.application.test(.live) { client in try await body(client.port!, server) }
            } catch {
                store.close()
                await database.drop()
                throw error
            }
            store.close()
            await database.drop()
        }
    }

    static func post(_ port: Int, events: [(id: String, customer: String, name: String)], server: HeraldServer) async throws {
        for start in stride(from: 0, to: events.count, by: 250) {
            let batch = events[start..<min(events.count, start + 250)].map {
                #"{"id": "\#($0.id)", "customer_id": "\#($0.customer)", "name": "\#($0.name)"}"#
            }
            let reply = try await Call.send(port: port, .post, "/v1/events", body: "[" + batch.joined(separator: ",") + "]")
            #expect(reply.status == 202)
        }
        let store = server.store
        let idle = try await TestServer.eventually(timeout: 120) {
            try await store.statistics(now: Date().timeIntervalSince1970).pendingInbox == 0
        }
        #expect(idle, "the inbox drained")
    }

    /// Active instances per "version step".
    static func waiting(_ store: any JourneyStore) async throws -> [String: Int] {
        let counted = try await (try #require(store as? any WaitingInstanceCounting)).waitingInstances()
        return Dictionary(counted.map { ("\($0.version) \($0.step)", $0.count) }, uniquingKeysWith: +)
    }

    @Test(arguments: Backend.available)
    func planDeployAndSweepAgreeAndARollbackServesTheOldVersion(_ backend: Backend) async throws {
        let journeys = FileManager.default.temporaryDirectory.appendingPathComponent("herald-migrate-j-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: journeys) }
        try Self.v1.write(to: journeys)
        let delivery = CountingDelivery()
        try await Self.withServer(backend, journeys: journeys, delivery: delivery) { port, server in
            let store = server.store
            let v1 = try #require(server.registry.current?.catalog.journey(named: "cart")?.version)
            // 1,000 customers: 500 wait for "first", 300 for "second", 200 in the 20-day wait.
            let ids = (0..<1000).map { "c\($0)" }
            try await Self.post(port, events: ids.map { ("go-\($0)", $0, "go") }, server: server)
            try await Self.post(port, events: ids[500...].map { ("first-\($0)", $0, "first") }, server: server)
            try await Self.post(port, events: ids[800...].map { ("second-\($0)", $0, "second") }, server: server)
            #expect(
                try await Self.waiting(store) == ["\(v1) wait_for_first": 500, "\(v1) wait_for_second": 300, "\(v1) wait_20_days": 200])
            let before = try await store.loadCustomers(["c900", "c0"])
            let kept = try #require(before["c900"]?.state.instances.first?.deadline)
            let first = try #require(before["c0"]?.state.instances.first?.deadline)
            let hellos = try await TestServer.eventually(timeout: 120) { delivery.delivered.count >= 1000 }
            #expect(hellos, "every hello was delivered")

            // The plan, through the API.
            try Self.v2.write(to: journeys)
            let planned = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload?plan=true").json)
            #expect(planned["status"].string == "planned")
            let journey = try #require(planned["plan"]["journeys"].array.first { $0["name"].string == "cart" })
            var expected: [String: Int] = [:]
            var actions: [String: String] = [:]
            for w in journey["waiting"].array {
                let (version, step, count) = (w["version"].string ?? "", w["step"].string ?? "", Int(w["count"].number ?? -1))
                let migration = w["migration"]
                actions[step] = migration["action"].string
                switch migration["action"].string {
                case "move": expected["\(migration["to_version"].string ?? "") \(migration["to_step"].string ?? "")", default: 0] += count
                case "exit": break
                default: expected["\(version) \(step)", default: 0] += count
                }
            }
            #expect(actions == ["wait_for_first": "move", "wait_for_second": "exit", "wait_20_days": "move"])
            #expect(journey["waiting_total"].number == 1000)
            #expect(try await Self.waiting(store)["\(v1) wait_for_first"] == 500, "a plan changes nothing")

            // Deploy; 50 customers of each step are touched by an event no journey reacts to at once
            // (they move as they are handled), the sweep moves the others.
            let deployed = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload").json)
            #expect(deployed["status"].string == "deployed")
            let v2 = try #require(server.registry.current?.catalog.journey(named: "cart")?.version)
            #expect(expected == ["\(v2) wait_for_first": 500, "\(v2) wait_10_days": 200])
            let touched = Array(ids[0..<50]) + Array(ids[500..<550]) + Array(ids[800..<850])
            try await Self.post(port, events: touched.map { ("noise-\($0)", $0, "noise") }, server: server)
            let target = expected
            let agreed = try await TestServer.eventually(timeout: 180) { try await Self.waiting(store) == target }
            let outcome = try await Self.waiting(store)
            #expect(agreed, "after the sweep the store holds what the plan said: \(outcome)")
            #expect(server.completedMigrationSweeps >= 1)

            // Timelines: a move by touch, a move by the sweep, a kept deadline, an exit.
            func decisions(_ id: String) async throws -> [(kind: String, summary: String)] {
                let body = try #require(try await Call.send(port: port, .get, "/v1/customers/\(id)").json)
                return body["recent_decisions"].array.map { ($0["kind"].string ?? "", $0["summary"].string ?? "") }
            }
            let short1 = String(v1.prefix(12)), short2 = String(v2.prefix(12))
            for (id, text) in [
                ("c0", "moved from \(short1) wait_for_first to \(short2) wait_for_first, deadline restarted (migrate, line 4)"),
                ("c100", "moved from \(short1) wait_for_first to \(short2) wait_for_first, deadline restarted (migrate, line 4)"),
                ("c900", "moved from \(short1) wait_20_days to \(short2) wait_10_days, deadline kept (migrate, line 6)"),
            ] {
                let lines = try await decisions(id)
                #expect(lines.contains { $0.kind == "migrated" && $0.summary == text }, "\(id): \(lines)")
            }
            let exited = try await decisions("c600")
            #expect(exited.contains { $0.kind == "exited" && $0.summary == "left cart at wait_for_second: exited by migration" }, "\(exited)")
            let after = try await store.loadCustomers(["c900", "c0"])
            #expect(after["c900"]?.state.instances.first?.deadline == kept, "the kept deadline is v1's")
            let restarted = try #require(after["c0"]?.state.instances.first?.deadline)
            #expect(restarted < first - 15 * 86_400, "the first wait restarted: 10 days from the deployment, not 30 from the entry")

            // Nothing was sent by the migration, and no message id twice.
            let sent = delivery.delivered
            #expect(sent.count == 1000 && Set(sent).count == sent.count, "\(sent.count) deliveries, \(Set(sent).count) ids")

            // A rollback: revision 1 again. New entrants take v1; the moved customers stay on v2.
            let restored = try #require(try await Call.send(port: port, .post, "/v1/revisions/1/restore").json)
            #expect(restored["revision"]["restored_from"].number == 1)
            #expect(server.registry.current?.catalog.journey(named: "cart")?.version == v1)
            try await Self.post(port, events: [("go-new", "new-1", "go")], server: server)
            let entrant = try await store.loadCustomers(["new-1"])["new-1"]?.state.instances.first
            #expect(entrant?.version == v1 && entrant?.step == "wait_for_first")
            var now = expected
            now["\(v1) wait_for_first"] = 1
            #expect(try await Self.waiting(store) == now)
            let resent = try await TestServer.eventually(timeout: 60) { delivery.delivered.count == 1001 }
            #expect(resent && Set(delivery.delivered).count == 1001)
        }
    }
}
