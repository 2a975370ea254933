import JourneyLanguage

/// Something the service accepted for one customer and must process exactly once, in order: the
/// durable inbox row. Events, profile updates, erasure requests and delivery outcomes all pass
/// through the inbox so that one customer's inputs are handled in the order they were accepted.
public struct InboxItem: Sendable, Hashable, Codable {
    /// Idempotency id: an id the inbox has seen before is acknowledged and not stored again.
    /// Events use their `id`; other inputs get a generated one.
    public var id: String
    public var customerID: String
    public var payload: InboxPayload
    /// When the store accepted it (seconds since the Unix epoch).
    public var acceptedAt: Double

    public init(id: String, customerID: String, payload: InboxPayload, acceptedAt: Double) {
        self.id = id
        self.customerID = customerID
        self.payload = payload
        self.acceptedAt = acceptedAt
    }
}

/// What an inbox row asks the processor to do.
public enum InboxPayload: Sendable, Hashable, Codable {
    /// Create or update the profile (`PUT /v1/customers/{id}`).
    case profile(CustomerProfile)
    case event(CustomerEvent)
    /// The delivery worker's report on an outbox message (`message.delivered` / `message.failed`).
    case deliveryOutcome(messageID: String, delivered: Bool, detail: String)
    /// Right to be forgotten: erase the profile, history, instances and pending messages.
    case erase

    /// The engine input this row becomes, or `nil` for erasure (which the store performs itself).
    public var engineInput: EngineInput? {
        switch self {
        case .profile(let profile): .profile(profile)
        case .event(let event): .event(event)
        case .deliveryOutcome(let id, let delivered, let detail):
            .deliveryOutcome(messageID: id, delivered: delivered, detail: detail)
        case .erase: nil
        }
    }

    /// A short, stable name for logs and metrics.
    public var kind: String {
        switch self {
        case .profile: "profile"
        case .event: "event"
        case .deliveryOutcome: "delivery_outcome"
        case .erase: "erase"
        }
    }
}

/// An inbox row as the processor reads it back.
public struct InboxEntry: Sendable, Hashable {
    /// Position in the inbox; increases with acceptance order. Per customer, rows are processed in
    /// this order.
    public var sequence: Int64
    public var shard: Int
    public var item: InboxItem

    public init(sequence: Int64, shard: Int, item: InboxItem) {
        self.sequence = sequence
        self.shard = shard
        self.item = item
    }
}

/// What the inbox did with one submitted item.
public enum EnqueueOutcome: Sendable, Hashable {
    /// Stored durably at this sequence.
    case accepted(sequence: Int64)
    /// The id was seen before (processed or still pending): acknowledged, not stored again.
    case duplicate
}
