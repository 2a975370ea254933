public import JourneyLanguage

/// A JSON document with a fixed key order and a fixed number format, so that the dry-run's JSON
/// output is byte-identical across runs and platforms.
public indirect enum JSONNode: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    /// Keys in the order given (callers sort them where the order is not meaningful).
    case object([(String, JSONNode)])

    public static func == (a: JSONNode, b: JSONNode) -> Bool { a.rendered() == b.rendered() }
    public func hash(into hasher: inout Hasher) { hasher.combine(rendered()) }

    public static func int(_ n: Int) -> JSONNode { .number(Double(n)) }
    public static func time(_ t: Double) -> JSONNode { .string(Value.formatTime(t)) }
    public static func optional(_ s: String?) -> JSONNode { s.map(JSONNode.string) ?? .null }

    /// An object with keys sorted.
    public static func sorted(_ fields: [String: JSONNode]) -> JSONNode {
        .object(fields.keys.sorted().map { ($0, fields[$0]!) })
    }

    /// A `Value` as JSON (times as RFC 3339 strings, durations as seconds), keys sorted.
    public static func value(_ value: Value) -> JSONNode {
        switch value {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let n): .number(n)
        case .string(let s): .string(s)
        case .time(let t): .time(t)
        case .duration(let d): .number(d)
        case .list(let items): .array(items.map(JSONNode.value))
        case .object(let fields): .object(fields.keys.sorted().map { ($0, JSONNode.value(fields[$0]!)) })
        }
    }

    /// Integers without a fraction; others with at most 6 decimals (shortest form).
    public static func formatNumber(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        let rounded = (n * 1_000_000).rounded() / 1_000_000
        return "\(rounded)"
    }

    /// Pretty-printed with two-space indentation and a trailing newline.
    public func rendered() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out.append("\n")
        return out
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .number(let n): out.append(Self.formatNumber(n))
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out.append("[]")
                return
            }
            // Arrays of scalars stay on one line.
            if items.allSatisfy(\.isScalar) {
                out.append("[")
                for (i, item) in items.enumerated() {
                    if i > 0 { out.append(", ") }
                    item.write(into: &out, indent: indent)
                }
                out.append("]")
                return
            }
            out.append("[\n")
            for (i, item) in items.enumerated() {
                out.append(String(repeating: "  ", count: indent + 1))
                item.write(into: &out, indent: indent + 1)
                out.append(i + 1 < items.count ? ",\n" : "\n")
            }
            out.append(String(repeating: "  ", count: indent) + "]")
        case .object(let fields):
            if fields.isEmpty {
                out.append("{}")
                return
            }
            out.append("{\n")
            for (i, (key, value)) in fields.enumerated() {
                out.append(String(repeating: "  ", count: indent + 1))
                Self.writeString(key, into: &out)
                out.append(": ")
                value.write(into: &out, indent: indent + 1)
                out.append(i + 1 < fields.count ? ",\n" : "\n")
            }
            out.append(String(repeating: "  ", count: indent) + "}")
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
