public import JourneyLanguage

// The engine contract: the names and shapes the dry-run, the service and the stores code against.
// `CustomerState` (the per-customer aggregate) is in CustomerState.swift, the engine in
// JourneyEngine.swift, timeline records in TimelineRecord.swift.

/// A customer's profile: the built-in contact fields plus free-form attributes.
public struct CustomerProfile: Sendable, Hashable, Codable {
    public var id: String
    public var email: String?
    public var phone: String?
    /// IANA time zone identifier (`"Europe/Paris"`), if known.
    public var timeZone: String?
    /// Consent per channel (`"email"`, `"sms"`, `"webhook"`) and topic (`"topic:newsletter"`).
    public var subscriptions: [String: Bool]
    public var attributes: [String: Value]

    public init(
        id: String, email: String? = nil, phone: String? = nil, timeZone: String? = nil,
        subscriptions: [String: Bool] = [:], attributes: [String: Value] = [:]
    ) {
        self.id = id
        self.email = email
        self.phone = phone
        self.timeZone = timeZone
        self.subscriptions = subscriptions
        self.attributes = attributes
    }
}

/// An event about one customer.
public struct CustomerEvent: Sendable, Hashable, Codable {
    /// Idempotency id: an event id seen before is not processed twice.
    public var id: String
    public var customerID: String
    public var name: String
    public var properties: [String: Value]
    /// Seconds since the Unix epoch.
    public var timestamp: Double

    public init(id: String, customerID: String, name: String, properties: [String: Value] = [:], timestamp: Double) {
        self.id = id
        self.customerID = customerID
        self.name = name
        self.properties = properties
        self.timestamp = timestamp
    }
}

/// What the engine is asked to handle for one customer.
public enum EngineInput: Sendable, Hashable, Codable {
    /// Create or replace the profile (attributes merge per the engine's documented rule).
    case profile(CustomerProfile)
    case event(CustomerEvent)
    /// Timers due at or before `now` fire.
    case wake
    /// The delivery worker reports what happened to an outbox message (fed back as
    /// `message.delivered` / `message.failed` events).
    case deliveryOutcome(messageID: String, delivered: Bool, detail: String)
}

/// A message the engine decided to send: the outbox row.
public struct OutboxMessage: Sendable, Hashable, Codable {
    /// Idempotency key, stable across replays of the same step (the `SendRequest.id` plus channel).
    public var id: String
    public var customerID: String
    public var journey: String
    public var journeyVersion: String
    public var step: String
    public var channel: Channel
    public var message: String
    public var category: MessageCategory
    /// When it was decided (the earliest it may be delivered).
    public var at: Double
    /// Template context: `customer`, `event`, `journey` objects.
    public var context: [String: Value]

    public init(
        id: String, customerID: String, journey: String, journeyVersion: String, step: String, channel: Channel,
        message: String, category: MessageCategory, at: Double, context: [String: Value]
    ) {
        self.id = id
        self.customerID = customerID
        self.journey = journey
        self.journeyVersion = journeyVersion
        self.step = step
        self.channel = channel
        self.message = message
        self.category = category
        self.at = at
        self.context = context
    }
}

/// What handling one input produced: to be committed together with the new state.
public struct EngineOutput: Sendable, Hashable, Codable {
    /// Messages decided for sending, in decision order.
    public var outbox: [OutboxMessage]
    /// What happened, in order: entries, steps, waits, delivery decisions, exits, conversions.
    public var timeline: [TimelineRecord]
    /// The customer's next wake-up time after this step (the same as `state.nextWakeAt`).
    public var nextWakeAt: Double?

    public init(outbox: [OutboxMessage] = [], timeline: [TimelineRecord] = [], nextWakeAt: Double? = nil) {
        self.outbox = outbox
        self.timeline = timeline
        self.nextWakeAt = nextWakeAt
    }
}
