import Foundation
public import JourneyEngine
public import JourneyLanguage
import Logging
import PostgresNIO
import Synchronization

extension PostgresJourneyStore {
    // MARK: Outbox

    /// Claims due messages of the shards `ownership` holds: `FOR UPDATE SKIP LOCKED` lets nodes
    /// (and a node's concurrent workers) claim side by side without waiting on each other, and the
    /// claim is a lease with a fresh token, so only its holder can record the outcome.
    public func claimOutbox(
        now: Double, leaseFor duration: Double, limit: Int, ownership: ShardOwnership
    ) async throws
        -> [OutboxClaim]
    {
        let shards = Self.shards(of: ownership) ?? Array(0..<CustomerShard.count)
        if shards.isEmpty || limit <= 0 { return [] }
        let claimer = node.withLock { $0 } ?? ownership.owner
        var claims: [OutboxClaim] = []
        for try await (message, attempts, token, until) in try await client.query(
            """
            UPDATE outbox SET lease_until = \(now + duration), lease_token = lease_token + 1, claimed_by = \(claimer),
                attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM outbox
                WHERE status = 0 AND next_attempt_at <= \(now) AND (lease_until IS NULL OR lease_until <= \(now))
                  AND shard = ANY(\(shards))
                ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING message, attempts, lease_token, lease_until
            """, logger: logger
        ).decode((Data, Int, Int64, Double).self) {
            claims.append(
                OutboxClaim(
                    message: try StoreColumnCoding.decode(OutboxMessage.self, from: message), attempts: attempts - 1, token: token,
                    leaseUntil: until))
        }
        return claims.sorted { ($0.message.at, $0.message.id) < ($1.message.at, $1.message.id) }
    }

    @discardableResult
    public func recordDeliveries(_ records: [DeliveryRecord]) async throws -> Set<String> {
        if records.isEmpty { return [] }
        let feedback = try records.map { record in try record.feedback.map { ($0, try StoreColumnCoding.encode($0.payload)) } }
        return try await transaction { [self] connection in
            var recorded: Set<String> = []
            for (record, feedback) in zip(records, feedback) {
                let query: PostgresQuery
                switch record.outcome {
                case .delivered:
                    query = """
                        UPDATE outbox SET status = 1, lease_until = NULL, finished_at = \(record.at),
                            last_error = NULL
                        WHERE id = \(record.messageID) AND status = 0 AND lease_token = \(record.token) RETURNING 1
                        """
                case .retry(let at, let reason):
                    query = """
                        UPDATE outbox SET lease_until = NULL, next_attempt_at = \(at),
                            last_error = \(reason)
                        WHERE id = \(record.messageID) AND status = 0 AND lease_token = \(record.token) RETURNING 1
                        """
                case .deadLettered(let reason):
                    query = """
                        UPDATE outbox SET status = 2, lease_until = NULL, finished_at = \(record.at),
                            last_error = \(reason)
                        WHERE id = \(record.messageID) AND status = 0 AND lease_token = \(record.token) RETURNING 1
                        """
                case .notAttempted(let at):
                    // Claimed but never started: the attempt counted by the claim is given back.
                    query = """
                        UPDATE outbox SET attempts = attempts - 1, lease_until = NULL, next_attempt_at = \(at)
                        WHERE id = \(record.messageID) AND status = 0 AND lease_token = \(record.token) RETURNING 1
                        """
                }
                var changed = false
                for try await _ in try await connection.query(query, logger: logger) { changed = true }
                guard changed else { continue }
                if case .deadLettered(let reason) = record.outcome {
                    try await connection.query(
                        """
                        INSERT INTO dead_letters (message_id, customer_id, message, attempts, reason, at)
                        SELECT id, customer_id, message, attempts, \(reason), \(record.at) FROM outbox WHERE id = \(record.messageID)
                        """, logger: logger)
                }
                recorded.insert(record.messageID)
                if let (item, payload) = feedback {
                    _ = try await Self.insert(item, payload: payload, connection: connection, logger: logger)
                }
            }
            return recorded
        }
    }

    /// Releases the leases of claims made by nodes that are no longer alive (their heartbeat in
    /// `cluster_nodes` lapsed or is gone) — this node's earlier incarnations among them — so their
    /// messages are retried at once. Claims of live nodes are left alone: they may be mid-attempt.
    public func releaseOutboxLeases(now: Double) async throws {
        try await client.query(
            """
            UPDATE outbox SET lease_until = NULL
            WHERE status = 0 AND lease_until IS NOT NULL AND lease_until > \(now)
              AND NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.node = outbox.claimed_by AND n.expires_at > \(now))
            """, logger: logger)
    }

    public func nextOutboxAttempt(ownership: ShardOwnership) async throws -> Double? {
        let shards = Self.shards(of: ownership) ?? Array(0..<CustomerShard.count)
        if shards.isEmpty { return nil }
        var earliest: Double?
        for try await next in try await client.query(
            """
            SELECT min(GREATEST(next_attempt_at, COALESCE(lease_until, 0))) FROM outbox
            WHERE status = 0 AND shard = ANY(\(shards))
            """, logger: logger
        ).decode(Double?.self) {
            earliest = next
        }
        return earliest
    }
}
