import Foundation
import GRDB
public import JourneyEngine

extension SQLiteJourneyStore: WaitingInstanceCounting {
    /// Reads every customer's aggregate in pages of `id` order (each page its own read, so writers
    /// never wait long) and counts the active instances per journey, version and step.
    public func waitingInstances() async throws -> [WaitingInstances] {
        var tally = WaitingInstances.Tally()
        var after = ""
        while true {
            let page = try await pool.read { [after] db in
                try Row.fetchAll(db, sql: "SELECT id, state FROM customers WHERE id > ? ORDER BY id LIMIT 2000", arguments: [after])
                    .map { (row: Row) -> (String, Data) in (row["id"], row["state"]) }
            }
            for (_, state) in page { tally.add(try CustomerStateCoding.decode(state)) }
            guard let last = page.last else { break }
            after = last.0
        }
        return tally.result
    }
}

extension SQLiteJourneyStore: CustomerScanning {
    public func customerPage(after: String, limit: Int) async throws -> [(id: String, state: CustomerState)] {
        let page = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, state FROM customers WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit])
                .map { (row: Row) -> (String, Data) in (row["id"], row["state"]) }
        }
        return try page.map { (id: $0.0, state: try CustomerStateCoding.decode($0.1)) }
    }
}
