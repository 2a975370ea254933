/// Parses RFC 8259 JSON straight into a `Value`: what `JSONDecoder` with `Value`'s `Decodable`
/// conformance produces (null, booleans, numbers as `Double`, strings, lists, objects; of duplicate
/// keys the first wins), without its cost: that path tries each JSON type in turn through a
/// throwing single-value container and was about a quarter of the CPU of `POST /v1/events` in
/// herald-bench. The service parses request bodies with it, the dry-run its NDJSON sample lines.
///
/// ```swift
/// let body = try JSONValueParser.parse(Array(#"{"events": [{"name": "x"}]}"#.utf8))
/// ```
public struct JSONValueParser {
    /// Why the bytes are not JSON, with the byte offset.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "\(message) at byte \(offset)" }

        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }
    }

    /// Nesting deeper than this is refused, as `JSONDecoder` refuses it.
    public static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// - Throws: ``Invalid`` for anything that is not exactly one JSON value (with whitespace).
    public static func parse(_ bytes: [UInt8]) throws(Invalid) -> Value {
        var parser = JSONValueParser(bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.invalid("unexpected data after the JSON value") }
        return value
    }

    private func invalid(_ message: String) -> Invalid { Invalid(message: message, offset: index) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws(Invalid) -> Value {
        guard depth <= Self.maximumDepth else { throw invalid("nested deeper than \(Self.maximumDepth) levels") }
        guard index < bytes.count else { throw invalid("unexpected end of data") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try list(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case let byte: throw invalid("unexpected character \(Self.describe(byte))")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Invalid) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw invalid("unexpected end of data") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw invalid("unexpected character \(Self.describe(bytes[index]))")
        }
        index += count
    }

    private mutating func object(depth: Int) throws(Invalid) -> Value {
        index += 1  // {
        var fields: [String: Value] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw invalid("unexpected end of data") }
            guard bytes[index] == UInt8(ascii: "\"") else { throw invalid("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw invalid("expected ':' after an object key") }
            index += 1
            skipWhitespace()
            let value = try value(depth: depth + 1)
            if fields[key] == nil { fields[key] = value }  // the first of duplicate keys wins, as in JSONDecoder
            if try closes(UInt8(ascii: "}"), in: "an object") { return .object(fields) }
        }
    }

    private mutating func list(depth: Int) throws(Invalid) -> Value {
        index += 1  // [
        var items: [Value] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .list(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            if try closes(UInt8(ascii: "]"), in: "an array") { return .list(items) }
        }
    }

    /// After an item of an object or array: `,` (another item follows: `false`) or `closing`
    /// (the container ends: `true`), consumed.
    private mutating func closes(_ closing: UInt8, in container: String) throws(Invalid) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw invalid("unexpected end of data") }
        let byte = bytes[index]
        guard byte == UInt8(ascii: ",") || byte == closing else {
            throw invalid("expected ',' or '\(Character(Unicode.Scalar(closing)))' in \(container)")
        }
        index += 1
        return byte == closing
    }

    private mutating func number() throws(Invalid) -> Double {
        let start = index
        func digits(_ parser: inout JSONValueParser) -> Int {
            let first = parser.index
            while parser.index < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) {
                parser.index += 1
            }
            return parser.index - first
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw invalid("unexpected end of data in a number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits(&self) == 0 {
            throw invalid("expected a digit")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw invalid("expected a digit after the decimal point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw invalid("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            index = start
            throw invalid("number \(text) is not representable")
        }
        return number
    }

    private mutating func string() throws(Invalid) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: bytes[start..<index], as: UTF8.self) else {
                    index = start
                    throw invalid("invalid UTF-8 in a string")
                }
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw invalid("unescaped control character in a string") }
            index += 1
        }
        var scalars: [UInt8] = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scalars, as: UTF8.self) else { throw invalid("invalid UTF-8 in a string") }
                index += 1
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw invalid("unexpected end of data in a string") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw invalid("unpaired UTF-16 surrogate in a \\u escape")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw invalid("unpaired UTF-16 surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw invalid("unpaired UTF-16 surrogate in a \\u escape")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw invalid("invalid \\u escape") }
                    scalars.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    index -= 1
                    throw invalid("invalid escape \\\(Self.describe(escaped))")
                }
            default:
                if byte < 0x20 { throw invalid("unescaped control character in a string") }
                scalars.append(byte)
                index += 1
            }
        }
        throw invalid("unterminated string")
    }

    private mutating func hex4() throws(Invalid) -> UInt32 {
        guard index + 4 <= bytes.count else { throw invalid("unexpected end of data in a \\u escape") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw invalid("invalid hex digit in a \\u escape")
            }
            code = code << 4 | UInt32(digit)
            index += 1
        }
        return code
    }

    private static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
    }
}
