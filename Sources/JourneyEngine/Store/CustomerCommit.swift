public import JourneyLanguage

/// A customer's aggregate as stored: the engine's `CustomerState` plus what the store keeps about it.
public struct StoredCustomer: Sendable, Hashable {
    public var state: CustomerState
    /// Incremented by every commit; a commit names the version it read (optimistic check).
    public var version: Int64
    /// The durable timer index: when the engine must next be woken for this customer.
    public var nextWakeAt: Double?
    public var updatedAt: Double

    public init(state: CustomerState, version: Int64, nextWakeAt: Double?, updatedAt: Double) {
        self.state = state
        self.version = version
        self.nextWakeAt = nextWakeAt
        self.updatedAt = updatedAt
    }
}

/// The result of one load–engine step for one customer, committed atomically with the others of its
/// batch: the new aggregate and its timer, the outbox rows it produced, the inbox rows it consumed,
/// decisions to keep for inspection, and per-journey counters.
public struct CustomerCommit: Sendable, Hashable {
    public enum Change: Sendable, Hashable {
        /// Store this aggregate with this next wake-up time.
        case save(CustomerState, nextWakeAt: Double?)
        /// Erase the customer: aggregate, log, undelivered outbox rows and pending inbox rows.
        case erase
        /// Leave the aggregate as it is (an input that changed nothing, e.g. a stale wake-up).
        case unchanged
    }

    public var customerID: String
    /// When the step ran (the processor's clock).
    public var at: Double
    /// The lease the writer holds for the customer's shard; `nil` on single-node stores that own all.
    public var lease: ShardLease?
    /// The version that was loaded (`0` for a customer that did not exist). The commit fails with
    /// ``JourneyStoreError/conflict(customerID:)`` if the stored version differs.
    public var expectedVersion: Int64
    public var change: Change
    /// Outbox rows to create. A message id that already exists is left alone (idempotent replays).
    public var outbox: [OutboxMessage]
    /// Inbox sequences this step consumed; they are marked processed in the same transaction.
    public var processed: [Int64]
    /// Recent decisions and transitions kept for `GET /v1/customers/{id}`.
    public var log: [CustomerLogEntry]
    /// Per-journey counters to add to (entered, per step, converted, sent…).
    public var counters: [JourneyCounter: Int64]

    public init(
        customerID: String, at: Double, lease: ShardLease? = nil, expectedVersion: Int64, change: Change,
        outbox: [OutboxMessage] = [], processed: [Int64] = [], log: [CustomerLogEntry] = [],
        counters: [JourneyCounter: Int64] = [:]
    ) {
        self.customerID = customerID
        self.at = at
        self.lease = lease
        self.expectedVersion = expectedVersion
        self.change = change
        self.outbox = outbox
        self.processed = processed
        self.log = log
        self.counters = counters
    }
}

/// One line of a customer's recent history: a delivery decision with its reason, a transition, a
/// delivery outcome. Kept bounded per customer.
public struct CustomerLogEntry: Sendable, Hashable, Codable {
    public var at: Double
    /// `decision`, `transition`, `delivery`, …
    public var kind: String
    public var journey: String?
    public var summary: String
    /// Structured detail (a decision with its reason, encoded as JSON by the engine's types).
    public var detail: Value

    public init(at: Double, kind: String, journey: String? = nil, summary: String, detail: Value = .null) {
        self.at = at
        self.kind = kind
        self.journey = journey
        self.summary = summary
        self.detail = detail
    }
}

/// A counter kept per journey version and step: `metric` is `entered`, `reached`, `converted`,
/// `exited`, `sent`, `skipped`, `deferred`….
public struct JourneyCounter: Sendable, Hashable, Codable {
    public var journey: String
    public var version: String
    /// The step label, or `""` for journey-wide counters.
    public var step: String
    public var metric: String

    public init(journey: String, version: String, step: String = "", metric: String) {
        self.journey = journey
        self.version = version
        self.step = step
        self.metric = metric
    }

    /// The store's count of dead letters not yet retried (journey, version and step empty): kept
    /// by the store as dead letters are written, retried, discarded, erased and pruned, so that
    /// nobody counts rows to show it.
    public static let openDeadLetters = JourneyCounter(journey: "", version: "", step: "", metric: "dead_letters")

    /// The journey-wide counter holding the instant (microseconds since 1970) of the first
    /// assignment of a variant other than the control at `split`: where a winner rule's period
    /// starts. Unlike the others it keeps the smallest value written, not the sum (``combine(_:_:metric:)``).
    public static func firstAssignedMetric(split: String) -> String { "first_assigned:\(split)" }

    /// Whether `metric` keeps the smallest value written instead of the sum.
    public static func keepsMinimum(_ metric: String) -> Bool { metric.hasPrefix("first_assigned:") }

    /// Two writes of the counter `metric` combined: their sum, or for a ``keepsMinimum(_:)``
    /// counter the smaller (what the stores do when a commit meets an existing row).
    public static func combine(_ existing: Int64?, _ delta: Int64, metric: String) -> Int64 {
        guard let existing else { return delta }
        return keepsMinimum(metric) ? min(existing, delta) : existing + delta
    }
}

/// When the engine must be woken for a customer: the key of the durable timer index
/// `(next_wake_at, customer_id)`, also the cursor for paging through it.
public struct WakeUp: Sendable, Hashable, Comparable {
    public var at: Double
    public var customerID: String

    public init(at: Double, customerID: String) {
        self.at = at
        self.customerID = customerID
    }

    public static func < (a: WakeUp, b: WakeUp) -> Bool { (a.at, a.customerID) < (b.at, b.customerID) }
}
