public import JourneyLanguage

/// Durable storage for the orchestrator: the per-customer aggregates with their timer index, the
/// event inbox, the transactional outbox, dead letters, deployed journey versions, the revisions of
/// the deployed journey set and the log of accepted inputs.
///
/// The unit of consistency is the customer (see docs/architecture.md). A processor loads customers,
/// runs the engine, and commits every customer's new aggregate, next wake-up time, outbox rows and
/// consumed inbox rows in one ``commit(_:)``. Implementations: ``MemoryJourneyStore`` (dry-runs,
/// tests), `SQLiteJourneyStore` (HeraldSQLite, the embedded default) and `PostgresJourneyStore`
/// (HeraldPostgres), where shards are leased per node and every write is fenced by the lease epoch.
///
/// ```swift
/// let outcomes = try await store.enqueue([item])              // durable before 202
/// let entries = try await store.pendingInbox(after: 0, limit: 500, ownership: mine)
/// var customers = try await store.loadCustomers(ids)
/// // … engine.handle(…) per customer …
/// try await store.commit(commits)                              // one transaction
/// ```
public protocol JourneyStore: Sendable {
    // MARK: Ownership

    /// Acquires or renews this node's shard leases. Single-node stores grant every shard; the
    /// epoch they return still fences commits, so a second process on the same files is refused.
    func acquireShards(owner: String, leaseDuration: Double, now: Double) async throws -> ShardOwnership

    // MARK: Inbox

    /// Stores items durably, in order. Returns one outcome per item: accepted (with its sequence)
    /// or duplicate (its id was seen before). When this returns, accepted items survive a crash.
    func enqueue(_ items: [InboxItem]) async throws -> [EnqueueOutcome]

    /// Unprocessed inbox rows with a sequence greater than `after`, in sequence order, for the
    /// shards `ownership` holds.
    func pendingInbox(after sequence: Int64, limit: Int, ownership: ShardOwnership) async throws -> [InboxEntry]

    // MARK: Customers

    /// The stored aggregates of these customers (missing ids are absent from the result).
    func loadCustomers(_ ids: [String]) async throws -> [String: StoredCustomer]

    /// Commits a batch of per-customer steps in one transaction: all or nothing. Throws
    /// ``JourneyStoreError/conflict(customerID:)`` when a customer's version moved and
    /// ``JourneyStoreError/fenced(shard:epoch:)`` when a lease is no longer current.
    func commit(_ commits: [CustomerCommit]) async throws

    /// Customers due at or before `until`, in `(nextWakeAt, customerID)` order, strictly after
    /// `after` (keyset paging through the timer index), for the shards `ownership` holds.
    func dueWakeUps(until: Double, after: WakeUp?, limit: Int, ownership: ShardOwnership) async throws -> [WakeUp]

    // MARK: Outbox

    /// Leases up to `limit` undelivered messages due at `now` whose previous lease (if any) lapsed.
    func claimOutbox(
        now: Double, leaseFor duration: Double, limit: Int, ownership: ShardOwnership
    ) async throws
        -> [OutboxClaim]

    /// Records delivery outcomes (with their feedback inbox items) in one transaction. Records whose
    /// token no longer matches the row's lease are ignored; returns the ids that were recorded.
    @discardableResult
    func recordDeliveries(_ records: [DeliveryRecord]) async throws -> Set<String>

    /// Releases every outbox lease held by `owner`'s earlier incarnations (single-node restart), so
    /// in-flight messages are retried at once instead of after their lease lapses.
    func releaseOutboxLeases(now: Double) async throws

    /// The earliest `nextAttemptAt` among undelivered messages, for the worker's sleep.
    func nextOutboxAttempt(ownership: ShardOwnership) async throws -> Double?

    // MARK: Inspection

    func outbox(customerID: String, limit: Int) async throws -> [OutboxStatus]
    func customerLog(customerID: String, limit: Int) async throws -> [CustomerLogEntry]
    /// Dead letters, newest first, with a sequence lower than `before` when given.
    func deadLetters(before: Int64?, limit: Int) async throws -> [DeadLetter]
    /// Puts dead letter `sequence`'s message back in the outbox, due at `now`, with the same id (the
    /// idempotency key channels see) and its attempts counted afresh. The dead letter stays, marked
    /// retried (once only); the customer's log records the retry. One transaction.
    func retryDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution
    /// Removes dead letter `sequence` (retried or not); the customer's log records the discard.
    func discardDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution
    func statistics(now: Double) async throws -> StoreStatistics

