import Foundation
public import JourneyEngine
import JourneyLanguage

/// One accepted input of a recorded input log (`herald export`, `GET /v1/inputs/export`).
///
/// The log is NDJSON, one object per line, in accepted order: `accepted_at` (RFC 3339, UTC) and
/// `kind` — `"event"` with `event` (the object `POST /v1/events` accepts), `"profile"` with
/// `customer_id` and `profile` (the `PUT /v1/customers/{id}` body), or `"erasure"` with
/// `customer_id`. See docs/changing-journeys.md.
public struct InputLogRecord: Sendable {
    public enum Kind: Sendable {
        case event(CustomerEvent)
        case profile(CustomerProfile)
        case erasure
    }

    public var acceptedAt: Double
    public var customerID: String
    public var kind: Kind
    /// 1-based line number in the log file.
    public var line: Int

    public init(acceptedAt: Double, customerID: String, kind: Kind, line: Int) {
        self.acceptedAt = acceptedAt
        self.customerID = customerID
        self.kind = kind
        self.line = line
    }
}

/// Parsing the lines of an input log.
public enum InputLog {
    /// Parses one line (`number` is 1-based); throws a ``LoadIssue`` naming the file and line.
    public static func parse(_ line: Substring, file: String, number: Int) throws(LoadIssue) -> InputLogRecord {
        func fail(_ message: String) -> LoadIssue { LoadIssue(file: file, line: number, message: message) }
        let object: [String: Value]
        do { object = try SampleLoader.parseObject(line) } catch { throw fail("\(error) (each line must be one JSON object)") }
        guard case .string(let acceptedText)? = object["accepted_at"] else {
            throw fail("missing \"accepted_at\" (an RFC 3339 time such as 2026-03-02T10:00:00.000Z)")
        }
        guard let acceptedAt = Value.parseTime(acceptedText) else { throw fail("\"accepted_at\" is not an RFC 3339 time: \"\(acceptedText)\"") }
        guard case .string(let kind)? = object["kind"] else { throw fail("missing \"kind\" (\"event\", \"profile\" or \"erasure\")") }
        func customer(_ value: Value?, _ field: String) throws(LoadIssue) -> String {
            guard case .string(let id)? = value, !id.isEmpty else { throw fail("\(field) needs a non-empty string \"customer_id\"") }
            return id
        }
        switch kind {
        case "event":
            guard case .object(let event)? = object["event"] else { throw fail("an \"event\" line needs an \"event\" object") }
            let id = try customer(event["customer_id"], "the event")
            do {
                return InputLogRecord(
                    acceptedAt: acceptedAt, customerID: id, kind: .event(try Self.event(event, customerID: id, acceptedAt: acceptedAt)),
                    line: number)
            } catch { throw fail("\(error)") }
        case "profile":
            let id = try customer(object["customer_id"], "a \"profile\" line")
            guard case .object(var body)? = object["profile"] else { throw fail("a \"profile\" line needs a \"profile\" object") }
            if case .string(let bodyID)? = body["id"], bodyID != id {
                throw fail("the profile's \"id\" (\"\(bodyID)\") differs from \"customer_id\" (\"\(id)\")")
            }
            body["id"] = .string(id)
            do {
                return InputLogRecord(acceptedAt: acceptedAt, customerID: id, kind: .profile(try SampleLoader.profile(from: body)), line: number)
            } catch { throw fail("\(error)") }
        case "erasure":
            return InputLogRecord(
                acceptedAt: acceptedAt, customerID: try customer(object["customer_id"], "an \"erasure\" line"), kind: .erasure, line: number)
        default:
            throw fail("unknown \"kind\" \"\(kind)\" (expected \"event\", \"profile\" or \"erasure\")")
        }
    }

    /// The event as the service accepted it: a missing timestamp is the accepted time.
    static func event(_ object: [String: Value], customerID: String, acceptedAt: Double) throws -> CustomerEvent {
        guard case .string(let name)? = object["name"], !name.isEmpty else { throw Message("the event needs a string \"name\"") }
        guard case .string(let id)? = object["id"], !id.isEmpty else { throw Message("the event needs a string \"id\"") }
        let timestamp: Double
        switch object["timestamp"] {
        case nil, .null?: timestamp = acceptedAt
        case .string(let s)?:
            guard let t = Value.parseTime(s) else { throw Message("the event's \"timestamp\" is not an RFC 3339 time: \"\(s)\"") }
            timestamp = t
        case .number(let n)?: timestamp = n
        default: throw Message("the event's \"timestamp\" must be an RFC 3339 string or seconds since the epoch")
        }
        var properties: [String: Value] = [:]
        switch object["properties"] {
        case nil, .null?: break
        case .object(let fields)?: properties = fields
        default: throw Message("the event's \"properties\" must be an object")
        }
        return CustomerEvent(id: id, customerID: customerID, name: name, properties: properties, timestamp: timestamp)
    }
}

/// Reads a file line by line in blocks, so a log larger than memory can be read.
struct LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private(set) var number = 0

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Message("\(path): cannot read the file") }
        self.handle = handle
    }

    /// The next line (without its line break) and its 1-based number, or `nil` at the end.
    mutating func next() throws -> (Int, Substring)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                number += 1
                return (number, line[...])
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                number += 1
                return (number, line[...])
            }
            buffer.removeFirst(start)
            start = 0
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }

    func close() { try? handle.close() }
}
