import JourneyLanguage

/// An outbox row leased to a delivery worker. Only the holder of the current `token` may record its
/// outcome; a worker whose lease lapsed (it stalled, or crashed and restarted) is ignored.
///
/// The claim counts the attempt it leases (the row's `attempts` grows by one in the claim's own
/// transaction), so an attempt cut off by a crash is counted although its outcome never was.
public struct OutboxClaim: Sendable, Hashable {
    public var message: OutboxMessage
    /// Delivery attempts made before this one (the row's count, less this claim's own).
    public var attempts: Int
    public var token: Int64
    public var leaseUntil: Double

    public init(message: OutboxMessage, attempts: Int, token: Int64, leaseUntil: Double) {
        self.message = message
        self.attempts = attempts
        self.token = token
        self.leaseUntil = leaseUntil
    }
}

/// What became of one delivery attempt, as the delivery worker records it.
public struct DeliveryRecord: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The adapter accepted it. The row is final: it is never claimed again.
        case delivered(detail: String)
        /// A transient failure: try again at `at` (backoff with full jitter already applied).
        case retry(at: Double, reason: String)
        /// A permanent failure (or retries exhausted): a dead-letter record with the reason.
        case deadLettered(reason: String)
        /// The claim is given back unattempted (its destination was busy, or the worker is stopping):
        /// the attempt its claim counted is returned and the message is due again at `at`.
        case notAttempted(retryAt: Double)
    }

    public var messageID: String
    public var token: Int64
    public var at: Double
    public var outcome: Outcome
    /// For final outcomes: the inbox item that tells the engine (`message.delivered` /
    /// `message.failed`), enqueued in the same transaction.
    public var feedback: InboxItem?

    public init(messageID: String, token: Int64, at: Double, outcome: Outcome, feedback: InboxItem?) {
        self.messageID = messageID
        self.token = token
        self.at = at
        self.outcome = outcome
        self.feedback = feedback
    }
}

/// A message that could not be delivered, with the reason.
public struct DeadLetter: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var message: OutboxMessage
    public var attempts: Int
    public var reason: String
    public var at: Double
    /// When an operator put the message back in the outbox (``JourneyStore/retryDeadLetter(_:now:)``).
    public var retriedAt: Double?

    public init(sequence: Int64, message: OutboxMessage, attempts: Int, reason: String, at: Double, retriedAt: Double? = nil) {
        self.sequence = sequence
        self.message = message
        self.attempts = attempts
        self.reason = reason
        self.at = at
        self.retriedAt = retriedAt
    }
}

extension DeadLetter {
    /// The customer log's record of an operator's `retried` or `discarded`.
    public func logEntry(_ action: String, at: Double) -> CustomerLogEntry {
        CustomerLogEntry(
            at: at, kind: "operation", journey: message.journey,
            summary: "dead letter \(sequence) \(action): message \(message.id) (\(message.channel.rawValue), step \(message.step))",
            detail: .object([
                "dead_letter": .number(Double(sequence)), "message_id": .string(message.id), "action": .string(action),
                "reason": .string(reason),
            ]))
    }
}

/// What an operator's retry or discard of a dead letter did.
public enum DeadLetterResolution: Sendable, Hashable {
    /// Done: the dead letter as it is now (retried: with ``DeadLetter/retriedAt``; discarded: as it was).
    case done(DeadLetter)
    /// No dead letter has this sequence (never, or it was discarded, pruned or erased with its customer).
    case unknown
    /// The dead letter was retried before, at this time: its message is in the outbox already.
    case alreadyRetried(at: Double)
    /// The message's outbox row is no longer a dead one (it is gone, or pending or delivered again).
    case messageGone
}

/// An outbox row as inspection shows it.
public struct OutboxStatus: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, Codable {
        case pending, delivered, dead
    }
    public var message: OutboxMessage
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Double?
    public var lastError: String?

    public init(message: OutboxMessage, state: State, attempts: Int, nextAttemptAt: Double?, lastError: String?) {
        self.message = message
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}
