/// Everything compiled from one journeys directory: the unit that is checked, deployed and run.
public struct JourneyCatalog: Sendable, Hashable, Codable {
    /// Journeys sorted by name.
    public var journeys: [JourneyProgram]
    /// Named segments: name → membership condition over `customer.*` and behavioural counts.
    public var segments: [String: Expression]
    public var policy: DeliveryPolicyProgram
    public var schema: Schema
    /// Message name → what templates exist for it.
    public var messages: [String: MessageTemplates]

    public init(
        journeys: [JourneyProgram], segments: [String: Expression], policy: DeliveryPolicyProgram,
        schema: Schema, messages: [String: MessageTemplates]
    ) {
        self.journeys = journeys
        self.segments = segments
        self.policy = policy
        self.schema = schema
        self.messages = messages
    }

    public func journey(named name: String) -> JourneyProgram? {
        journeys.first { $0.name == name }
    }
}

/// The declared types of customer attributes and event properties (optional; `any` when absent).
public struct Schema: Sendable, Hashable, Codable {
    public var customerAttributes: [String: ValueType]
    /// Event name → property name → type.
    public var events: [String: [String: ValueType]]
    public init(customerAttributes: [String: ValueType] = [:], events: [String: [String: ValueType]] = [:]) {
        self.customerAttributes = customerAttributes
        self.events = events
    }
}

/// The template files found for a message in `Journeys/messages/<name>/`:
/// `subject.mustache`, `body.html.mustache`, `body.txt.mustache` (email), `sms.mustache` (SMS),
/// `webhook.json.mustache` (webhook). Paths are relative to the journeys directory.
public struct MessageTemplates: Sendable, Hashable, Codable {
    public var name: String
    /// The directory holding the templates, relative to the journeys directory.
    public var directory: String
    public var channels: Set<Channel>
    public init(name: String, directory: String, channels: Set<Channel>) {
        self.name = name
        self.directory = directory
        self.channels = channels
    }
}
