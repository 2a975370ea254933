import Foundation
import JourneyEngine

/// How the PostgreSQL store turns values into `bytea` columns: compact JSON, the same encoding the
/// SQLite store uses, readable with `convert_from(message, 'UTF8')` — except the customer aggregate
/// (`customers.state`), which is written in JourneyEngine's binary `CustomerStateCoding` (JSON rows
/// from earlier versions still load).
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
}
