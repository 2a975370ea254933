public import JourneyEngine
public import JourneyLanguage

/// `herald dry-run --explain CUSTOMER`: every delivery decision for one customer, with its reason.
public struct DecisionExplainer {
    public var result: DryRunResult
    public init(result: DryRunResult) { self.result = result }

    public func explain(customer id: String) -> String {
        guard let customer = result.customer(id) else { return "no customer \(id) in the input\n" }
        var out = ["Delivery decisions for \(id) (\(customer.timeZone)):"]
        for record in customer.timeline {
            switch record.kind {
            case .sent, .deferred, .skipped, .sendCancelled:
                if let line = TimelineText.line(record, timeZone: customer.timeZone(at: record.at)) { out.append("  " + line) }
            default:
                break
            }
        }
        if out.count == 1 { out.append("  (no sends were requested)") }
        return out.joined(separator: "\n") + "\n"
    }
}
