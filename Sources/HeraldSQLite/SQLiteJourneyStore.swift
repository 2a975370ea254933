import Foundation
import GRDB
public import JourneyEngine
import JourneyLanguage
import Synchronization

/// The embedded durable store: one SQLite file in WAL mode with full sync, written by a single
/// group-committing writer and read through a pool of concurrent readers.
///
/// ```swift
/// let store = try SQLiteJourneyStore(SQLiteConfiguration(path: "data/herald.sqlite"))
/// ```
public final class SQLiteJourneyStore: JourneyStore {
    let pool: DatabasePool
    let writer: GroupCommitWriter
    /// Checkpoints the WAL off the writer's path (see ``WALCheckpointer``).
    let checkpointer: WALCheckpointer
    public let configuration: SQLiteConfiguration

    /// Opens (creating if needed) and migrates the database.
    public init(_ configuration: SQLiteConfiguration) throws {
        self.configuration = configuration
        var config = Configuration()
        let synchronous = configuration.durability == .full ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Deleted and overwritten content is zeroed, so an erased customer leaves no bytes behind.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        config.busyMode = .timeout(10)
        config.maximumReaderCount = 4
        pool = try DatabasePool(path: configuration.path, configuration: config)
        try Migrations.migrator.migrate(pool)
        writer = GroupCommitWriter(pool: pool, maxGroupSize: configuration.maxGroupSize)
        checkpointer = WALCheckpointer(path: configuration.path, configuration: config)
        try pool.writeWithoutTransaction { [checkpointer] db in checkpointer.install(on: db) }
    }

    deinit {
        // The writer connection's WAL hook points at the checkpointer, which goes with this store.
        try? pool.writeWithoutTransaction { [checkpointer] db in checkpointer.uninstall(from: db) }
    }

    /// WAL checkpoints run so far off the writer's path, and by the writer when that fell behind.
    public var checkpointCounts: (background: Int, byWriter: Int) { checkpointer.counts }

    /// Groups committed and the transactions they held since the store opened.
    public var groupCommitStatistics: (groups: Int, transactions: Int) { writer.statistics.withLock { $0 } }

    // MARK: Ownership

    public func acquireShards(owner: String, leaseDuration: Double, now: Double) async throws -> ShardOwnership {
        let epoch = try await writer.write { db -> Int64 in
            let row = try Row.fetchOne(db, sql: "SELECT owner, epoch FROM node_lease WHERE id = 1")
            let current: Int64 = row?["epoch"] ?? 0
            let currentOwner: String? = row?["owner"]
            let epoch = currentOwner == owner ? current : current + 1
            try db.execute(
                sql: """
                    INSERT INTO node_lease (id, owner, epoch, expires_at) VALUES (1, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at
                    """, arguments: [owner, epoch, now + leaseDuration])
            return epoch
        }
        var leases: [Int: ShardLease] = [:]
        for shard in 0..<CustomerShard.count {
            leases[shard] = ShardLease(shard: shard, epoch: epoch, owner: owner, expiresAt: now + leaseDuration)
        }
        return ShardOwnership(owner: owner, leases: leases, ownsAll: true)
    }

    // MARK: Inbox

    public func enqueue(_ items: [InboxItem]) async throws -> [EnqueueOutcome] {
        if items.isEmpty { return [] }
        let encoded = try items.map { (item: $0, payload: try StoreColumnCoding.encode($0.payload)) }
        return try await writer.write { db in
            try encoded.map { try Self.insert($0.item, payload: $0.payload, db: db) }
        }
    }

