public import JourneyLanguage

/// What the engine keeps about a customer's messages to tie engagement events to them, and the
/// suppressions those events caused. Part of ``CustomerState``, so the dry-run and the service
/// resolve an engagement event the same way.
public struct CustomerEngagement: Sendable, Hashable, Codable {
    /// The most recent messages sent to the customer, oldest first (at most ``messageLimit``).
    public var messages: [SentMessage]
    /// Suppressions and unsubscribes caused by engagement events, oldest first.
    public var suppressions: [Suppression]

    /// How many sent messages a customer remembers: an engagement event about an older message
    /// still has its effect (suppression, unsubscribe) but is not counted in a step's statistics.
    public static let messageLimit = 64

    public init(messages: [SentMessage] = [], suppressions: [Suppression] = []) {
        self.messages = messages
        self.suppressions = suppressions
    }

    public var isEmpty: Bool { messages.isEmpty && suppressions.isEmpty }

    /// The index of a remembered message.
    func messageIndex(_ id: String) -> Int? { messages.lastIndex { $0.id == id } }
}

/// A message the engine sent, as engagement statistics attribute to it.
public struct SentMessage: Sendable, Hashable, Codable {
    /// The outbox message id (`customer/journey/entry/step/channel`).
    public var id: String
    public var journey: String
    public var version: String
    public var entrySequence: Int
    public var step: String
    public var message: String
    public var channel: Channel
    /// The experiment variant the instance was in when the message was sent (`split=variant`, the
    /// latest assignment), if any.
    public var variant: String?
    /// The email address or phone number it went to.
    public var address: String?
    public var at: Double
    /// The engagement kinds already counted for this message (each counts once per message).
    public var counted: [String]

    public init(
        id: String, journey: String, version: String, entrySequence: Int, step: String, message: String, channel: Channel,
        variant: String?, address: String?, at: Double, counted: [String] = []
    ) {
        self.id = id
        self.journey = journey
        self.version = version
        self.entrySequence = entrySequence
        self.step = step
        self.message = message
        self.channel = channel
        self.variant = variant
        self.address = address
        self.at = at
        self.counted = counted
    }
}

/// A channel (or one address on it, or one topic) that engagement closed.
public struct Suppression: Sendable, Hashable, Codable {
    public enum Cause: String, Sendable, Hashable, Codable {
        /// A hard bounce: the address does not exist. Blocks every message to the address.
        case hardBounce = "hard bounce"
        /// A spam complaint: blocks marketing to the address.
        case complaint
        /// An unsubscribe (link, one-click header, provider event): consent withdrawn.
        case unsubscribed = "unsubscribe"
        /// An SMS `STOP` reply.
        case stop = "STOP reply"
    }

    public var channel: Channel
    public var cause: Cause
    /// The address a bounce or complaint closed (`nil` for unsubscribes, which follow consent).
    public var address: String?
    /// The topic an unsubscribe named, if any.
    public var topic: String?
    /// The message that caused it, when the event named one.
    public var messageID: String?
    public var at: Double

    public init(channel: Channel, cause: Cause, address: String?, topic: String?, messageID: String?, at: Double) {
        self.channel = channel
        self.cause = cause
        self.address = address
        self.topic = topic
        self.messageID = messageID
        self.at = at
    }

    /// Whether it blocks a message of `category` (consent aside: an unsubscribe blocks through
    /// consent, which a later profile update may restore).
    public func blocks(_ category: MessageCategory) -> Bool {
        switch cause {
        case .hardBounce: true
        case .complaint, .unsubscribed, .stop: category == .marketing
        }
    }
}
