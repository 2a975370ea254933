import Foundation
import GRDB
public import JourneyEngine
import JourneyLanguage

extension SQLiteJourneyStore {
    // MARK: Outbox

    public func claimOutbox(
        now: Double, leaseFor duration: Double, limit: Int, ownership: ShardOwnership
    ) async throws
        -> [OutboxClaim]
    {
        let claims = try await writer.write { db -> [OutboxClaim] in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE outbox SET lease_until = ?, lease_token = lease_token + 1, attempts = attempts + 1
                    WHERE id IN (
                        SELECT id FROM outbox INDEXED BY outbox_due
                        WHERE status = 0 AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                        ORDER BY next_attempt_at LIMIT ?)
                    RETURNING message, attempts, lease_token, lease_until
                    """, arguments: [now + duration, now, now, limit])
            return try rows.map { row in
                OutboxClaim(
                    message: try StoreColumnCoding.decode(OutboxMessage.self, from: row["message"] as Data),
                    attempts: (row["attempts"] as Int) - 1, token: row["lease_token"], leaseUntil: row["lease_until"])
            }
        }
        return claims.sorted { ($0.message.at, $0.message.id) < ($1.message.at, $1.message.id) }
    }

    @discardableResult
    public func recordDeliveries(_ records: [DeliveryRecord]) async throws -> Set<String> {
        if records.isEmpty { return [] }
        let feedback = try records.map { record in try record.feedback.map { ($0, try StoreColumnCoding.encode($0.payload)) } }
        return try await writer.write(urgent: true) { db in
            var recorded: Set<String> = []
            for (record, feedback) in zip(records, feedback) {
                switch record.outcome {
                case .delivered:
                    try db.cachedStatement(
                        sql: """
                            UPDATE outbox SET status = 1, lease_until = NULL, finished_at = ?,
                            last_error = NULL WHERE id = ? AND status = 0 AND lease_token = ?
                            """
                    ).execute(arguments: [record.at, record.messageID, record.token])
                case .retry(let at, let reason):
                    try db.cachedStatement(
                        sql: """
                            UPDATE outbox SET lease_until = NULL, next_attempt_at = ?, last_error = ?
                            WHERE id = ? AND status = 0 AND lease_token = ?
                            """
                    ).execute(arguments: [at, reason, record.messageID, record.token])
                case .deadLettered(let reason):
                    try db.cachedStatement(
                        sql: """
                            UPDATE outbox SET status = 2, lease_until = NULL, finished_at = ?,
                            last_error = ? WHERE id = ? AND status = 0 AND lease_token = ?
                            """
                    ).execute(arguments: [record.at, reason, record.messageID, record.token])
                    if db.changesCount == 1 {
                        try db.execute(
                            sql: """
                                INSERT INTO dead_letters (message_id, customer_id, message, attempts, reason, at)
                                SELECT id, customer_id, message, attempts, ?, ? FROM outbox WHERE id = ?
                                """, arguments: [reason, record.at, record.messageID])
                    }
                case .notAttempted(let at):
                    // Claimed but never started: the attempt counted by the claim is given back.
                    try db.cachedStatement(
                        sql: """
                            UPDATE outbox SET attempts = attempts - 1, lease_until = NULL, next_attempt_at = ?
                            WHERE id = ? AND status = 0 AND lease_token = ?
                            """
                    ).execute(arguments: [at, record.messageID, record.token])
                }
                guard db.changesCount == 1 else { continue }
                recorded.insert(record.messageID)
                if let (item, payload) = feedback { _ = try Self.insert(item, payload: payload, db: db) }
            }
            return recorded
        }
    }

    public func releaseOutboxLeases(now: Double) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE outbox SET lease_until = NULL WHERE status = 0 AND lease_until IS NOT NULL")
        }
    }

    public func nextOutboxAttempt(ownership: ShardOwnership) async throws -> Double? {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT next_attempt_at FROM outbox INDEXED BY outbox_due
                    WHERE status = 0 AND lease_until IS NULL ORDER BY next_attempt_at LIMIT 1
                    """)
        }
    }
}
