/// The result of one delivery attempt.
public enum DeliveryOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The provider accepted the message; its id for the message when it returned one.
    case delivered(providerMessageID: String?)
    /// Worth retrying: a timeout, a lost connection, a 5xx, a 429 (with the `Retry-After` asked for).
    case transient(reason: String, retryAfter: Duration?)
    /// Retrying cannot help: another 4xx, an invalid address, a rejected recipient, a bad configuration.
    case permanent(reason: String)

    public var description: String {
        switch self {
        case .delivered(let id): "delivered" + (id.map { " (provider id \($0))" } ?? "")
        case .transient(let reason, let retryAfter):
            "transient failure: \(reason)" + (retryAfter.map { " (retry after \($0))" } ?? "")
        case .permanent(let reason): "permanent failure: \(reason)"
        }
    }
}

/// What became of a message after all its attempts.
public struct DeliveryReport: Sendable, Hashable, CustomStringConvertible {
    public enum Result: Sendable, Hashable {
        case delivered(providerMessageID: String?)
        /// Given up: a permanent failure, or the last allowed attempt failed.
        case deadLettered(reason: String)
    }

    public var result: Result
    /// Every attempt's outcome, in order.
    public var attempts: [DeliveryOutcome]

    public init(result: Result, attempts: [DeliveryOutcome]) {
        self.result = result
        self.attempts = attempts
    }

    public var isDelivered: Bool {
        if case .delivered = result { return true }
        return false
    }

    public var description: String {
        switch result {
        case .delivered(let id):
            "delivered after \(attempts.count) attempt(s)" + (id.map { ", provider id \($0)" } ?? "")
        case .deadLettered(let reason):
            "dead-lettered after \(attempts.count) attempt(s): \(reason)"
        }
    }
}
