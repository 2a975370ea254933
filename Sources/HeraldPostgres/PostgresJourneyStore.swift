import Foundation
public import JourneyEngine
import JourneyLanguage
public import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The scale-out store: several `herald serve` nodes share one PostgreSQL database.
///
/// Customers fall into ``CustomerShard/count`` logical shards. Each shard is owned by one node at a
/// time under a lease (`shard_leases`): ``acquireShards(owner:leaseDuration:now:)`` renews this
/// node's leases, takes over lapsed ones and gives some back when more nodes are alive, so the
/// shards spread evenly. Taking a shard over increments its epoch, and every commit locks the rows
/// of its shards (`FOR SHARE`) and checks that their owner and epoch are still the ones it carries,
/// so a node that was paused or partitioned past its lease can never commit for a shard it lost:
/// the commit is refused with ``JourneyStoreError/fenced(shard:epoch:)`` and recorded in
/// `fenced_writes` (see ``fencedWrites(node:)``).
///
/// Any node accepts events for any customer (the inbox is shared): a batch is one `INSERT`
/// statement, and nothing orders insertions across nodes, so ingestion grows with nodes. The owner
/// of the customer's shard processes them in inbox order. Outbox rows are claimed per shard with
/// `FOR UPDATE SKIP LOCKED` under a delivery lease.
///
/// Leases are renewed on a pool of their own (never behind request traffic), and every session is
/// bounded: a statement runs at most ``PostgresConfiguration/statementSeconds``, waits for a lock
/// and sits idle inside a transaction at most ``PostgresConfiguration/transactionBound``, so a node
/// frozen in the middle of a transaction loses its session and its locks that soon.
///
/// ```swift
/// let store = try await PostgresJourneyStore.open(
///     try PostgresConfiguration(url: "postgres://herald@db:5432/herald"), logger: logger)
/// let mine = try await store.acquireShards(owner: nodeID, leaseDuration: 15, now: now)
/// ```
public final class PostgresJourneyStore: JourneyStore {
    let client: PostgresClient
    /// The lease keeper's own connections (see ``PostgresConfiguration/leaseClientConfiguration``).
    let leaseClient: PostgresClient
    let logger: Logger
    public let configuration: PostgresConfiguration
    private let runner: Task<Void, Never>
    /// This node's id, once it has acquired shards (recorded with outbox claims and refusals).
    let node = Mutex<String?>(nil)
    private let refusals = Atomic<Int>(0)
    /// The leases last granted to each owner in this process, to tell which ones a renewal lost.
    private let granted = Mutex<[String: [Int: Int64]]>([:])

