public import JourneyLanguage

// Templates see the engine's own `Value`s (customer attributes, event properties, journey
// variables): one data model from the journey file to the rendered message.
extension Value {
    /// The value swift-mustache renders: whole numbers without a decimal point, times as RFC 3339
    /// text, durations as seconds, `null` left out (so that it is falsy in sections and renders as
    /// nothing).
    var mustacheValue: Any? {
        switch self {
        case .null: nil
        case .bool(let value): value
        case .number(let value), .duration(let value):
            if value.rounded() == value, abs(value) < 1e15 { Int(value) } else { value }
        case .string(let value): value
        case .time(let value): Value.formatTime(value)
        case .list(let items): items.compactMap(\.mustacheValue)
        case .object(let fields): fields.compactMapValues(\.mustacheValue)
        }
    }

    /// The fields of an object, or nil.
    public var fields: [String: Value]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    /// The text of a string value, or nil.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
