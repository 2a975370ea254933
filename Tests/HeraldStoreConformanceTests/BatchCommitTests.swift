import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// A large commit batch — what a processing partition hands the store — leaves exactly what the
/// in-memory reference store leaves for the same batch. The durable stores write such a batch with
/// multi-row statements and one write per counter (SQLite's `SQLiteBatchRows`, PostgreSQL's
/// `unnest` statements); these cases would fail if a row were lost, duplicated, reordered or
/// written with another value, or if a counter were combined differently.
@Suite struct BatchCommitTests {
    static let customers = 150  // more than two 64-row statements, and a remainder of 16 + 4 + 2

    /// Counters every commit of the batch adds to, one kept as a minimum, and one per customer.
    static let entered = JourneyCounter(journey: "welcome", version: "v1", metric: "entered")
    static let sent = JourneyCounter(journey: "welcome", version: "v1", step: "hello", metric: "sent")
    static let firstAssigned = JourneyCounter(
        journey: "welcome", version: "v1", metric: JourneyCounter.firstAssignedMetric(split: "offer"))

    static func id(_ k: Int) -> String { "batch-c\(k)" }

    /// Creates the even-numbered customers (one commit each) and enqueues one event per customer;
    /// returns the pending inbox entries by customer.
    static func prepare(_ store: any JourneyStore, _ ownership: ShardOwnership) async throws -> [String: InboxEntry] {
        for k in stride(from: 0, to: customers, by: 2) {
            try await store.commit([
                CustomerCommit(
                    customerID: id(k), at: 1_000, lease: StoreConformanceTests.lease(ownership, id(k)), expectedVersion: 0,
                    change: .save(StoreConformanceTests.state(id(k), note: "before"), nextWakeAt: 5_000),
                    counters: [entered: 1, firstAssigned: 9_000])
            ])
        }
        _ = try await store.enqueue((0..<customers).map { StoreConformanceTests.event("batch-e\($0)", customer: id($0), at: 1_001) })
        let pending = try await store.pendingInbox(after: 0, limit: 1_000, ownership: ownership)
        return Dictionary(uniqueKeysWithValues: pending.map { ($0.item.customerID, $0) })
    }

    /// One batch: every customer saves (new ones at version 0), consumes its event, and writes 0, 1
    /// or 2 messages and 0 to 3 log entries; message `batch-dup` is written by two customers (the
    /// first stays); the first-assignment counter comes with several values (the smallest stays).
    static func batch(_ ownership: ShardOwnership, pending: [String: InboxEntry]) -> [CustomerCommit] {
        (0..<customers).map { k in
            let id = id(k)
            var outbox = (0..<(k % 3)).map { StoreConformanceTests.message("batch-m\(k)-\($0)", customer: id, at: 2_000 + Double(k)) }
            if k == 7 || k == 9 { outbox.append(StoreConformanceTests.message("batch-dup", customer: id, at: 3_000 + Double(k))) }
            let log = (0..<(k % 4)).map { CustomerLogEntry(at: 1_002 + Double($0), kind: "decision", journey: "welcome", summary: "c\(k) #\($0)") }
            var counters: [JourneyCounter: Int64] = [
                entered: 1, JourneyCounter(journey: "welcome", version: "v1", step: "s\(k)", metric: "reached"): 1,
            ]
            if k % 2 == 1 { counters[sent] = Int64(k) }
            if k % 5 == 0 { counters[firstAssigned] = 5_000 - Int64(k) }
            return CustomerCommit(
                customerID: id, at: 1_010, lease: StoreConformanceTests.lease(ownership, id), expectedVersion: k % 2 == 0 ? 1 : 0,
                change: .save(StoreConformanceTests.state(id, note: "after \(k)"), nextWakeAt: k % 3 == 0 ? nil : 6_000 + Double(k)),
                outbox: outbox, processed: pending[id].map { [$0.sequence] } ?? [], log: log, counters: counters)
        }
    }

    /// Everything a batch can have written, read back through the store's API.
    struct Snapshot: Equatable {
        var customers: [String: StoredCustomer]
        var outbox: [String: [OutboxStatus]]
        var log: [String: [CustomerLogEntry]]
        var counters: [JourneyCounter: Int64]
        var pending: [String]
        var wakeUps: [WakeUp]
    }

