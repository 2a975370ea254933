public import Foundation
public import JourneyLanguage

/// The stores' binary encoding of the records they write besides the aggregate (see
/// ``CustomerStateCoding`` for the format and its first byte): the inbox payload (written on every
/// accepted event, read when it is processed), the outbox message with its template context
/// (written with every send, read by the delivery worker) and the customer log entry. JSON rows
/// written before the binary format still decode.
///
/// ```swift
/// let bytes = StoreRecordCoding.encode(message)
/// let again = try StoreRecordCoding.decode(OutboxMessage.self, from: bytes)
/// ```
public enum StoreRecordCoding {
    public static func encode(_ payload: InboxPayload) -> [UInt8] { encode { $0.write(payload) } }
    public static func encode(_ message: OutboxMessage) -> [UInt8] { encode { $0.write(message) } }
    public static func encode(_ entry: CustomerLogEntry) -> [UInt8] { encode { $0.write(entry) } }

    /// - Throws: ``JourneyStoreError/corrupt(_:)`` for empty, truncated or damaged bytes.
    public static func decode(_ type: InboxPayload.Type, from bytes: some ContiguousBytes) throws -> InboxPayload {
        try ByteReader.decode(bytes, subject: "InboxPayload") { try $0.readInboxPayload() }
    }

    /// - Throws: ``JourneyStoreError/corrupt(_:)`` for empty, truncated or damaged bytes.
    public static func decode(_ type: OutboxMessage.Type, from bytes: some ContiguousBytes) throws -> OutboxMessage {
        try ByteReader.decode(bytes, subject: "OutboxMessage") { try $0.readOutboxMessage() }
    }

    /// - Throws: ``JourneyStoreError/corrupt(_:)`` for empty, truncated or damaged bytes.
    public static func decode(_ type: CustomerLogEntry.Type, from bytes: some ContiguousBytes) throws -> CustomerLogEntry {
        try ByteReader.decode(bytes, subject: "CustomerLogEntry") { try $0.readLogEntry() }
    }

    private static func encode(_ body: (inout ByteWriter) -> Void) -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.byte(StoreRecordFormat.binaryV1)
        body(&writer)
        return writer.bytes
    }
}

// MARK: - Writing (field order is the format: change it only with a new format byte)

extension ByteWriter {
    mutating func write(_ payload: InboxPayload) {
        switch payload {
        case .profile(let profile):
            byte(0)
            write(profile)
        case .event(let event):
            byte(1)
            string(event.id)
            string(event.customerID)
            string(event.name)
            values(event.properties)
            double(event.timestamp)
        case .deliveryOutcome(let messageID, let delivered, let detail):
            byte(2)
            string(messageID)
            bool(delivered)
            string(detail)
        case .erase:
            byte(3)
        }
    }

    mutating func write(_ message: OutboxMessage) {
        string(message.id)
        string(message.customerID)
        string(message.journey)
        string(message.journeyVersion)
        string(message.step)
        string(message.channel.rawValue)
        string(message.message)
        string(message.category.rawValue)
        double(message.at)
        values(message.context)
    }

    mutating func write(_ entry: CustomerLogEntry) {
        double(entry.at)
        string(entry.kind)
        optional(entry.journey) { $0.string($1) }
        string(entry.summary)
        value(entry.detail)
    }
}

// MARK: - Reading

extension ByteReader {
    mutating func readInboxPayload() throws -> InboxPayload {
        switch try byte() {
        case 0: return .profile(try readProfile())
        case 1:
            return .event(
                CustomerEvent(
                    id: try string(), customerID: try string(), name: try string(), properties: try values(),
                    timestamp: try double()))
        case 2: return .deliveryOutcome(messageID: try string(), delivered: try bool(), detail: try string())
        case 3: return .erase
        case let tag: throw badTag(tag, of: "InboxPayload")
        }
    }

    mutating func readOutboxMessage() throws -> OutboxMessage {
        OutboxMessage(
            id: try string(), customerID: try string(), journey: try string(), journeyVersion: try string(),
            step: try string(), channel: try readChannel(), message: try string(), category: try readCategory(),
            at: try double(), context: try values())
    }

    mutating func readLogEntry() throws -> CustomerLogEntry {
        CustomerLogEntry(
            at: try double(), kind: try string(), journey: try optional { try $0.string() }, summary: try string(),
            detail: try value())
    }
}
