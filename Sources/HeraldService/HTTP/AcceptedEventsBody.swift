import NIOCore

/// The body of `POST /v1/events`'s 202, written straight into a `ByteBuffer`:
/// `{"accepted":N,"duplicates":M,"events":[{"id":"…","status":"accepted"},…]}`.
///
/// It is byte for byte what `JSONResponse.make` gives for the same `Value` (`JSONEncoder` with
/// sorted keys and unescaped slashes; `AcceptedEventsBodyTests` holds it to that), without
/// building 100 one-entry dictionaries per batch and encoding them through `Encodable`: that was
/// about 5 % of the server's CPU under `POST /v1/events` in herald-bench.
enum AcceptedEventsBody {
    /// - Parameters:
    ///   - ids: the events' ids, in the request's order.
    ///   - accepted: for each id, whether it was accepted (`false`: a duplicate).
    static func make(ids: [String], accepted: [Bool]) -> ByteBuffer {
        precondition(ids.count == accepted.count)
        let acceptedCount = accepted.reduce(0) { $0 + ($1 ? 1 : 0) }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(48 + ids.reduce(0) { $0 + $1.utf8.count + 32 })
        buffer.writeStaticString(#"{"accepted":"#)
        buffer.writeString(String(acceptedCount))
        buffer.writeStaticString(#","duplicates":"#)
        buffer.writeString(String(ids.count - acceptedCount))
        buffer.writeStaticString(#","events":["#)
        for (index, id) in ids.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            buffer.writeStaticString(#"{"id":"#)
            writeString(id, to: &buffer)
            buffer.writeStaticString(accepted[index] ? #","status":"accepted"}"# : #","status":"duplicate"}"#)
        }
        buffer.writeStaticString("]}")
        return buffer
    }

    /// A JSON string as `JSONEncoder` writes it with `.withoutEscapingSlashes`: `"` and `\`
    /// escaped, `\b \f \n \r \t` by name, other bytes below 0x20 as `\u00xx` (lowercase hex), and
    /// everything else, non-ASCII included, as is.
    static func writeString(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("\"")
        let plain = string.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if plain {
            buffer.writeString(string)
        } else {
            let hex: StaticString = "0123456789abcdef"
            for byte in string.utf8 {
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString(#"\""#)
                case UInt8(ascii: "\\"): buffer.writeStaticString(#"\\"#)
                case 0x08: buffer.writeStaticString(#"\b"#)
                case 0x0C: buffer.writeStaticString(#"\f"#)
                case 0x0A: buffer.writeStaticString(#"\n"#)
                case 0x0D: buffer.writeStaticString(#"\r"#)
                case 0x09: buffer.writeStaticString(#"\t"#)
                case 0..<0x20:
                    buffer.writeStaticString(#"\u00"#)
                    buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                    buffer.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
                default:
                    buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeStaticString("\"")
    }
}
