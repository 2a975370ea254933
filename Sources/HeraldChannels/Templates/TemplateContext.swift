public import JourneyLanguage

/// What a message template sees: `customer` (profile attributes plus `id`, `email`, `phone`,
/// `time_zone`), `event` (the triggering event's properties) and `journey` (`name`, `version`,
/// `step`).
///
/// ```swift
/// let context = TemplateContext(customer: ["id": "c42", "first_name": "Ada"], event: ["total": 42.5])
/// ```
public struct TemplateContext: Sendable, Hashable {
    public var customer: [String: Value]
    public var event: [String: Value]
    public var journey: [String: Value]

    public init(
        customer: [String: Value],
        event: [String: Value] = [:],
        journey: [String: Value] = [:]
    ) {
        self.customer = customer
        self.event = event
        self.journey = journey
    }

    var root: Value {
        .object(["customer": .object(customer), "event": .object(event), "journey": .object(journey)])
    }
}
