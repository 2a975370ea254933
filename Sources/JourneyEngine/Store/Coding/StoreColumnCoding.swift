public import Foundation

/// How the durable stores (SQLite, PostgreSQL) turn values into blob/`bytea` columns. The records
/// written on the hot path — the customer aggregate (``CustomerStateCoding``), inbox payloads,
/// outbox messages and log entries (``StoreRecordCoding``) — use the binary formats, which also read
/// the JSON earlier versions wrote; everything else (deployed programs) is compact JSON, readable
/// with `sqlite3` or `convert_from(program, 'UTF8')`. What cannot be decoded is
/// ``JourneyStoreError/corrupt(_:)``.
public enum StoreColumnCoding {
    public static func encode(_ value: some Encodable) throws -> Data {
        try JSONEncoder().encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw JourneyStoreError.corrupt("\(T.self): \(error)")
        }
    }

    public static func encode(_ payload: InboxPayload) throws -> Data { Data(StoreRecordCoding.encode(payload)) }
    public static func encode(_ message: OutboxMessage) throws -> Data { Data(StoreRecordCoding.encode(message)) }
    public static func encode(_ entry: CustomerLogEntry) throws -> Data { Data(StoreRecordCoding.encode(entry)) }

    public static func decode(_ type: InboxPayload.Type, from data: Data) throws -> InboxPayload {
        try StoreRecordCoding.decode(type, from: data)
    }

    public static func decode(_ type: OutboxMessage.Type, from data: Data) throws -> OutboxMessage {
        try StoreRecordCoding.decode(type, from: data)
    }

    public static func decode(_ type: CustomerLogEntry.Type, from data: Data) throws -> CustomerLogEntry {
        try StoreRecordCoding.decode(type, from: data)
    }
}
