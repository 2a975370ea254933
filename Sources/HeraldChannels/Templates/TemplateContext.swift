public import JourneyLanguage

/// What a message template sees: `customer` (profile attributes plus `id`, `email`, `phone`,
/// `time_zone`), `event` (the triggering event's properties), `journey` (`name`, `version`,
/// `step`) and, for a message sent with variants, `variant` (`name`, and the variant's own name
/// set to true, for `{{#variant.question}}…{{/variant.question}}`; empty otherwise).
///
/// ```swift
/// let context = TemplateContext(customer: ["id": "c42", "first_name": "Ada"], event: ["total": 42.5])
/// ```
public struct TemplateContext: Sendable, Hashable {
    public var customer: [String: Value]
    public var event: [String: Value]
    public var journey: [String: Value]
    public var variant: [String: Value]

    public init(
        customer: [String: Value],
        event: [String: Value] = [:],
        journey: [String: Value] = [:],
        variant: [String: Value] = [:]
    ) {
        self.customer = customer
        self.event = event
        self.journey = journey
        self.variant = variant
    }

    var root: Value {
        .object(["customer": .object(customer), "event": .object(event), "journey": .object(journey), "variant": .object(variant)])
    }
}
