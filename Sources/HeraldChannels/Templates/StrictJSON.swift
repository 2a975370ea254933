/// A strict RFC 8259 syntax check. Foundation's parsers on Linux accept trailing commas and
/// other JSON5 liberties that receivers reject, so webhook payloads are checked with this.
struct StrictJSON {
    struct SyntaxError: Error {
        var message: String
        var line: Int
        var column: Int
    }

    private let bytes: [UInt8]
    private var index = 0

    /// - Throws: ``SyntaxError`` at the first byte that is not valid JSON.
    static func validate(_ bytes: [UInt8]) throws(SyntaxError) {
        var parser = StrictJSON(bytes: bytes)
        parser.skipWhitespace()
        try parser.value(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.error("unexpected text after the JSON value") }
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func error(_ message: String) -> SyntaxError {
        var line = 1
        var column = 1
        for byte in bytes[..<min(index, bytes.count)] {
            if byte == 0x0a {
                line += 1
                column = 1
            } else if byte & 0xc0 != 0x80 {
                column += 1
            }
        }
        return SyntaxError(message: message, line: line, column: column)
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { index += 1 }
    }

    private mutating func expect(_ literal: String) throws(SyntaxError) {
        for byte in literal.utf8 {
            guard current == byte else { throw error("expected `\(literal)`") }
            index += 1
        }
    }

    private mutating func value(depth: Int) throws(SyntaxError) {
        guard depth < 512 else { throw error("nested too deeply") }
        switch current {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a quoted key (trailing commas are not allowed)") }
                try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("expected `:` after the key") }
                index += 1
                skipWhitespace()
                try value(depth: depth + 1)
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard current == UInt8(ascii: "}") else { throw error("expected `,` or `}`") }
                index += 1
                return
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try value(depth: depth + 1)
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard current == UInt8(ascii: "]") else { throw error("expected `,` or `]`") }
                index += 1
                return
            }
        case UInt8(ascii: "\""):
            try string()
        case UInt8(ascii: "t"): try expect("true")
        case UInt8(ascii: "f"): try expect("false")
        case UInt8(ascii: "n"): try expect("null")
        case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
            try number()
        default:
            throw error(
                current == nil
                    ? "unexpected end of the payload" : "expected a value (an empty variable renders as nothing: quote strings, or use a section)")
        }
    }

    private mutating func string() throws(SyntaxError) {
        index += 1
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let escaped = current else { break }
                index += 1
                if escaped == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let hex = current,
                            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(hex) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(hex | 0x20)
                        else {
                            throw error("invalid \\u escape")
                        }
                        index += 1
                    }
                } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                    throw error("invalid escape in a string")
                }
            case 0..<0x20:
                index -= 1
                throw error("control character in a string (use {{…}}, not {{{…}}}, to escape values)")
            default: continue
            }
        }
        throw error("unterminated string")
    }

    private mutating func number() throws(SyntaxError) {
        func digits() -> Int {
            let start = index
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - start
        }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw error("invalid number")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            if digits() == 0 { throw error("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { throw error("invalid number") }
        }
    }
}
