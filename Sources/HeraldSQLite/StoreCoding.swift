import Foundation

/// How the SQLite store turns values into column blobs: compact JSON, readable with `sqlite3` —
/// except the customer aggregate (`customers.state`), which is written in JourneyEngine's binary
/// `CustomerStateCoding` (JSON rows from earlier versions still load).
enum StoreCoding {
    static func encode(_ value: some Encodable) throws -> Data {
        try JSONEncoder().encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
