import Foundation
public import HeraldPostgres
import Logging
public import PostgresNIO

/// A PostgreSQL database of its own for one test, created in the cluster `HERALD_TEST_POSTGRES_URL`
/// points at (`make test` starts a private one) and dropped afterwards.
public struct TestDatabase: Sendable {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "HERALD_TEST_POSTGRES_URL is not set: run the tests with `make test` (it starts a private PostgreSQL cluster), "
                + "or `scripts/postgres-test-cluster.sh run swift test --filter …`"
        }
    }

    public var name: String
    public var admin: PostgresConfiguration
    /// The database's own URL (what `herald serve` takes as `HERALD_POSTGRES_URL`).
    public var url: String

    static let logger = Logger(label: "herald.test.postgres")

    /// The cluster's URL, when one is configured.
    public static var clusterURL: String? {
        let url = ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }

    /// Under CI the PostgreSQL tests always run (and fail without a cluster) rather than skip.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"].map { $0 == "true" || $0 == "1" } ?? false }

    /// Whether PostgreSQL tests run here: a cluster is configured, or this is CI.
    public static var required: Bool { clusterURL != nil || isCI }

    /// Why the PostgreSQL tests are left out of this run: the comment of every `.enabled(if:
    /// TestDatabase.required, …)` trait, which `swift test` prints next to each skipped test. (Under
    /// `CI=true` nothing is skipped: without a cluster the tests fail with `Missing`'s message.)
    public static let skipReason =
        "skipped: PostgreSQL tests need HERALD_TEST_POSTGRES_URL (run `make test`, or "
        + "`scripts/postgres-test-cluster.sh run swift test …`); under CI=true they fail instead of skipping"

    public static func create(prefix: String = "herald_test_") async throws -> TestDatabase {
        guard let base = clusterURL else { throw Missing() }
        let admin = try PostgresConfiguration(url: base)
        let name = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await withAdmin(admin) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var components = URLComponents(string: base)!
        components.path = "/" + name
        return TestDatabase(name: name, admin: admin, url: components.string!)
    }

    public func configuration(maximumConnections: Int = 8, leaseSeconds: Double = 15) throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(url: url)
        configuration.maximumConnections = maximumConnections
        configuration.leaseSeconds = leaseSeconds
        return configuration
    }

    public func open(maximumConnections: Int = 8, leaseSeconds: Double = 15) async throws -> PostgresJourneyStore {
        try await PostgresJourneyStore.open(
            try configuration(maximumConnections: maximumConnections, leaseSeconds: leaseSeconds), logger: Self.logger)
    }

    public func drop() async {
        try? await Self.withAdmin(admin) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: Self.logger)
        }
    }

    /// Runs one statement in this test's database, behind the store's back (to write rows the way
    /// an earlier version did).
    public func execute(_ query: PostgresQuery) async throws {
        var own = admin
        own.database = name
        try await Self.withAdmin(own) { connection in _ = try await connection.query(query, logger: Self.logger) }
    }

    private static func withAdmin(
        _ admin: PostgresConfiguration, _ body: (PostgresConnection) async throws -> Void
    )
        async throws
    {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: admin.host, port: admin.port, username: admin.username, password: admin.password,
                database: admin.database, tls: .disable),
            id: 1, logger: logger)
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