    private init(
        client: PostgresClient, leaseClient: PostgresClient, runner: Task<Void, Never>, configuration: PostgresConfiguration,
        logger: Logger
    ) {
        self.client = client
        self.leaseClient = leaseClient
        self.runner = runner
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects, waits until the database answers (up to `connectTimeout` seconds), and migrates.
    public static func open(
        _ configuration: PostgresConfiguration, logger: Logger, connectTimeout: Double = 30
    ) async throws -> PostgresJourneyStore {
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        let leaseClient = PostgresClient(configuration: configuration.leaseClientConfiguration, backgroundLogger: logger)
        let runner = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                group.addTask { await leaseClient.run() }
            }
        }
        let store = PostgresJourneyStore(
            client: client, leaseClient: leaseClient, runner: runner, configuration: configuration, logger: logger)
        let deadline = ContinuousClock.now + .seconds(connectTimeout)
        var said = false
        // One probe at a time, looked at every 2 s: the pool alone keeps retrying a refused
        // connection until its circuit breaker trips (15 s, much longer on a loaded machine), and a
        // query waiting for a connection ignores cancellation. So the wait is announced, and given
        // up at its deadline, whatever the pool does; a probe still waiting is not started again.
        var probe: Task<Void, any Error>?
        waiting: while true {
            let current = probe ?? Task { try await client.query("SELECT 1", logger: logger) }
            probe = current
            let error: any Error
            switch await Self.outcome(of: current, within: 2) {
            case .answered: break waiting
            case .failed(let failure):
                probe = nil
                error = failure
            case .pending:
                error = NoAnswer(seconds: 2)
            }
            if !said {
                said = true
                logger.notice(
                    "waiting for PostgreSQL",
                    metadata: [
                        "database": "\(configuration.host):\(configuration.port)/\(configuration.database)",
                        "up_to_seconds": "\(Int(connectTimeout))", "error": "\(String(reflecting: error))",
                    ])
            }
            if ContinuousClock.now >= deadline {
                probe?.cancel()
                runner.cancel()
                let why = error is NoAnswer ? NoAnswer(seconds: connectTimeout).description : String(reflecting: error)
                throw PostgresConfiguration.Invalid(
                    description: "cannot connect to PostgreSQL at \(configuration.host):\(configuration.port)/\(configuration.database): \(why)")
            }
            if probe == nil { try await Task.sleep(for: .milliseconds(250)) }
        }
        try await PostgresMigrations.migrate(client, logger: logger)
        return store
    }

    /// What became of a start-up probe within `seconds`.
    enum ProbeOutcome: Sendable {
        case answered
        case failed(any Error)
        case pending
    }

    /// Waits at most `seconds` for `probe` without cancelling it (a query waiting for a connection
    /// ignores cancellation, so it is left to finish and looked at again).
    static func outcome(of probe: Task<Void, any Error>, within seconds: Double) async -> ProbeOutcome {
        let decided = Waiting<ProbeOutcome>()
        let outcome = try? await withCheckedThrowingContinuation { continuation in
            decided.set(continuation)
            Task {
                let outcome: ProbeOutcome
                do {
                    try await probe.value
                    outcome = .answered
                } catch {
                    outcome = .failed(error)
                }
                decided.take()?.resume(returning: outcome)
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                decided.take()?.resume(returning: .pending)
            }
        }
        return outcome ?? .pending
    }

    /// The database did not answer a start-up probe in time.
    struct NoAnswer: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer within \(Int(seconds)) s" }
    }

    /// Closes the connections.
    public func close() {
        runner.cancel()
    }

    deinit { runner.cancel() }

    /// Writes this process refused because a shard lease was no longer its own.
    public var fencedWriteCount: Int { refusals.load(ordering: .relaxed) }

    // MARK: Transactions

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws (the
    /// error is rethrown as is, so callers see ``JourneyStoreError``s unwrapped).
    ///
    /// A node frozen in the middle of a transaction comes back to a session PostgreSQL has ended
    /// (``PostgresConfiguration/transactionBound``), and a query sent on such a connection never
    /// returns; so the transaction is abandoned with ``ConnectionClosed`` as soon as its connection
    /// is closed, and the pool replaces the connection.
    func transaction<T: Sendable>(
        on client: PostgresClient? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await withAvailableConnection(on: client ?? self.client, waitingAtMost: nil) { connection in
            try await Self.abandoningIfClosed(connection) {
                try await connection.query("BEGIN", logger: logger)
                let value: T
                do {
                    value = try await body(connection)
                } catch {
                    if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                    throw error
                }
                try await connection.query("COMMIT", logger: logger)
                return value
            }
        }
    }

    /// Runs `body` on a connection of `client`. With a `wait` (the API's writes:
    /// ``PostgresConfiguration/connectionWaitSeconds``), a connection that cannot be had within it
    /// (the database is down or unreachable, the pool gave up, or the wait ran out) and a
    /// connection lost under `body` throw ``JourneyStoreError/unavailable(_:)``. Without one (the
    /// background loops) it waits for the database and rethrows every error as it is.
    func withAvailableConnection<T: Sendable>(
        on client: PostgresClient, waitingAtMost wait: Double?, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connected = ConnectedFlag()
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        connected.set()
                        return try await body(connection)
                    }
                }
                if let wait {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                        if connected.isSet { return nil }
                        throw JourneyStoreError.unavailable("no database connection within \(wait) s")
                    }
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw CancellationError()
            }
        } catch let error as JourneyStoreError {
            throw error
        } catch  where wait == nil {
            throw error  // the background loops see the database's errors as they are
        } catch let error as PSQLError where Self.isConnectionLoss(error.code) {
            throw JourneyStoreError.unavailable("the database connection failed (\(error.code))")
        } catch is ConnectionClosed {
            throw JourneyStoreError.unavailable(ConnectionClosed().description)
        } catch {
            // Not connected at all: the pool could not make a connection (circuit breaker, refused).
            if !connected.isSet, !(error is CancellationError) {
                throw JourneyStoreError.unavailable("no database connection: \(String(reflecting: error))")
            }
            throw error
        }
    }

    private final class ConnectedFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
        func set() { flag.store(true, ordering: .relaxed) }
    }

    static func isConnectionLoss(_ code: PSQLError.Code) -> Bool {
        [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed].contains(code)
    }

    /// The connection of a transaction was closed under it (PostgreSQL ended the session).
    public struct ConnectionClosed: Error, CustomStringConvertible {
        public var description: String { "the database ended the session in the middle of a transaction; nothing of it was committed" }
    }

    /// Runs `work`, but throws ``ConnectionClosed`` as soon as `connection` is closed instead of
    /// waiting for a query that will never answer (that query's task is left behind).
    private static func abandoningIfClosed<T: Sendable>(
        _ connection: PostgresConnection, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let waiting = Waiting<T>()
        return try await withCheckedThrowingContinuation { continuation in
            waiting.set(continuation)
            let task = Task {
                let result: Result<T, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                waiting.take()?.resume(with: result)
            }
            Task {
                while waiting.isWaiting {
                    if connection.isClosed {
                        waiting.take()?.resume(throwing: ConnectionClosed())
                        task.cancel()
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    /// The continuation of ``abandoningIfClosed(_:_:)``, resumed once by whichever finishes first.
    private final class Waiting<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
        func set(_ value: CheckedContinuation<T, any Error>) { continuation.withLock { $0 = value } }
        func take() -> CheckedContinuation<T, any Error>? { continuation.withLock { $0.take() } }
        var isWaiting: Bool { continuation.withLock { $0 != nil } }
    }

    // MARK: Ownership

    /// Renews this node's leases, takes over lapsed or released shards up to its fair share
    /// (`ceil(shards / live nodes)`), and releases shards above it, so that shards rebalance when
    /// nodes join or leave. The lease lasts `min(leaseDuration, configuration.leaseSeconds)`.
    public func acquireShards(owner: String, leaseDuration: Double, now: Double) async throws -> ShardOwnership {
        node.withLock { $0 = owner }
        let duration = min(leaseDuration, configuration.leaseSeconds)
        let until = now + duration
        let shardCount = CustomerShard.count
        let leases = try await transaction(on: leaseClient) { [self] connection -> [ShardLease] in
            try await connection.query(
                """
                INSERT INTO cluster_nodes (node, started_at, expires_at) VALUES (\(owner), \(now), \(until))
                ON CONFLICT (node) DO UPDATE SET expires_at = excluded.expires_at
                """, logger: logger)
            try await connection.query("DELETE FROM cluster_nodes WHERE expires_at < \(now - 86_400)", logger: logger)
            var live = 1
            for try await count in try await connection.query(
                "SELECT count(*) FROM cluster_nodes WHERE expires_at > \(now)", logger: logger
            ).decode(Int.self) {
                live = max(1, count)
            }
            let share = (shardCount + live - 1) / live

            // Renew what is still ours, locking rows in shard order (commits lock them the same way).
            var mine: [Int: Int64] = [:]
            for try await (shard, epoch) in try await connection.query(
                """
                UPDATE shard_leases SET expires_at = \(until)
                WHERE shard IN (SELECT shard FROM shard_leases WHERE owner = \(owner) ORDER BY shard FOR UPDATE)
                RETURNING shard, epoch
                """, logger: logger
            ).decode((Int, Int64).self) {
                mine[shard] = epoch
            }

            // Leases granted before and not renewed now were taken over while this node was not
            // renewing (paused, partitioned): the renewal is a fenced write, and it was refused.
            let lost = (granted.withLock { $0[owner] } ?? [:]).filter { mine[$0.key] != $0.value }
            for (shard, epoch) in lost.sorted(by: { $0.key < $1.key }) {
                try await connection.query(
                    """
                    INSERT INTO fenced_writes (node, shard, epoch, operation, at)
                    VALUES (\(owner), \(shard), \(epoch), 'renew', \(now))
                    """, logger: logger)
            }
            if !lost.isEmpty {
                refusals.add(lost.count, ordering: .relaxed)
                logger.warning(
                    "shard leases lost: taken over while this node was not renewing",
                    metadata: ["node": "\(owner)", "shards": "\(lost.count)"])
            }

            if mine.count > share {
                // Give back the excess (the highest shards): a node that joined will take them.
                let excess = Array(mine.keys.sorted().suffix(mine.count - share))
                try await connection.query(
                    """
                    UPDATE shard_leases SET owner = '', expires_at = 0
                    WHERE shard IN (SELECT shard FROM shard_leases WHERE shard = ANY(\(excess)) AND owner = \(owner)
                                    ORDER BY shard FOR UPDATE)
                    """, logger: logger)
                for shard in excess { mine[shard] = nil }
            } else if mine.count < share {
                // Take released or lapsed shards; rows another node is handling are skipped.
                for try await (shard, epoch) in try await connection.query(
                    """
                    UPDATE shard_leases SET owner = \(owner), epoch = epoch + 1, expires_at = \(until)
                    WHERE shard IN (
                        SELECT shard FROM shard_leases WHERE owner = '' OR expires_at <= \(now)
                        ORDER BY (owner <> ''), shard LIMIT \(share - mine.count) FOR UPDATE SKIP LOCKED)
                    RETURNING shard, epoch
                    """, logger: logger
                ).decode((Int, Int64).self) {
                    mine[shard] = epoch
                }
            }
            return mine.map { ShardLease(shard: $0.key, epoch: $0.value, owner: owner, expiresAt: until) }
        }
        var byShard: [Int: ShardLease] = [:]
        for lease in leases { byShard[lease.shard] = lease }
        granted.withLock { $0[owner] = byShard.mapValues(\.epoch) }
        return ShardOwnership(owner: owner, leases: byShard, ownsAll: false)
    }

    /// Gives back every shard this node holds (graceful shutdown), so others take them at once
    /// instead of after the lease lapses.
    public func releaseShards(owner: String) async throws {
        granted.withLock { $0[owner] = nil }
        try await transaction(on: leaseClient) { [self] connection in
            try await connection.query(
                """
                UPDATE shard_leases SET owner = '', expires_at = 0
                WHERE shard IN (SELECT shard FROM shard_leases WHERE owner = \(owner) ORDER BY shard FOR UPDATE)
                """, logger: logger)
            try await connection.query("DELETE FROM cluster_nodes WHERE node = \(owner)", logger: logger)
        }
    }

    /// The current owner, epoch and expiry of every shard (for inspection and tests).
    public func shardLeases() async throws -> [ShardLease] {
        var result: [ShardLease] = []
        for try await (shard, owner, epoch, expires) in try await client.query(
            "SELECT shard, owner, epoch, expires_at FROM shard_leases ORDER BY shard", logger: logger
        ).decode((Int, String, Int64, Double).self) {
            result.append(ShardLease(shard: shard, epoch: epoch, owner: owner, expiresAt: expires))
        }
        return result
    }

    /// A write the fencing check refused.
    public struct FencedWrite: Sendable, Hashable {
        public var node: String
        public var shard: Int
        public var epoch: Int64
        public var operation: String
        public var at: Double
    }

    /// Writes refused by the fencing check, oldest first (all nodes, or one).
    public func fencedWrites(node: String? = nil) async throws -> [FencedWrite] {
        var result: [FencedWrite] = []
        let rows =
            if let node {
                try await client.query(
                    "SELECT node, shard, epoch, operation, at FROM fenced_writes WHERE node = \(node) ORDER BY seq",
                    logger: logger)
            } else {
                try await client.query("SELECT node, shard, epoch, operation, at FROM fenced_writes ORDER BY seq", logger: logger)
            }
        for try await (node, shard, epoch, operation, at) in rows.decode((String, Int, Int64, String, Double).self) {
            result.append(FencedWrite(node: node, shard: shard, epoch: epoch, operation: operation, at: at))
        }
        return result
    }

    /// Counts and records a refused write (outside the refused transaction, which rolled back).
    func recordRefusal(node: String, shard: Int, epoch: Int64, operation: String, at: Double) async {
        refusals.add(1, ordering: .relaxed)
        logger.warning(
            "write refused: the shard lease is no longer ours",
            metadata: ["node": "\(node)", "shard": "\(shard)", "epoch": "\(epoch)", "operation": "\(operation)"])
        do {
            try await client.query(
                """
                INSERT INTO fenced_writes (node, shard, epoch, operation, at)
                VALUES (\(node), \(shard), \(epoch), \(operation), \(at))
                """, logger: logger)
        } catch {
            logger.error("recording a fenced write failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Inbox

    /// Stores items durably, in order, in one statement: nothing serialises insertions across
    /// nodes, so sequences may become visible out of order (a row can commit after a higher one);
    /// readers catch those by reading back over a window (see `ProcessingService`), bounded because
    /// every statement is (``PostgresConfiguration/statementSeconds``).
    public func enqueue(_ items: [InboxItem]) async throws -> [EnqueueOutcome] {
        if items.isEmpty { return [] }
        var ids: [String] = []
        var customers: [String] = []
        var shards: [Int] = []
        var kinds: [String] = []
        var payloads: [ByteBuffer] = []
        var accepted: [Double] = []
        for item in items {
            ids.append(item.id)
            customers.append(item.customerID)
            shards.append(CustomerShard.of(item.customerID))
            kinds.append(item.payload.kind)
            payloads.append(ByteBuffer(bytes: try StoreColumnCoding.encode(item.payload)))
            accepted.append(item.acceptedAt)
        }
        // In array order, so a batch's sequences keep its order; an id already stored (or earlier
        // in the batch) inserts nothing and is a duplicate. The same statement writes the input
        // log: an accepted erasure deletes the customer's earlier entries (the sibling DELETE does
        // not see this statement's inserts, so entries of this batch before an erasure are left
        // out by the NOT EXISTS instead) and is logged itself under a pseudonym (the same as
        // `InputLogEntry.erasedCustomerID`).
        let logger = self.logger
        let sequences = try await withAvailableConnection(on: client, waitingAtMost: configuration.connectionWaitSeconds) {
            [ids, customers, shards, kinds, payloads, accepted] connection in
            var sequences: [String: Int64] = [:]
            for try await (sequence, id) in try await connection.query(
                """
                WITH accepted AS (
                    INSERT INTO inbox (event_id, customer_id, shard, kind, payload, accepted_at)
                    SELECT event_id, customer_id, shard, kind, payload, accepted_at
                    FROM unnest(\(ids)::text[], \(customers)::text[], \(shards)::int[], \(kinds)::text[], \(payloads)::bytea[],
                                \(accepted)::float8[]) WITH ORDINALITY
                         AS row(event_id, customer_id, shard, kind, payload, accepted_at, position)
                    ORDER BY position
                    ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id, customer_id, kind, payload, accepted_at
                ), erased AS (
                    DELETE FROM input_log WHERE customer_id IN (SELECT customer_id FROM accepted WHERE kind = 'erase')
                ), logged AS (
                    INSERT INTO input_log (seq, customer_id, accepted_at, payload)
                    SELECT a.seq,
                           CASE WHEN a.kind = 'erase' THEN 'erased-' || encode(sha256(convert_to(a.customer_id, 'UTF8')), 'hex')
                                ELSE a.customer_id END,
                           a.accepted_at, a.payload
                    FROM accepted a
                    WHERE a.kind IN ('profile', 'event', 'erase')
                      AND NOT EXISTS (
                          SELECT 1 FROM accepted e WHERE e.kind = 'erase' AND e.customer_id = a.customer_id AND e.seq > a.seq)
                )
                SELECT seq, event_id FROM accepted
                """, logger: logger
            ).decode((Int64, String).self) {
                sequences[id] = sequence
            }
            return sequences
        }
        var unclaimed = sequences
        return items.map { item in
            guard let sequence = unclaimed.removeValue(forKey: item.id) else { return .duplicate }
            return .accepted(sequence: sequence)
        }
    }

    static func insert(
        _ item: InboxItem, payload: Data, connection: PostgresConnection, logger: Logger
    ) async throws
        -> EnqueueOutcome
    {
        let shard = CustomerShard.of(item.customerID)
        let rows = try await connection.query(
            """
            INSERT INTO inbox (event_id, customer_id, shard, kind, payload, accepted_at)
            VALUES (\(item.id), \(item.customerID), \(shard), \(item.payload.kind), \(payload), \(item.acceptedAt))
            ON CONFLICT (event_id) DO NOTHING RETURNING seq
            """, logger: logger)
        var accepted: Int64?
        for try await sequence in rows.decode(Int64.self) { accepted = sequence }
        return accepted.map { .accepted(sequence: $0) } ?? .duplicate
    }

    public func pendingInbox(after sequence: Int64, limit: Int, ownership: ShardOwnership) async throws -> [InboxEntry] {
        let shards = Self.shards(of: ownership)
        if let shards, shards.isEmpty { return [] }
        let rows =
            if let shards {
                try await client.query(
                    """
                    SELECT seq, shard, event_id, customer_id, payload, accepted_at FROM inbox
                    WHERE processed_at IS NULL AND seq > \(sequence) AND shard = ANY(\(shards))
                    ORDER BY seq LIMIT \(limit)
                    """, logger: logger)
            } else {
                try await client.query(
                    """
                    SELECT seq, shard, event_id, customer_id, payload, accepted_at FROM inbox
                    WHERE processed_at IS NULL AND seq > \(sequence) ORDER BY seq LIMIT \(limit)
                    """, logger: logger)
            }
        var entries: [InboxEntry] = []
        for try await (seq, shard, id, customer, payload, accepted) in rows.decode(
            (Int64, Int, String, String, Data?, Double).self)
        {
            guard let payload else { continue }
            entries.append(
                InboxEntry(
                    sequence: seq, shard: shard,
                    item: InboxItem(
                        id: id, customerID: customer, payload: try StoreColumnCoding.decode(InboxPayload.self, from: payload),
                        acceptedAt: accepted)))
        }
        return entries
    }

    /// The shards to filter by, or `nil` for all of them.
    static func shards(of ownership: ShardOwnership) -> [Int]? {
        ownership.ownsAll ? nil : ownership.leases.keys.sorted()
    }

    // MARK: Customers

    public func loadCustomers(_ ids: [String]) async throws -> [String: StoredCustomer] {
        if ids.isEmpty { return [:] }
        var result: [String: StoredCustomer] = [:]
        result.reserveCapacity(ids.count)
        for try await (id, version, state, next, updated) in try await client.query(
            "SELECT id, version, state, next_wake_at, updated_at FROM customers WHERE id = ANY(\(ids))", logger: logger
        ).decode((String, Int64, Data, Double?, Double).self) {
            result[id] = StoredCustomer(
                state: try CustomerStateCoding.decode(state), version: version, nextWakeAt: next,
                updatedAt: updated)
        }
        return result
    }

    /// Commits a batch in one transaction. First the leases: the rows of the batch's shards are
    /// locked `FOR SHARE` (a takeover, which updates them, waits for this commit, and this commit
    /// waits for a takeover in progress) and each commit's lease must name the shard's current
    /// owner and epoch. Then every customer's version is checked and its changes applied.
    public func commit(_ commits: [CustomerCommit]) async throws {
        if commits.isEmpty { return }
        // A commit without a lease was made for a shard this node does not own (multi-node
        // stores never grant all shards).
        if let orphan = commits.first(where: { $0.lease == nil }) {
            let shard = CustomerShard.of(orphan.customerID)
            await recordRefusal(
                node: node.withLock { $0 } ?? "", shard: shard, epoch: -1, operation: "commit", at: orphan.at)
            throw JourneyStoreError.fenced(shard: shard, epoch: -1)
        }
        // Stable order by customer (deadlock-free across nodes); one customer's commits keep theirs.
        let prepared = try commits.enumerated()
            .sorted { ($0.element.customerID, $0.offset) < ($1.element.customerID, $1.offset) }
            .map { try EncodedCommit($0.element) }
        let held = commits.reduce(into: [Int: ShardLease]()) { held, commit in
            if let lease = commit.lease { held[lease.shard] = lease }
        }
        let shards = held.keys.sorted()
        do {
            try await transaction { [self] connection in
                for try await (shard, owner, epoch) in try await connection.query(
                    "SELECT shard, owner, epoch FROM shard_leases WHERE shard = ANY(\(shards)) ORDER BY shard FOR SHARE",
                    logger: logger
                ).decode((Int, String, Int64).self) {
                    let lease = held[shard]!
                    if owner != lease.owner || epoch != lease.epoch {
                        throw JourneyStoreError.fenced(shard: shard, epoch: lease.epoch)
                    }
                }
                var counters: [JourneyCounter: Int64] = [:]
                // Without erasures (whose deletes must precede the same customer's later rows), the
                // outbox, inbox and log rows of the whole batch go in one statement per table
                // instead of one per customer: three round trips rather than about 3 x customers.
                let rowsTogether = !prepared.contains { $0.commit.change == .erase }
                // Likewise the aggregates, when each customer saves once: one INSERT for the new
                // customers and one UPDATE for the others (see applyAggregates).
                let aggregatesTogether = rowsTogether && Self.savesEachCustomerOnce(prepared)
                if aggregatesTogether { try await Self.applyAggregates(prepared, connection: connection, logger: logger) }
                for commit in prepared {
                    if !aggregatesTogether {
                        try await Self.apply(commit, connection: connection, logger: logger, rowsLater: rowsTogether)
                    }
                    for (counter, delta) in commit.commit.counters {
                        counters[counter] = JourneyCounter.combine(counters[counter], delta, metric: counter.metric)
                    }
                }
                if rowsTogether { try await Self.applyRows(prepared, connection: connection, logger: logger) }
                // Counters last and in a fixed order: they are the rows every node shares.
                for (counter, delta) in counters.sorted(by: { Self.key($0.key) < Self.key($1.key) }) {
                    try await connection.query(
                        """
                        INSERT INTO journey_counters (journey, version, step, metric, count)
                        VALUES (\(counter.journey), \(counter.version), \(counter.step), \(counter.metric), \(delta))
                        ON CONFLICT (journey, version, step, metric) DO UPDATE SET count = CASE
                            WHEN starts_with(excluded.metric, 'first_assigned:') THEN LEAST(journey_counters.count, excluded.count)
                            ELSE journey_counters.count + excluded.count END
                        """, logger: logger)
                }
            }
        } catch JourneyStoreError.fenced(let shard, let epoch) {
            let lease = held[shard]
            await recordRefusal(node: lease?.owner ?? "", shard: shard, epoch: epoch, operation: "commit", at: commits[0].at)
            throw JourneyStoreError.fenced(shard: shard, epoch: epoch)
        }
    }

    private static func key(_ counter: JourneyCounter) -> String {
        [counter.journey, counter.version, counter.step, counter.metric].joined(separator: "\u{0}")
    }

    /// Whether every commit of the batch saves an aggregate and no customer appears twice: then
    /// ``applyAggregates(_:connection:logger:)`` writes them all at once.
    static func savesEachCustomerOnce(_ prepared: [EncodedCommit]) -> Bool {
        var seen: Set<String> = []
        for commit in prepared {
            guard case .save = commit.commit.change, seen.insert(commit.commit.customerID).inserted else { return false }
        }
        return true
    }

    /// The aggregates of a batch in which each customer saves once: the new customers in one
    /// `INSERT … ON CONFLICT DO NOTHING` and the existing ones in one `UPDATE … FROM unnest(…)`
    /// guarded by each one's expected version, both `RETURNING` the ids they wrote. A customer
    /// missing from what came back is the conflict the per-customer statements would have
    /// reported (the first in the batch's order), and the transaction rolls back.
    ///
    /// Lock order: the rows are those of this node's own shards, whose leases the transaction holds
    /// `FOR SHARE`, so no other node's commit waits on the same customers.
    private static func applyAggregates(_ prepared: [EncodedCommit], connection: PostgresConnection, logger: Logger) async throws {
        var newIDs: [String] = []
        var newShards: [Int] = []
        var newStates: [ByteBuffer] = []
        var newWakes: [Double] = []
        var newAt: [Double] = []
        var ids: [String] = []
        var expected: [Int64] = []
        var states: [ByteBuffer] = []
        var wakes: [Double] = []
        var at: [Double] = []
        for commit in prepared {
            guard case .save(_, let nextWakeAt) = commit.commit.change, let state = commit.state else { continue }
            // NaN stands for "no wake-up" in the float8 arrays (NULLIF below); no wake time is NaN.
            let wake = nextWakeAt ?? .nan
            if commit.commit.expectedVersion == 0 {
                newIDs.append(commit.commit.customerID)
                newShards.append(CustomerShard.of(commit.commit.customerID))
                newStates.append(ByteBuffer(bytes: state))
                newWakes.append(wake)
                newAt.append(commit.commit.at)
            } else {
                ids.append(commit.commit.customerID)
                expected.append(commit.commit.expectedVersion)
                states.append(ByteBuffer(bytes: state))
                wakes.append(wake)
                at.append(commit.commit.at)
            }
        }
        var written: Set<String> = []
        if !newIDs.isEmpty {
            for try await id in try await connection.query(
                """
                INSERT INTO customers (id, shard, version, state, next_wake_at, updated_at)
                SELECT id, shard, 1, state, NULLIF(next, 'NaN'::float8), at
                FROM unnest(\(newIDs)::text[], \(newShards)::int[], \(newStates)::bytea[], \(newWakes)::float8[], \(newAt)::float8[])
                     AS row(id, shard, state, next, at)
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, logger: logger
            ).decode(String.self) {
                written.insert(id)
            }
        }
        if !ids.isEmpty {
            for try await id in try await connection.query(
                """
                UPDATE customers SET version = customers.version + 1, state = row.state,
                    next_wake_at = NULLIF(row.next, 'NaN'::float8), updated_at = row.at
                FROM unnest(\(ids)::text[], \(expected)::int8[], \(states)::bytea[], \(wakes)::float8[], \(at)::float8[])
                     AS row(id, expected, state, next, at)
                WHERE customers.id = row.id AND customers.version = row.expected
                RETURNING customers.id
                """, logger: logger
            ).decode(String.self) {
                written.insert(id)
            }
        }
        if let conflict = prepared.first(where: { !written.contains($0.commit.customerID) }) {
            throw JourneyStoreError.conflict(customerID: conflict.commit.customerID)
        }
    }

    /// The outbox, processed-inbox and log rows of a whole batch, one statement per table.
    private static func applyRows(_ prepared: [EncodedCommit], connection: PostgresConnection, logger: Logger) async throws {
        var ids: [String] = []
        var customers: [String] = []
        var shards: [Int] = []
        var messages: [ByteBuffer] = []
        var attempts: [Double] = []
        var created: [Double] = []
        var sequences: [Int64] = []
        var processedAt: [Double] = []
        var logCustomers: [String] = []
        var logAt: [Double] = []
        var logEntries: [ByteBuffer] = []
        for commit in prepared {
            for (message, data) in commit.outbox {
                ids.append(message.id)
                customers.append(message.customerID)
                shards.append(CustomerShard.of(message.customerID))
                messages.append(ByteBuffer(bytes: data))
                attempts.append(message.at)
                created.append(commit.commit.at)
            }
            for sequence in commit.commit.processed {
                sequences.append(sequence)
                processedAt.append(commit.commit.at)
            }
            for (entry, data) in zip(commit.commit.log, commit.log) {
                logCustomers.append(commit.commit.customerID)
                logAt.append(entry.at)
                logEntries.append(ByteBuffer(bytes: data))
            }
        }
        if !ids.isEmpty {
            try await connection.query(
                """
                INSERT INTO outbox (id, customer_id, shard, message, next_attempt_at, created_at)
                SELECT id, customer_id, shard, message, next_attempt_at, created_at
                FROM unnest(\(ids)::text[], \(customers)::text[], \(shards)::int[], \(messages)::bytea[],
                            \(attempts)::float8[], \(created)::float8[])
                     AS row(id, customer_id, shard, message, next_attempt_at, created_at)
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
        if !sequences.isEmpty {
            try await connection.query(
                """
                UPDATE inbox SET processed_at = row.at, payload = NULL
                FROM unnest(\(sequences)::int8[], \(processedAt)::float8[]) AS row(seq, at)
                WHERE inbox.seq = row.seq AND inbox.processed_at IS NULL
                """, logger: logger)
        }
        if !logEntries.isEmpty {
            // In array order, so the log's sequence numbers keep each customer's order.
            try await connection.query(
                """
                INSERT INTO customer_log (customer_id, at, entry)
                SELECT customer_id, at, entry
                FROM unnest(\(logCustomers)::text[], \(logAt)::float8[], \(logEntries)::bytea[]) WITH ORDINALITY
                     AS row(customer_id, at, entry, position)
                ORDER BY position
                """, logger: logger)
        }
    }

    /// One customer's changes; with `rowsLater`, its outbox, inbox and log rows are left to
    /// ``applyRows(_:connection:logger:)``.
    private static func apply(
        _ prepared: EncodedCommit, connection: PostgresConnection, logger: Logger, rowsLater: Bool = false
    ) async throws {
        let commit = prepared.commit
        let id = commit.customerID
        let shard = CustomerShard.of(id)
        func count(_ query: PostgresQuery) async throws -> Int {
            var n = 0
            for try await _ in try await connection.query(query, logger: logger) { n += 1 }
            return n
        }
        switch commit.change {
        case .save(_, let nextWakeAt):
            let state = prepared.state!
            let changed: Int
            if commit.expectedVersion == 0 {
                changed = try await count(
                    """
                    INSERT INTO customers (id, shard, version, state, next_wake_at, updated_at)
                    VALUES (\(id), \(shard), 1, \(state), \(nextWakeAt), \(commit.at))
                    ON CONFLICT (id) DO NOTHING RETURNING 1
                    """)
            } else {
                changed = try await count(
                    """
                    UPDATE customers SET version = version + 1, state = \(state), next_wake_at = \(nextWakeAt),
                        updated_at = \(commit.at)
                    WHERE id = \(id) AND version = \(commit.expectedVersion) RETURNING 1
                    """)
            }
            if changed != 1 { throw JourneyStoreError.conflict(customerID: id) }
        case .erase:
            try await Self.checkVersion(of: id, expected: commit.expectedVersion, connection: connection, logger: logger)
            try await connection.query("DELETE FROM customers WHERE id = \(id)", logger: logger)
            try await connection.query("DELETE FROM outbox WHERE customer_id = \(id)", logger: logger)
            try await connection.query("DELETE FROM customer_log WHERE customer_id = \(id)", logger: logger)
            try await connection.query("DELETE FROM dead_letters WHERE customer_id = \(id)", logger: logger)
        case .unchanged:
            try await Self.checkVersion(of: id, expected: commit.expectedVersion, connection: connection, logger: logger)
        }
        if rowsLater { return }
        for (message, data) in prepared.outbox {
            try await connection.query(
                """
                INSERT INTO outbox (id, customer_id, shard, message, next_attempt_at, created_at)
                VALUES (\(message.id), \(message.customerID), \(CustomerShard.of(message.customerID)), \(data),
                        \(message.at), \(commit.at))
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
        if !commit.processed.isEmpty {
            try await connection.query(
                """
                UPDATE inbox SET processed_at = \(commit.at), payload = NULL
                WHERE seq = ANY(\(commit.processed)) AND processed_at IS NULL
                """, logger: logger)
        }
        if commit.change == .erase {
            // Right to be forgotten: the customer's handled inbox rows (event ids, the erasure itself)
            // go too. Rows accepted after the erasure are still pending and stay.
            try await connection.query(
                "DELETE FROM inbox WHERE customer_id = \(id) AND processed_at IS NOT NULL", logger: logger)
        } else {
            for (entry, data) in zip(commit.log, prepared.log) {
                try await connection.query(
                    "INSERT INTO customer_log (customer_id, at, entry) VALUES (\(id), \(entry.at), \(data))", logger: logger)
            }
        }
    }

    /// The customer's stored version (0 when absent) must be `expected`; the row stays locked.
    private static func checkVersion(
        of id: String, expected: Int64, connection: PostgresConnection, logger: Logger
    )
        async throws
    {
        var version: Int64 = 0
        for try await stored in try await connection.query(
            "SELECT version FROM customers WHERE id = \(id) FOR UPDATE", logger: logger
        ).decode(Int64.self) {
            version = stored
        }
        if version != expected { throw JourneyStoreError.conflict(customerID: id) }
    }

    public func dueWakeUps(until: Double, after: WakeUp?, limit: Int, ownership: ShardOwnership) async throws -> [WakeUp] {
        let shards = Self.shards(of: ownership) ?? Array(0..<CustomerShard.count)
        if shards.isEmpty { return [] }
        let afterAt = after?.at ?? -Double.greatestFiniteMagnitude
        let afterID = after?.customerID ?? ""
        var result: [WakeUp] = []
        for try await (at, id) in try await client.query(
            """
            SELECT next_wake_at, id FROM customers
            WHERE next_wake_at IS NOT NULL AND next_wake_at <= \(until) AND (next_wake_at, id) > (\(afterAt), \(afterID))
              AND shard = ANY(\(shards))
            ORDER BY next_wake_at, id LIMIT \(limit)
            """, logger: logger
        ).decode((Double, String).self) {
            result.append(WakeUp(at: at, customerID: id))
        }
        return result
    }
}
