import Foundation
import GRDB
import HeraldPostgres
import HeraldSQLite
import HeraldTestSupport
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

    /// Every backend available here; under CI PostgreSQL is always included (and fails without a URL).
    static var available: [StoreBackend] {
        var backends: [StoreBackend] = [.memory, .sqlite]
        if TestDatabase.required { backends.append(.postgres) }
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

/// The conformance cases take their backends from ``StoreBackend/available``, so without a cluster
/// the PostgreSQL cases are simply not generated. This test stands for them: `swift test` lists it
/// as skipped, with the reason, so a run that left PostgreSQL out says so.
@Suite struct PostgresBackendCoverage {
    @Test(.enabled(if: TestDatabase.required, Comment(rawValue: TestDatabase.skipReason)))
    func postgresCasesAreIncluded() {
        #expect(StoreBackend.available.contains(.postgres))
    }
}
