import Foundation

/// A value in Herald's expression language: customer attributes, event properties and the
/// results of expressions are all `Value`s.
///
/// Times are instants (seconds since 1970-01-01T00:00:00Z, UTC) and durations are seconds, both
/// held as `Double` so that arithmetic on them is exact for every realistic range.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    /// An instant, in seconds since the Unix epoch (UTC).
    case time(Double)
    /// A length of time, in seconds.
    case duration(Double)
    case list([Value])
    case object([String: Value])

    /// The type of this value, as the checker names it.
    public var type: ValueType {
        switch self {
        case .null: .null
        case .bool: .bool
        case .number: .number
        case .string: .string
        case .time: .time
        case .duration: .duration
        case .list(let items): .list(items.first?.type ?? .any)
        case .object: .object
        }
    }

    /// `true` for every value except `null` and `false` (used where a condition meets a non-boolean).
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        default: true
        }
    }

    /// Looks up a dotted path (`["address", "city"]`) inside an object value; `.null` when absent.
    public subscript(path path: some Collection<String>) -> Value {
        var current = self
        for key in path {
            guard case .object(let fields) = current, let next = fields[key] else { return .null }
            current = next
        }
        return current
    }
}

/// The static type of an expression, as inferred by the checker.
public indirect enum ValueType: Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool
    case number
    case string
    case time
    case duration
    case list(ValueType)
    case object
    /// Unknown statically (an attribute the schema does not declare); checked at run time.
    case any

    public var description: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .time: "time"
        case .duration: "duration"
        case .list(let element): "list<\(element)>"
        case .object: "object"
        case .any: "any"
        }
    }
}

// MARK: - JSON

extension Value: Codable {
    /// Values travel as plain JSON: times as RFC 3339 strings are decoded as strings (the schema or
    /// an expression such as `time(...)` turns them into times), durations as numbers of seconds.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let items = try? container.decode([Value].self) {
            self = .list(items)
        } else if let fields = try? container.decode([String: Value].self) {
            self = .object(fields)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .time(let t): try container.encode(Value.formatTime(t))
        case .duration(let d): try container.encode(d)
        case .list(let items): try container.encode(items)
        case .object(let fields): try container.encode(fields)
        }
    }

    /// The instants Herald computes with: the years 1 to 9999, what RFC 3339 can write. A number
    /// outside them (an attribute of `1e300`) is not taken for a time, so no calendar arithmetic
    /// ever sees it.
    public static let timeRange: ClosedRange<Double> = -62_135_596_800...253_402_300_799

    /// `seconds` as a time value when it lies in ``timeRange``, else `nil`.
    public static func representableTime(_ seconds: Double) -> Double? {
        timeRange.contains(seconds) ? seconds : nil
    }

    /// Formats an instant as RFC 3339 in UTC with whole seconds (`2026-11-23T09:00:00Z`), or with
    /// milliseconds when it has a fractional part.
    public static func formatTime(_ seconds: Double) -> String {
        let date = Date(timeIntervalSince1970: seconds)
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: seconds.rounded() != seconds, timeZone: .gmt)
        return date.formatted(style)
    }

    /// Parses an RFC 3339 timestamp (with or without fractional seconds, any offset) to seconds
    /// since the epoch; `nil` when the text is not one.
    /// An RFC 3339 time, or a date (`1990-02-28`: its midnight UTC, which date functions and
    /// anniversaries read back as that date).
    public static func parseTime(_ text: String) -> Double? {
        if text.count == 10, let date = CivilDate(parsing: text) { return Double(date.dayNumber) * 86_400 }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(text) {
            return date.timeIntervalSince1970
        }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) {
            return date.timeIntervalSince1970
        }
        return nil
    }
}
