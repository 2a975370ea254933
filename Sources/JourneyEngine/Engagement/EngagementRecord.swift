public import JourneyLanguage

/// One count for the per-step engagement statistics: a message sent, an engagement event tied to
/// a message, or a conversion attributed to the last message of its entry. The timeline carries it
/// (``TimelineKind/engaged(_:)``), so the dry-run and the service count the same records.
public struct EngagementRecord: Sendable, Hashable, Codable {
    /// The statistics' columns, in table order.
    public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
        case sent, delivered, bounced, opened, clicked, unsubscribed, complained, converted
    }

    public var metric: Metric
    /// The step of the message (`""` for a conversion with no message before it).
    public var step: String
    /// The message template name (`""` when none).
    public var message: String
    public var channel: Channel?
    public var messageID: String?
    /// `split=variant` of the instance when the message was sent, if it was in an experiment.
    public var variant: String?
    /// For a conversion: the goal event's `revenue` property, when it is a number.
    public var revenue: Double?

    public init(
        metric: Metric, step: String, message: String, channel: Channel?, messageID: String?, variant: String?, revenue: Double? = nil
    ) {
        self.metric = metric
        self.step = step
        self.message = message
        self.channel = channel
        self.messageID = messageID
        self.variant = variant
        self.revenue = revenue
    }

    /// The metric an engagement event counts under, if it counts.
    public static func metric(of kind: EngagementEvent.Kind) -> Metric? {
        switch kind {
        case .delivered: .delivered
        case .bounced: .bounced
        case .opened: .opened
        case .clicked: .clicked
        case .complained: .complained
        case .unsubscribed: .unsubscribed
        case .replied: nil
        }
    }
}