    static func snapshot(_ store: any JourneyStore, _ ownership: ShardOwnership) async throws -> Snapshot {
        let ids = (0..<customers).map(id)
        let customers = try await store.loadCustomers(ids)
        var outbox: [String: [OutboxStatus]] = [:]
        var log: [String: [CustomerLogEntry]] = [:]
        for id in ids {
            outbox[id] = try await store.outbox(customerID: id, limit: 10).sorted { $0.message.id < $1.message.id }
            log[id] = try await store.customerLog(customerID: id, limit: 10)
        }
        return Snapshot(
            customers: customers, outbox: outbox, log: log, counters: try await store.journeyCounters(),
            pending: try await store.pendingInbox(after: 0, limit: 1_000, ownership: ownership).map(\.item.id),
            wakeUps: try await store.dueWakeUps(until: 100_000, after: nil, limit: 1_000, ownership: ownership))
    }

    @Test(arguments: StoreBackend.durable)
    func aLargeBatchLeavesWhatTheReferenceStoreLeaves(_ backend: StoreBackend) async throws {
        let reference = MemoryJourneyStore()
        let referenceOwnership = try await reference.acquireShards(owner: "node-a", leaseDuration: 60, now: 1_000)
        let referencePending = try await Self.prepare(reference, referenceOwnership)
        try await reference.commit(Self.batch(referenceOwnership, pending: referencePending))
        let expected = try await Self.snapshot(reference, referenceOwnership)

        try await StoreConformanceTests.withStore(backend) { store, ownership, _ in
            let pending = try await Self.prepare(store, ownership)
            try await store.commit(Self.batch(ownership, pending: pending))
            let actual = try await Self.snapshot(store, ownership)
            #expect(actual.customers == expected.customers)
            #expect(actual.outbox == expected.outbox)
            #expect(actual.log == expected.log)
            #expect(actual.counters == expected.counters)
            #expect(actual.pending == expected.pending)
            #expect(actual.wakeUps == expected.wakeUps)
        }
        // The values the reference itself must hold (so the comparison is not between two wrongs).
        #expect(expected.pending.isEmpty)
        #expect(expected.counters[Self.entered] == Int64(Self.customers / 2 + Self.customers))
        // The smallest first assignment: 5,000 − 145 in the batch, below the 9,000 written before.
        #expect(expected.counters[Self.firstAssigned] == Int64(4_855))
        #expect(expected.outbox[Self.id(9)]?.contains { $0.message.id == "batch-dup" } == false)
        #expect(expected.outbox[Self.id(7)]?.contains { $0.message.id == "batch-dup" } == true)
        #expect(expected.log[Self.id(3)]?.map(\.summary) == ["c3 #2", "c3 #1", "c3 #0"])
    }

    /// A stale version anywhere in a large batch fails the whole batch with that customer's
    /// conflict, and nothing of it stays.
    @Test(arguments: StoreBackend.available)
    func aConflictInALargeBatchNamesTheCustomerAndWritesNothing(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, ownership, _ in
            let pending = try await Self.prepare(store, ownership)
            let before = try await Self.snapshot(store, ownership)
            for stale in [70, 71] {  // an update (expected 1, stored 1 → 5) and a creation of an existing id
                var batch = Self.batch(ownership, pending: pending)
                batch[stale].expectedVersion = stale % 2 == 0 ? 5 : 0
                if stale % 2 == 1 {
                    try await store.commit([
                        CustomerCommit(
                            customerID: Self.id(stale), at: 1_005, lease: StoreConformanceTests.lease(ownership, Self.id(stale)),
                            expectedVersion: 0, change: .save(StoreConformanceTests.state(Self.id(stale)), nextWakeAt: nil))
                    ])
                }
                await #expect(throws: JourneyStoreError.conflict(customerID: Self.id(stale))) { try await store.commit(batch) }
            }
            var after = try await Self.snapshot(store, ownership)
            after.customers[Self.id(71)] = nil  // created on purpose above
            after.wakeUps.removeAll { $0.customerID == Self.id(71) }
            #expect(after == before)
        }
    }
}
