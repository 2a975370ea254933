public import HeraldChannels
public import JourneyEngine
import JourneyLanguage

/// What one delivery attempt came to, as a channel adapter reports it.
public enum DeliveryAttempt: Sendable, Hashable {
    case delivered(detail: String)
    /// Timeouts, 5xx, 429: try again (not before `retryAfter` seconds when the provider said so).
    case transient(reason: String, retryAfter: Double?)
    /// Other 4xx, no contact data, a refused address: dead-letter it.
    case permanent(reason: String)
}

/// Delivers one outbox message through the channel adapters. The message id is the idempotency
/// key (`webhook-id`, `Idempotency-Key`, the SMTP `Message-ID`), so a retry after a crash never
/// produces a second message at a receiver that honours it.
public protocol MessageDelivery: Sendable {
    func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryAttempt

    /// Where the message goes, so the delivery worker can bound attempts in flight per destination
    /// (one hanging webhook endpoint must not hold the slots of the others). By default one
    /// destination per channel, without a bound of its own.
    func destination(of message: OutboxMessage) -> DeliveryDestination
}

extension MessageDelivery {
    public func destination(of message: OutboxMessage) -> DeliveryDestination {
        DeliveryDestination(key: message.channel.rawValue, maxConcurrency: .max)
    }
}

/// Exponential backoff with full jitter: attempt *n* waits a uniformly random time in
/// `[0, min(cap, base × 2ⁿ)]`, and never less than the provider's `Retry-After`.
public struct RetrySchedule: Sendable, Hashable, Codable {
    public var base: Double
    public var cap: Double
    /// Attempts in all (the first one included) before a message is dead-lettered.
    public var maxAttempts: Int

    public init(base: Double = 1, cap: Double = 300, maxAttempts: Int = 8) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The delay before the attempt after `attempt` (0-based), or `nil` when attempts ran out.
    public func delay(after attempt: Int, retryAfter: Double?, random: Double = Double.random(in: 0...1)) -> Double? {
        guard attempt + 1 < maxAttempts else { return nil }
        let ceiling = min(cap, base * Double(1 << min(attempt, 30)))
        return max(retryAfter ?? 0, ceiling * random)
    }
}
