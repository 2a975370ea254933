import Foundation
public import JourneyEngine
import Logging
import PostgresNIO

extension PostgresJourneyStore: WaitingInstanceCounting {
    /// Reads every customer's aggregate in pages of `id` order (of every shard, whoever owns it) and
    /// counts the active instances per journey, version and step.
    public func waitingInstances() async throws -> [WaitingInstances] {
        var tally = WaitingInstances.Tally()
        var after = ""
        while true {
            var last: String?
            for try await (id, state) in try await client.query(
                "SELECT id, state FROM customers WHERE id COLLATE \"C\" > \(after) ORDER BY id COLLATE \"C\" LIMIT 2000", logger: logger
            ).decode((String, Data).self) {
                tally.add(try CustomerStateCoding.decode(state))
                last = id
            }
            guard let last else { break }
            after = last
        }
        return tally.result
    }
}

extension PostgresJourneyStore: CustomerScanning {
    public func customerPage(after: String, limit: Int) async throws -> [(id: String, state: CustomerState)] {
        var page: [(id: String, state: CustomerState)] = []
        for try await (id, state) in try await client.query(
            "SELECT id, state FROM customers WHERE id COLLATE \"C\" > \(after) ORDER BY id COLLATE \"C\" LIMIT \(limit)", logger: logger
        ).decode((String, Data).self) {
            page.append((id: id, state: try CustomerStateCoding.decode(state)))
        }
        return page
    }
}
