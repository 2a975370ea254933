import JourneyLanguage

/// A fast reader for the plain JSON objects sample files are made of: one object per line, keys
/// and strings without escapes, ordinary numbers, `true`, `false`, `null`, nested lists and
/// objects.
///
/// It decides nothing on its own: it returns `nil` for anything outside that subset — an escape
/// or a control character in a string, a repeated key, a number that is not finite, a top level
/// that is not an object, trailing text, malformed input — and the caller then decodes the line
/// with `JSONDecoder` as before. What it does return is the value `JSONDecoder` gives for the
/// line (`SampleLoaderTests` compares the two).
struct JSONObjectScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The object on `line`, or `nil` when the line is not in the subset this scanner reads.
    static func object(_ line: Substring) -> [String: Value]? {
        let scanned: [String: Value]?? = line.utf8.withContiguousStorageIfAvailable { buffer in
            var scanner = JSONObjectScanner(buffer)
            scanner.skipSpace()
            guard scanner.peek == UInt8(ascii: "{"), case .object(let fields)? = scanner.value(depth: 0) else { return nil }
            scanner.skipSpace()
            return scanner.at == buffer.count ? fields : nil
        }
        return scanned ?? nil
    }

    private var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { at += 1 }
    }

    private mutating func value(depth: Int) -> Value? {
        guard depth < 64, let byte = peek else { return nil }
        switch byte {
        case UInt8(ascii: "{"):
            at += 1
            var fields: [String: Value] = [:]
            skipSpace()
            if peek == UInt8(ascii: "}") {
                at += 1
                return .object(fields)
            }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard peek == UInt8(ascii: ":") else { return nil }
                at += 1
                skipSpace()
                guard let item = value(depth: depth + 1), fields.updateValue(item, forKey: key) == nil else { return nil }
                skipSpace()
                switch peek {
                case UInt8(ascii: ",")?: at += 1
                case UInt8(ascii: "}")?:
                    at += 1
                    return .object(fields)
                default: return nil
                }
            }
        case UInt8(ascii: "["):
            at += 1
            var items: [Value] = []
            skipSpace()
            if peek == UInt8(ascii: "]") {
                at += 1
                return .list(items)
            }
            while true {
                skipSpace()
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                skipSpace()
                switch peek {
                case UInt8(ascii: ",")?: at += 1
                case UInt8(ascii: "]")?:
                    at += 1
                    return .list(items)
                default: return nil
                }
            }
        case UInt8(ascii: "\""):
            return string().map(Value.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    /// A string without escapes or control characters (the text is valid UTF-8 already).
    private mutating func string() -> String? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        at += 1
        let start = at
        while let byte = peek {
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
                at += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            at += 1
        }
        return nil
    }

    private mutating func literal(_ word: StaticString, _ value: Value) -> Value? {
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count else { return nil }
        for k in 0..<count where bytes[at + k] != word.utf8Start[k] { return nil }
        at += count
        return value
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, finite, and not negative zero.
    private mutating func number() -> Value? {
        let start = at
        func digits() -> Int {
            let from = at
            while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { at += 1 }
            return at - from
        }
        if peek == UInt8(ascii: "-") { at += 1 }
        let leading = at
        let integerDigits = digits()
        guard integerDigits > 0, integerDigits == 1 || bytes[leading] != UInt8(ascii: "0") else { return nil }
        if peek == UInt8(ascii: ".") {
            at += 1
            guard digits() > 0 else { return nil }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            at += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { return nil }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        guard let number = Double(text), number.isFinite, !(number == 0 && number.sign == .minus) else { return nil }
        return .number(number)
    }
}
