import Foundation
import HeraldTestSupport
import JourneyEngine
import Logging
import PostgresNIO
import Testing

@testable import HeraldPostgres

/// A node frozen in the middle of a transaction comes back to a session PostgreSQL has ended: the
/// transaction fails, and the store goes on with fresh connections.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres)), .timeLimit(.minutes(2)))
struct PostgresFrozenTransactionTests {
    @Test func aTransactionWhoseSessionWasEndedFailsAndTheStoreGoesOn() async throws {
        let database = try await TestDatabase.create()
        defer { Task { await database.drop() } }
        var configuration = try database.configuration(maximumConnections: 1, leaseSeconds: 10)
        configuration.idleTransactionSeconds = 1
        let store = try await PostgresJourneyStore.open(configuration, logger: PostgresStallTests.logger)
        defer { store.close() }
        // PostgresNIO never answers a query sent on a connection the server closed: the store gives
        // up on the transaction as soon as the connection is closed.
        await #expect(throws: PostgresJourneyStore.ConnectionClosed.self) {
            try await store.transaction { connection in
                try await connection.query("SELECT 1", logger: PostgresStallTests.logger)
                try await Task.sleep(for: .seconds(3))  // "frozen" past the bound
                try await connection.query("SELECT 1", logger: PostgresStallTests.logger)
            }
        }
        let outcomes = try await store.enqueue([StoreConformanceTests.event("e1", customer: "c1")])
        #expect(outcomes.count == 1)
    }
}
