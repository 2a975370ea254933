public import Foundation

/// The base protocol's framing: `Content-Length: N` (and optionally `Content-Type`) header lines,
/// an empty line, then N bytes of JSON. Bytes go in as they arrive; whole message bodies come out.
/// A header block without a valid length is reported and skipped, so one bad frame never stops
/// the stream.
///
/// ```swift
/// var framer = MessageFramer()
/// framer.append(data)
/// while let frame = framer.next() { ... }
/// ```
public struct MessageFramer: Sendable {
    public enum Frame: Sendable, Equatable {
        /// The body of one message.
        case message(Data)
        /// A header block that could not be understood (already skipped), and why.
        case malformed(String)
    }

    /// The largest body accepted; larger declared lengths are refused (their header skipped).
    public static let maximumLength = 64 << 20
    /// A header block longer than this without its terminating empty line is refused.
    static let maximumHeaderLength = 8 << 10

    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ data: Data) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: data)
    }

    /// The next frame, or `nil` when more bytes are needed.
    public mutating func next() -> Frame? {
        guard let end = headerEnd() else {
            if buffer.count - start > Self.maximumHeaderLength {
                start = buffer.count
                return .malformed("a header block longer than \(Self.maximumHeaderLength) bytes without an empty line after it")
            }
            return nil
        }
        let header = String(decoding: buffer[start..<end], as: UTF8.self)
        var length: Int?
        var problem: String?
        for line in header.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else {
                problem = "header line `\(line.prefix(80))` has no `:`"
                continue
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" {
                guard let parsed = Int(value), parsed >= 0 else {
                    problem = "Content-Length `\(value.prefix(40))` is not a non-negative whole number"
                    continue
                }
                length = parsed
            }
        }
        let bodyStart = end + 4
        guard let length else {
            start = bodyStart
            return .malformed(problem ?? "the header has no Content-Length")
        }
        guard length <= Self.maximumLength else {
            start = bodyStart
            return .malformed("Content-Length \(length) is larger than the \(Self.maximumLength) bytes accepted")
        }
        guard buffer.count - bodyStart >= length else { return nil }
        let body = Data(buffer[bodyStart..<(bodyStart + length)])
        start = bodyStart + length
        return .message(body)
    }

    /// Index of the `\r\n\r\n` that ends the header block starting at `start`.
    private func headerEnd() -> Int? {
        guard buffer.count - start >= 4 else { return nil }
        var index = start
        while index + 3 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 { return index }
            index += 1
        }
        return nil
    }

    /// A message framed for the wire.
    public static func frame(_ body: Data) -> Data {
        var data = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
        data.append(body)
        return data
    }
}
