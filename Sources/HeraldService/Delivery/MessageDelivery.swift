public import HeraldChannels
public import JourneyEngine
import JourneyLanguage

/// Delivers one outbox message through the channel adapters and says how the attempt ended, in
/// HeraldChannels' own terms (``DeliveryOutcome``). The message id is the idempotency key
/// (`webhook-id`, `Idempotency-Key`, the SMTP `Message-ID`), so a retry after a crash never
/// produces a second message at a receiver that honours it. ``ChannelsDelivery`` is the real one;
/// tests script their own.
public protocol MessageDelivery: Sendable {
    func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryOutcome

    /// Where the message goes, so the delivery worker can bound attempts in flight per destination
    /// (one hanging webhook endpoint must not hold the slots of the others). By default one
    /// destination per channel, without a bound of its own.
    func destination(of message: OutboxMessage) -> DeliveryDestination

    /// A journey set was deployed (at start, by a reload, a restore, or another node of a
    /// cluster): `files` are its revision's files. A delivery that renders templates renders
    /// from these from now on (``ChannelsDelivery`` does), so a restored revision's messages
    /// have its own text, not what the journeys directory holds now. By default nothing.
    func deployed(_ files: [RevisionFile], revision: Int64)
}

extension MessageDelivery {
    public func deployed(_ files: [RevisionFile], revision: Int64) {}

    public func destination(of message: OutboxMessage) -> DeliveryDestination {
        DeliveryDestination(key: message.channel.rawValue, maxConcurrency: .max)
    }
}
