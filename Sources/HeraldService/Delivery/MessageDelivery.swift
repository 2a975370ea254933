public import HeraldChannels
public import JourneyEngine

/// Delivers one outbox message through the channel adapters and says how the attempt ended, in
/// HeraldChannels' own terms (``DeliveryOutcome``). The message id is the idempotency key
/// (`webhook-id`, `Idempotency-Key`, the SMTP `Message-ID`), so a retry after a crash never
/// produces a second message at a receiver that honours it. ``ChannelsDelivery`` is the real one;
/// tests script their own.
public protocol MessageDelivery: Sendable {
    func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryOutcome
}
