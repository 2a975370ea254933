/// The global delivery rules from the policy file (`Journeys/policy.journey`), checked and compiled.
public struct DeliveryPolicyProgram: Sendable, Hashable, Codable {
    public var caps: [Cap]
    /// Minimum time between two marketing messages to one customer, on any channel.
    public var minimumGap: Double?
    public var quietHours: [QuietHours]
    /// How long a send waits for a higher-priority send from another journey before it is decided.
    public var settleWindow: Double
    /// IANA time zone for customers (and journeys) that name none.
    public var defaultTimeZone: String
    /// Whether transactional messages count toward caps (they are never blocked by them).
    public var transactionalCountsTowardCaps: Bool
    /// `global holdout 5%`: the percentage of customers (a stable hash of the customer id) kept out
    /// of every marketing journey, to measure what marketing as a whole is worth; `nil`: none.
    public var globalHoldout: Double?
    public var location: SourceLocation?

    public init(
        caps: [Cap] = [], minimumGap: Double? = nil, quietHours: [QuietHours] = [], settleWindow: Double = 0,
        defaultTimeZone: String = "UTC", transactionalCountsTowardCaps: Bool = false, location: SourceLocation? = nil
    ) {
        self.caps = caps
        self.minimumGap = minimumGap
        self.quietHours = quietHours
        self.settleWindow = settleWindow
        self.defaultTimeZone = defaultTimeZone
        self.transactionalCountsTowardCaps = transactionalCountsTowardCaps
        self.location = location
    }
}

/// "At most `limit` messages (of this scope) per window."
public struct Cap: Sendable, Hashable, Codable {
    /// A stable name used in decisions (`"marketing_per_day"`, or generated from the rule).
    public var name: String
    public var limit: Int
    public var window: CapWindow
    /// Channels counted; `nil` counts every channel.
    public var channels: Set<Channel>?
    /// Category counted; `nil` counts both (transactional only when the policy says they count).
    public var category: MessageCategory?
    public var journey: JourneyScope
    public var location: SourceLocation

    public init(
        name: String, limit: Int, window: CapWindow, channels: Set<Channel>?, category: MessageCategory?,
        journey: JourneyScope, location: SourceLocation
    ) {
        self.name = name
        self.limit = limit
        self.window = window
        self.channels = channels
        self.category = category
        self.journey = journey
        self.location = location
    }
}

public enum CapWindow: Sendable, Hashable, Codable {
    case rolling(seconds: Double)
    /// The calendar day in the customer's time zone (resets at local midnight).
    case calendarDay
}

public enum JourneyScope: Sendable, Hashable, Codable {
    /// Messages of all journeys together.
    case all
    /// Counted separately for each journey.
    case each
    /// Only the named journey's messages.
    case named(String)
}

/// No marketing on these channels between `start` and `end`, local time (the window may span
/// midnight: 21:00–08:00).
public struct QuietHours: Sendable, Hashable, Codable {
    public var channels: Set<Channel>?
    public var start: LocalTime
    public var end: LocalTime
    public var location: SourceLocation
    public init(channels: Set<Channel>?, start: LocalTime, end: LocalTime, location: SourceLocation) {
        self.channels = channels
        self.start = start
        self.end = end
        self.location = location
    }
}
