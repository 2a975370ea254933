import Foundation
import JourneyEngine

/// How the SQLite store turns values into column blobs. The records written on the hot path — the
/// customer aggregate (`CustomerStateCoding`), inbox payloads, outbox messages and log entries
/// (`StoreRecordCoding`) — are JourneyEngine's binary formats, which also read the JSON earlier
/// versions wrote; everything else (deployed programs) is compact JSON, readable with `sqlite3`.
enum StoreCoding {
    static func encode(_ value: some Encodable) throws -> Data {
        try JSONEncoder().encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }

    static func encode(_ payload: InboxPayload) throws -> Data { Data(StoreRecordCoding.encode(payload)) }
    static func encode(_ message: OutboxMessage) throws -> Data { Data(StoreRecordCoding.encode(message)) }
    static func encode(_ entry: CustomerLogEntry) throws -> Data { Data(StoreRecordCoding.encode(entry)) }

    static func decode(_ type: InboxPayload.Type, from data: Data) throws -> InboxPayload {
        try StoreRecordCoding.decode(type, from: data)
    }

    static func decode(_ type: OutboxMessage.Type, from data: Data) throws -> OutboxMessage {
        try StoreRecordCoding.decode(type, from: data)
    }

    static func decode(_ type: CustomerLogEntry.Type, from data: Data) throws -> CustomerLogEntry {
        try StoreRecordCoding.decode(type, from: data)
    }
}
