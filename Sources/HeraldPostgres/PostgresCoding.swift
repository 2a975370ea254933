import Foundation
import JourneyEngine

/// How the PostgreSQL store turns values into `bytea` columns, the same encodings the SQLite store
/// uses: the customer aggregate (`CustomerStateCoding`), inbox payloads, outbox messages and log
/// entries (`StoreRecordCoding`) in JourneyEngine's binary formats, which also read the JSON
/// earlier versions wrote; everything else (deployed programs) as compact JSON, readable with
/// `convert_from(program, 'UTF8')`.
enum PostgresCoding {
    static func encode(_ value: some Encodable) throws -> Data {
        try JSONEncoder().encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw JourneyStoreError.corrupt("\(T.self): \(error)")
        }
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
