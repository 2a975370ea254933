/// What a message template sees: `customer` (profile attributes plus `id`, `email`, `phone`,
/// `time_zone`), `event` (the triggering event's properties) and `journey` (`name`, `version`,
/// `step`).
///
/// ```swift
/// let context = TemplateContext(customer: ["id": "c42", "first_name": "Ada"], event: ["total": 42.5])
/// ```
public struct TemplateContext: Sendable, Hashable {
    public var customer: [String: TemplateValue]
    public var event: [String: TemplateValue]
    public var journey: [String: TemplateValue]

    public init(
        customer: [String: TemplateValue],
        event: [String: TemplateValue] = [:],
        journey: [String: TemplateValue] = [:]
    ) {
        self.customer = customer
        self.event = event
        self.journey = journey
    }

    var root: TemplateValue {
        .object(["customer": .object(customer), "event": .object(event), "journey": .object(journey)])
    }
}
