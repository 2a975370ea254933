import Foundation

/// A value templates can show: the JSON data model (customer attributes, event properties,
/// journey variables).
public enum TemplateValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([TemplateValue])
    case object([String: TemplateValue])

    /// Parses a JSON document.
    /// - Throws: `DecodingError` when `json` is not valid JSON.
    public init(json: String) throws {
        self = try JSONDecoder().decode(TemplateValue.self, from: Data(json.utf8))
    }

    /// The value swift-mustache renders: whole numbers without a decimal point, `null` left out
    /// (so that it is falsy in sections and renders as nothing).
    var mustacheValue: Any? {
        switch self {
        case .null: nil
        case .bool(let value): value
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { Int(value) } else { value }
        case .string(let value): value
        case .list(let items): items.compactMap(\.mustacheValue)
        case .object(let fields): fields.compactMapValues(\.mustacheValue)
        }
    }

    /// The fields of an object, or nil.
    var fields: [String: TemplateValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    /// The text of a string value, or nil.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

extension TemplateValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([TemplateValue].self) {
            self = .list(value)
        } else {
            self = .object(try container.decode([String: TemplateValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
