import Foundation
import GRDB
import HeraldPostgres
import HeraldSQLite
import JourneyEngine
import Logging
import PostgresNIO
import Testing

/// The backends the conformance suite runs against. PostgreSQL needs `HERALD_TEST_POSTGRES_URL`
/// (set by `make test`, which starts a private cluster); without it the PostgreSQL cases are left
/// out locally, and fail loudly under `CI=true`.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"].map { $0 == "true" || $0 == "1" } ?? false }

    /// Every backend available here; under CI PostgreSQL is always included (and fails without a URL).
    static var available: [StoreBackend] {
        var backends: [StoreBackend] = [.memory, .sqlite]
        if postgresURL != nil || isCI { backends.append(.postgres) }
        return backends
    }

    /// The durable backends (what survives a reopen).
    static var durable: [StoreBackend] { available.filter { $0 != .memory } }

    /// A fresh, empty store; `close` removes what it created.
    func makeStore() async throws -> StoreUnderTest {
        switch self {
        case .memory:
            return StoreUnderTest(store: MemoryJourneyStore(), reopen: nil, close: {})
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-conformance-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("herald.sqlite").path
            return StoreUnderTest(
                store: try SQLiteJourneyStore(SQLiteConfiguration(path: path)),
                reopen: { try SQLiteJourneyStore(SQLiteConfiguration(path: path)) },
                close: { try? FileManager.default.removeItem(at: directory) },
                overwriteState: { id, bytes in
                    var configuration = Configuration()
                    configuration.busyMode = .timeout(10)
                    let queue = try DatabaseQueue(path: path, configuration: configuration)
                    try await queue.write { db in
                        try db.execute(sql: "UPDATE customers SET state = ? WHERE id = ?", arguments: [bytes, id])
                    }
                    try queue.close()
                })
        case .postgres:
            let database = try await TestDatabase.create()
            let store = try await database.open()
            return StoreUnderTest(
                store: store, reopen: { try await database.open() },
                close: {
                    store.close()
                    await database.drop()
                },
                overwriteState: { id, bytes in
                    try await database.execute("UPDATE customers SET state = \(bytes) WHERE id = \(id)")
                })
        }
    }
}

struct StoreUnderTest: Sendable {
    var store: any JourneyStore
    /// Opens the same data again (a restart), for durable backends.
    var reopen: (@Sendable () async throws -> any JourneyStore)?
    var close: @Sendable () async -> Void
    /// Replaces a customer's stored aggregate with these bytes (as an earlier version wrote it),
    /// for durable backends.
    var overwriteState: (@Sendable (_ customerID: String, _ bytes: Data) async throws -> Void)? = nil
}

/// A database of its own for one test, in the cluster `HERALD_TEST_POSTGRES_URL` points at.
struct TestDatabase: Sendable {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "HERALD_TEST_POSTGRES_URL is not set: run the tests with `make test` (it starts a private PostgreSQL cluster), "
                + "or start one with scripts/postgres-test-cluster.sh start DIR and export the URL it prints"
        }
    }

    var name: String
    var admin: PostgresConfiguration
    var url: String

    static let logger = Logger(label: "herald.test.postgres")

    static func create() async throws -> TestDatabase {
        guard let base = StoreBackend.postgresURL else { throw Missing() }
        let admin = try PostgresConfiguration(url: base)
        let name = "herald_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await withAdmin(admin) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var components = URLComponents(string: base)!
        components.path = "/" + name
        return TestDatabase(name: name, admin: admin, url: components.string!)
    }

    func configuration(leaseSeconds: Double = 15) throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(url: url)
        configuration.maximumConnections = 8
        configuration.leaseSeconds = leaseSeconds
        return configuration
    }

    func open(leaseSeconds: Double = 15) async throws -> PostgresJourneyStore {
        try await PostgresJourneyStore.open(try configuration(leaseSeconds: leaseSeconds), logger: Self.logger)
    }

    func drop() async {
        try? await Self.withAdmin(admin) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: Self.logger)
        }
    }

    /// Runs one statement in this test's database, behind the store's back.
    func execute(_ query: PostgresQuery) async throws {
        var own = admin
        own.database = name
        try await Self.withAdmin(own) { connection in _ = try await connection.query(query, logger: Self.logger) }
    }

    private static func withAdmin(_ admin: PostgresConfiguration, _ body: (PostgresConnection) async throws -> Void)
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
