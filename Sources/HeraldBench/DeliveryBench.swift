import Foundation

/// 5. Delivery (filled in below when time allows).
enum DeliveryBench {
    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        table.notRun("delivery: webhooks via MessageDispatcher vs wrk", reason: "not implemented yet")
    }
}