    static func insert(_ item: InboxItem, payload: Data, db: Database) throws -> EnqueueOutcome {
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO inbox (event_id, customer_id, shard, kind, payload, accepted_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(arguments: [
            item.id, item.customerID, CustomerShard.of(item.customerID), item.payload.kind, payload, item.acceptedAt,
        ])
        if db.changesCount == 0 { return .duplicate }
        let sequence = db.lastInsertedRowID
        if InputLogEntry.logs(item.payload) {
            // The input log is written in the transaction that accepts the input; an erasure
            // leaves only itself of the customer's inputs, under a pseudonym.
            var logged = item.customerID
            if item.payload == .erase {
                try db.cachedStatement(sql: "DELETE FROM input_log WHERE customer_id = ?").execute(arguments: [item.customerID])
                logged = InputLogEntry.erasedCustomerID(item.customerID)
            }
            try db.cachedStatement(sql: "INSERT INTO input_log (seq, customer_id, accepted_at, payload) VALUES (?, ?, ?, ?)")
                .execute(arguments: [sequence, logged, item.acceptedAt, payload])
        }
        return .accepted(sequence: sequence)
    }

    public func pendingInbox(after sequence: Int64, limit: Int, ownership: ShardOwnership) async throws -> [InboxEntry] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, shard, event_id, customer_id, payload, accepted_at FROM inbox INDEXED BY inbox_pending
                    WHERE processed_at IS NULL AND seq > ? ORDER BY seq LIMIT ?
                    """, arguments: [sequence, limit])
            var entries: [InboxEntry] = []
            entries.reserveCapacity(rows.count)
            for row in rows {
                let shard: Int = row["shard"]
                guard ownership.owns(shard), let payloadData = row["payload"] as Data? else { continue }
                let payload = try StoreColumnCoding.decode(InboxPayload.self, from: payloadData)
                entries.append(
                    InboxEntry(
                        sequence: row["seq"], shard: shard,
                        item: InboxItem(
                            id: row["event_id"], customerID: row["customer_id"], payload: payload,
                            acceptedAt: row["accepted_at"])))
            }
            return entries
        }
    }

    // MARK: Customers

    public func loadCustomers(_ ids: [String]) async throws -> [String: StoredCustomer] {
        if ids.isEmpty { return [:] }
        return try await pool.read { db in
            var result: [String: StoredCustomer] = [:]
            result.reserveCapacity(ids.count)
            // Bounded IN lists keep statements cacheable and under SQLite's variable limit.
            for chunk in ids.chunked(into: 200) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT id, version, state, next_wake_at, updated_at FROM customers WHERE id IN (\(marks))",
                    arguments: StatementArguments(Array(chunk)))
                while let row = try rows.next() {
                    let state = try CustomerStateCoding.decode(row["state"] as Data)
                    result[row["id"]] = StoredCustomer(
                        state: state, version: row["version"], nextWakeAt: row["next_wake_at"], updatedAt: row["updated_at"])
                }
            }
            return result
        }
    }

    /// Commits a batch in one transaction (one savepoint of the writer's group). Each customer's
    /// aggregate row is written on its own (its version is checked), then the batch's rows go
    /// together: the outbox, processed-inbox and log rows in multi-row statements
    /// (``SQLiteBatchRows``), and each counter once with the sum of the batch's deltas (the
    /// minimum for a ``JourneyCounter/keepsMinimum(_:)`` counter), as the per-commit writes would
    /// have left it. A batch holding an erasure keeps the per-commit order (its deletes must come
    /// before the same customer's later rows).
    public func commit(_ commits: [CustomerCommit]) async throws {
        if commits.isEmpty { return }
        let prepared = try commits.map { try EncodedCommit($0) }
        let erases = commits.contains { $0.change == .erase }
        let counters = Self.aggregateCounters(commits)
        try await writer.write { db in
            var checkedEpoch: Int64?
            for commit in prepared {
                if let lease = commit.commit.lease {
                    if checkedEpoch == nil {
                        checkedEpoch = try Int64.fetchOne(db, sql: "SELECT epoch FROM node_lease WHERE id = 1") ?? -1
                    }
                    if checkedEpoch != lease.epoch { throw JourneyStoreError.fenced(shard: lease.shard, epoch: lease.epoch) }
                }
                try Self.apply(commit, db: db, rowsLater: !erases)
            }
            if !erases { try SQLiteBatchRows(prepared).write(db) }
            try Self.writeCounters(counters, db: db)
        }
        // secure_delete zeroed the erased rows in the pages this commit wrote, but the WAL still holds
        // the earlier page images with the values: copy the WAL back and truncate it now.
        if erases { await writer.checkpoint() }
    }

    /// The batch's counter deltas, one per counter, combined as the store combines two writes.
    static func aggregateCounters(_ commits: [CustomerCommit]) -> [(counter: JourneyCounter, delta: Int64)] {
        var index: [JourneyCounter: Int] = [:]
        var result: [(counter: JourneyCounter, delta: Int64)] = []
        for commit in commits {
            for (counter, delta) in commit.counters {
                if let at = index[counter] {
                    result[at].delta = JourneyCounter.combine(result[at].delta, delta, metric: counter.metric)
                } else {
                    index[counter] = result.count
                    result.append((counter, delta))
                }
            }
        }
        return result
    }

    private static func writeCounters(_ counters: [(counter: JourneyCounter, delta: Int64)], db: Database) throws {
        if counters.isEmpty { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO journey_counters (journey, version, step, metric, count) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (journey, version, step, metric) DO UPDATE SET count = CASE
                    WHEN substr(excluded.metric, 1, 15) = 'first_assigned:' THEN min(count, excluded.count) ELSE count + excluded.count END
                """)
        for (counter, delta) in counters {
            try statement.execute(arguments: [counter.journey, counter.version, counter.step, counter.metric, delta])
        }
    }

    /// One customer's changes; with `rowsLater` its outbox, inbox and log rows are left to
    /// ``SQLiteBatchRows`` (its counters are always written by the batch).
    private static func apply(_ prepared: EncodedCommit, db: Database, rowsLater: Bool) throws {
        let commit = prepared.commit
        let id = commit.customerID
        switch commit.change {
        case .save(_, let nextWakeAt):
            let state = prepared.state!
            if commit.expectedVersion == 0 {
                do {
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO customers (id, shard, version, state, next_wake_at, updated_at)
                            VALUES (?, ?, 1, ?, ?, ?)
                            """
                    ).execute(arguments: [id, CustomerShard.of(id), state, nextWakeAt, commit.at])
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw JourneyStoreError.conflict(customerID: id)
                }
            } else {
                try db.cachedStatement(
                    sql: """
                        UPDATE customers SET version = version + 1, state = ?, next_wake_at = ?, updated_at = ?
                        WHERE id = ? AND version = ?
                        """
                ).execute(arguments: [state, nextWakeAt, commit.at, id, commit.expectedVersion])
                if db.changesCount != 1 { throw JourneyStoreError.conflict(customerID: id) }
            }
        case .erase:
            try checkVersion(of: id, expected: commit.expectedVersion, db)
            try db.execute(sql: "DELETE FROM customers WHERE id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM outbox WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM customer_log WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM dead_letters WHERE customer_id = ?", arguments: [id])
        case .unchanged:
            // Nothing to write, but the inbox rows it consumes were read against this version.
            try checkVersion(of: id, expected: commit.expectedVersion, db)
        }
        if rowsLater { return }
        if !prepared.outbox.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO outbox (id, customer_id, shard, message, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
            for (message, data) in prepared.outbox {
                try statement.execute(arguments: [
                    message.id, message.customerID, CustomerShard.of(message.customerID), data, message.at, commit.at,
                ])
            }
        }
        if !commit.processed.isEmpty {
            let statement = try db.cachedStatement(
                sql: "UPDATE inbox SET processed_at = ?, payload = NULL WHERE seq = ? AND processed_at IS NULL")
            for sequence in commit.processed { try statement.execute(arguments: [commit.at, sequence]) }
        }
        if commit.change == .erase {
            // Right to be forgotten: the customer's handled inbox rows (event ids, the erasure itself)
            // go too. Rows accepted after the erasure are still pending and stay.
            try db.execute(sql: "DELETE FROM inbox WHERE customer_id = ? AND processed_at IS NOT NULL", arguments: [id])
        }
        if !prepared.log.isEmpty, commit.change != .erase {
            let statement = try db.cachedStatement(sql: "INSERT INTO customer_log (customer_id, at, entry) VALUES (?, ?, ?)")
            for (entry, data) in zip(commit.log, prepared.log) { try statement.execute(arguments: [id, entry.at, data]) }
        }
    }

    public func dueWakeUps(until: Double, after: WakeUp?, limit: Int, ownership: ShardOwnership) async throws -> [WakeUp] {
        let wakes = try await pool.read { db -> [WakeUp] in
            let rows: [Row]
            if let after {
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT next_wake_at, id FROM customers INDEXED BY customers_wake
                        WHERE next_wake_at IS NOT NULL AND next_wake_at <= ? AND (next_wake_at, id) > (?, ?)
                        ORDER BY next_wake_at, id LIMIT ?
                        """, arguments: [until, after.at, after.customerID, limit])
            } else {
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT next_wake_at, id FROM customers INDEXED BY customers_wake
                        WHERE next_wake_at IS NOT NULL AND next_wake_at <= ? ORDER BY next_wake_at, id LIMIT ?
                        """, arguments: [until, limit])
            }
            return rows.map { WakeUp(at: $0["next_wake_at"], customerID: $0["id"]) }
        }
        return wakes.filter { ownership.owns(CustomerShard.of($0.customerID)) }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension SQLiteJourneyStore {
    /// Throws ``JourneyStoreError/conflict(customerID:)`` unless the stored version (0 when the
    /// customer does not exist) is `expected`.
    fileprivate static func checkVersion(of id: String, expected: Int64, _ db: Database) throws {
        let version = try Int64.fetchOne(db, sql: "SELECT version FROM customers WHERE id = ?", arguments: [id]) ?? 0
        if version != expected { throw JourneyStoreError.conflict(customerID: id) }
    }
}
