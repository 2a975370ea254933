import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// Two real `herald serve` nodes on one PostgreSQL database, each with its own copy of the
/// journeys: a reload on one node is deployed by the other from the store (its housekeeping reads
/// the current revision every 5 seconds), and so is a rollback made on the other.
@Suite(.serialized, .timeLimit(.minutes(4)), .enabled(if: TestDatabase.required))
struct ClusterRevisionTests {
    static let apiKey = "cluster-key-0123"

    static func journeys(priority: Int) -> JourneyFixture {
        JourneyFixture(
            journeys: [
                "policy": "policy\n  time zone \"UTC\"\n",
                "ping": JourneyFixture.journey("ping", on: "ping", priority: priority, steps: ["increment customer.pings"]),
            ],
            webhooks: [:])
    }

    @Test func aReloadOnOneNodeIsDeployedOnTheOtherAndSoIsARollback() async throws {
        let database = try await TestDatabase.create()
        defer { Task { await database.drop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cluster-revisions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("herald.yaml")
        try "storage:\n  backend: postgres\n".write(to: config, atomically: true, encoding: .utf8)
        let folders = (0..<2).map { directory.appendingPathComponent("journeys-\($0)") }
        for folder in folders { try Self.journeys(priority: 50).write(to: folder) }
        let nodes = (0..<2).map { index in
            HeraldProcess(
                name: "node-\(index)",
                arguments: [
                    "serve", "--port", "0", "--config", config.path, "--journeys", folders[index].path,
                    "--data", directory.appendingPathComponent("data-\(index)").path,
                    "--outbox", directory.appendingPathComponent("outbox-\(index)").path,
                ],
                environment: ["HERALD_API_KEY": Self.apiKey, "HERALD_LOG_LEVEL": "notice", "HERALD_POSTGRES_URL": database.url],
                logFile: directory.appendingPathComponent("node-\(index).log"))
        }
        defer { for node in nodes { node.killWithoutWaiting() } }
        for node in nodes { try await node.start() }

        func call(_ node: Int, _ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> Value? {
            try await HTTPCall.send(port: nodes[node].port, method, path, body: body, apiKey: Self.apiKey).json
        }
        func deployed(_ node: Int) async throws -> Double? { try await call(node, .get, "/v1/revisions")?["deployed"].number }
        func version(_ node: Int) async throws -> String? {
            try await call(node, .get, "/v1/journeys")?["journeys"].array.first?["version"].string
        }

        // The same files on both nodes: one revision.
        let starts = (try await deployed(0), try await deployed(1))
        #expect(starts.0 == 1 && starts.1 == 1)
        let original = try #require(try await version(0))

        // Node 0 deploys an edit; node 1 (whose folder still holds the old files) follows.
        try Self.journeys(priority: 70).write(to: folders[0])
        let reload = try await call(0, .post, "/v1/journeys/reload", body: #"{"note": "priority 70"}"#)
        #expect(reload?["revision"]["number"].number == 2)
        let edited = try #require(try await version(0))
        #expect(edited != original)
        let followed = try await MultiNodeTests.waitUntil(seconds: 60) { try await deployed(1) == 2 }
        #expect(followed, "node 1 never deployed revision 2:\n\(nodes[1].log.suffix(2_000))")
        #expect(try await version(1) == edited)
        #expect(nodes[1].log.contains("deployed the cluster's current journey revision"))

        // A rollback on node 1 reaches node 0.
        let restore = try await call(1, .post, "/v1/revisions/1/restore", body: #"{"note": "back to 50"}"#)
        #expect(restore?["revision"]["number"].number == 3 && restore?["revision"]["restored_from"].number == 1)
        #expect(try await version(1) == original)
        let rolledBack = try await MultiNodeTests.waitUntil(seconds: 60) { try await deployed(0) == 3 }
        #expect(rolledBack, "node 0 never deployed revision 3:\n\(nodes[0].log.suffix(2_000))")
        #expect(try await version(0) == original)
        let list = try await call(0, .get, "/v1/revisions")
        #expect(list?["revisions"].array.compactMap { $0["source"].string } == ["restore", "reload", "startup"])
    }
}
