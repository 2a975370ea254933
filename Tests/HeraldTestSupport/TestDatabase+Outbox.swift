import Foundation
import HeraldPostgres
import Logging
import PostgresNIO

extension TestDatabase {
    /// The outbox rows as the store left them (for a crash test, after a `kill -9`): id → status
    /// (0 pending, 1 delivered, 2 dead) and counted attempts; with `inFlightOnly`, only the pending
    /// rows whose claim holds a lease (an attempt started, its outcome not recorded).
    public func outboxRows(inFlightOnly: Bool) async throws -> [String: (status: Int, attempts: Int)] {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: admin.host, port: admin.port, username: admin.username, password: admin.password, database: name,
                tls: .disable),
            id: 2, logger: Self.logger)
        defer { Task { try? await connection.close() } }
        let filter = inFlightOnly ? "WHERE status = 0 AND lease_until IS NOT NULL" : ""
        var rows: [String: (status: Int, attempts: Int)] = [:]
        for try await (id, status, attempts) in try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT id, status, attempts FROM outbox \(filter)"), logger: Self.logger
        ).decode((String, Int16, Int).self) {
            rows[id] = (Int(status), attempts)
        }
        return rows
    }
}