    // MARK: Journeys

    /// Remembers deployed journey versions (instances keep running on theirs after a reload).
    func saveJourneyVersions(_ programs: [JourneyProgram], deployedAt: Double) async throws
    func journeyVersions() async throws -> [JourneyProgram]
    func setJourneyPaused(_ name: String, paused: Bool) async throws
    func pausedJourneys() async throws -> Set<String>
    func journeyCounters() async throws -> [JourneyCounter: Int64]
    /// Records the decided winner of a split with a winner rule unless one is recorded for that
    /// journey and split already; returns the recorded one. The store is the arbiter: every node
    /// of a cluster adopts what this returns, so a split has one winner.
    func recordSplitWinner(_ winner: SplitWinner) async throws -> SplitWinner
    /// Every recorded split winner (an input to the engine: ``JourneyEngine/Options/winners``).
    func splitWinners() async throws -> [SplitWinner]

    // MARK: Revisions

    /// Records a deployment as a new revision numbered one above the current one, unless its
    /// content hash equals the current revision's (then the current one is returned, `created`
    /// false). Atomic across a cluster's nodes: two recording at once get consecutive numbers.
    func recordRevision(_ draft: RevisionDraft, at: Double) async throws -> RevisionRecording
    /// Revisions without their files, newest first, numbered below `before` when given.
    func revisions(before: Int64?, limit: Int) async throws -> [JourneyRevision]
    /// One revision with its files, or `nil`.
    func revision(_ number: Int64) async throws -> JourneyRevision?
    /// The current (highest) revision number, or `nil` before the first deployment.
    func currentRevisionNumber() async throws -> Int64?

    // MARK: Input log

    /// Input log entries accepted in `[since, until)`, in `(accepted time, sequence)` order, strictly
    /// after `after` when given: one page of an export.
    func inputLog(since: Double?, until: Double?, after: InputLogPosition?, limit: Int) async throws -> [InputLogEntry]

    // MARK: Retention

    /// Deletes what the retention policy no longer needs, in bounded chunks.
    func prune(_ retention: RetentionPolicy, now: Double) async throws -> PruneReport
}

/// Errors every store reports the same way.
public enum JourneyStoreError: Error, Sendable, Hashable {
    /// The customer's aggregate changed since it was loaded.
    case conflict(customerID: String)
    /// The lease for this shard is no longer current: another node owns it now.
    case fenced(shard: Int, epoch: Int64)
    /// The stored data could not be decoded.
    case corrupt(String)
    /// The database does not answer (it is down, unreachable, or every connection is busy past
    /// the store's wait bound): nothing was done, and the same request may be repeated later.
    case unavailable(String)
}

/// How long the store keeps what it no longer needs for processing.
public struct RetentionPolicy: Sendable, Hashable, Codable {
    /// Processed inbox rows (and so the window in which a repeated event id is recognised).
    public var processedEvents: Double
    /// Delivered outbox rows.
    public var deliveredMessages: Double
    public var deadLetters: Double
    /// Customer log lines older than this are dropped; at most `customerLogLimit` are kept anyway.
    public var customerLog: Double
    public var customerLogLimit: Int
    /// Input log entries (what `herald export` can still give).
    public var inputs: Double

    public init(
        processedEvents: Double = 7 * 86_400, deliveredMessages: Double = 7 * 86_400, deadLetters: Double = 30 * 86_400,
        customerLog: Double = 30 * 86_400, customerLogLimit: Int = 50, inputs: Double = 30 * 86_400
    ) {
        self.inputs = inputs
        self.processedEvents = processedEvents
        self.deliveredMessages = deliveredMessages
        self.deadLetters = deadLetters
        self.customerLog = customerLog
        self.customerLogLimit = customerLogLimit
    }
}

public struct PruneReport: Sendable, Hashable {
    public var events = 0
    public var messages = 0
    public var deadLetters = 0
    public var logEntries = 0
    public var inputs = 0
    public init() {}
}

/// Sizes for `/metrics` and `/readyz`.
public struct StoreStatistics: Sendable, Hashable {
    public var customers = 0
    public var pendingInbox = 0
    public var pendingOutbox = 0
    public var deadLetters = 0
    /// Customers with a timer set, and those already due at `now` (late if they stay so).
    public var timersPending = 0
    public var timersDue = 0
    public init() {}
}
