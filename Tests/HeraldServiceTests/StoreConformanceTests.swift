import Foundation
import HeraldSQLite
import JourneyEngine
import JourneyLanguage
import Testing

/// One suite, every backend: the `JourneyStore` contract the processors rely on.
struct StoreConformanceTests {
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case memory, sqlite
        var testDescription: String { rawValue }

        func make() throws -> any JourneyStore {
            switch self {
            case .memory: return MemoryJourneyStore()
            case .sqlite:
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-store-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                return try SQLiteJourneyStore(SQLiteConfiguration(path: directory.appendingPathComponent("s.sqlite").path))
            }
        }
    }

    static func event(_ id: String, _ customer: String, at: Double = 100) -> InboxItem {
        InboxItem(
            id: id, customerID: customer,
            payload: .event(CustomerEvent(id: id, customerID: customer, name: "viewed", timestamp: at)), acceptedAt: at)
    }

    static func message(_ id: String, _ customer: String, at: Double = 100) -> OutboxMessage {
        OutboxMessage(
            id: id, customerID: customer, journey: "j", journeyVersion: "1", step: "s", channel: .webhook, message: "m",
            category: .marketing, at: at, context: [:])
    }

    @Test(arguments: Backend.allCases)
    func inboxIsIdempotentAndOrdered(backend: Backend) async throws {
        let store = try backend.make()
        let ownership = try await store.acquireShards(owner: "a", leaseDuration: 60, now: 0)
        let outcomes = try await store.enqueue([Self.event("e1", "c1"), Self.event("e2", "c2"), Self.event("e1", "c1")])
        guard case .accepted(let s1) = outcomes[0], case .accepted(let s2) = outcomes[1] else {
            Issue.record("expected two accepted")
            return
        }
        #expect(s1 < s2)
        #expect(outcomes[2] == .duplicate)
        #expect(try await store.enqueue([Self.event("e2", "c2")]) == [.duplicate])
        let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
        #expect(pending.map(\.item.id) == ["e1", "e2"])
        #expect(try await store.pendingInbox(after: s1, limit: 10, ownership: ownership).map(\.item.id) == ["e2"])

        // Processing marks rows; a processed id is still recognised as a duplicate.
        let lease = ownership.lease(for: CustomerShard.of("c1"))
        try await store.commit([
            CustomerCommit(
                customerID: "c1", at: 1, lease: lease, expectedVersion: 0,
                change: .save(CustomerState(profile: CustomerProfile(id: "c1")), nextWakeAt: 50), processed: [s1])
        ])
        #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).map(\.item.id) == ["e2"])
        #expect(try await store.enqueue([Self.event("e1", "c1")]) == [.duplicate])
    }

    @Test(arguments: Backend.allCases)
    func commitsAreVersionedAtomicAndFenced(backend: Backend) async throws {
        let store = try backend.make()
        let old = try await store.acquireShards(owner: "a", leaseDuration: 60, now: 0)
        let lease = old.lease(for: CustomerShard.of("c1"))
        let state = CustomerState(profile: CustomerProfile(id: "c1"))
        try await store.commit([
            CustomerCommit(customerID: "c1", at: 1, lease: lease, expectedVersion: 0, change: .save(state, nextWakeAt: 10))
        ])
        let loaded = try #require(try await store.loadCustomers(["c1", "nobody"])["c1"])
        #expect(loaded.version == 1)
        #expect(loaded.nextWakeAt == 10)

        // A stale version fails the whole batch: c2's insert is rolled back too.
        await #expect(throws: JourneyStoreError.conflict(customerID: "c1")) {
            try await store.commit([
                CustomerCommit(
                    customerID: "c2", at: 2, lease: lease, expectedVersion: 0,
                    change: .save(CustomerState(profile: CustomerProfile(id: "c2")), nextWakeAt: nil),
                    outbox: [Self.message("m-c2", "c2")]),
                CustomerCommit(customerID: "c1", at: 2, lease: lease, expectedVersion: 0, change: .save(state, nextWakeAt: 5)),
            ])
        }
        #expect(try await store.loadCustomers(["c2"]).isEmpty)
        #expect(try await store.outbox(customerID: "c2", limit: 10).isEmpty)

        // Another owner takes over: the old lease is fenced.
        let new = try await store.acquireShards(owner: "b", leaseDuration: 60, now: 0)
        await #expect(throws: JourneyStoreError.self) {
            try await store.commit([
                CustomerCommit(customerID: "c1", at: 3, lease: lease, expectedVersion: 1, change: .save(state, nextWakeAt: 5))
            ])
        }
        try await store.commit([
            CustomerCommit(
                customerID: "c1", at: 3, lease: new.lease(for: CustomerShard.of("c1")), expectedVersion: 1,
                change: .save(state, nextWakeAt: 5))
        ])
        #expect(try await store.loadCustomers(["c1"])["c1"]?.version == 2)
    }

    @Test(arguments: Backend.allCases)
    func timerIndexPagesInDueOrder(backend: Backend) async throws {
        let store = try backend.make()
        let ownership = try await store.acquireShards(owner: "a", leaseDuration: 60, now: 0)
        var commits: [CustomerCommit] = []
        for i in 0..<10 {
            let id = "c\(i)"
            commits.append(
                CustomerCommit(
                    customerID: id, at: 0, expectedVersion: 0,
                    change: .save(CustomerState(profile: CustomerProfile(id: id)), nextWakeAt: i == 9 ? nil : Double(100 + i % 3))))
        }
        try await store.commit(commits)
        let first = try await store.dueWakeUps(until: 101, after: nil, limit: 4, ownership: ownership)
        #expect(first.map(\.at) == [100, 100, 100, 101])
        let rest = try await store.dueWakeUps(until: 101, after: first.last, limit: 10, ownership: ownership)
        #expect(rest.map(\.at) == [101, 101])
        #expect(Set((first + rest).map(\.customerID)).count == 6)
        #expect(try await store.dueWakeUps(until: 99, after: nil, limit: 10, ownership: ownership).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func outboxIsLeasedRecordedOnceAndFedBack(backend: Backend) async throws {
        let store = try backend.make()
        let ownership = try await store.acquireShards(owner: "a", leaseDuration: 60, now: 0)
        try await store.commit([
            CustomerCommit(
                customerID: "c1", at: 0, expectedVersion: 0,
                change: .save(CustomerState(profile: CustomerProfile(id: "c1")), nextWakeAt: nil),
                outbox: [Self.message("m1", "c1", at: 10), Self.message("m2", "c1", at: 20), Self.message("m1", "c1", at: 10)])
        ])
        #expect(try await store.claimOutbox(now: 5, leaseFor: 30, limit: 10, ownership: ownership).isEmpty, "not due yet")
        let claims = try await store.claimOutbox(now: 15, leaseFor: 30, limit: 10, ownership: ownership)
        #expect(claims.map(\.message.id) == ["m1"])
        #expect(try await store.claimOutbox(now: 16, leaseFor: 30, limit: 10, ownership: ownership).isEmpty, "leased")
        // The lease lapses: another claim gets a new token; the old holder can no longer record.
        let reclaimed = try await store.claimOutbox(now: 50, leaseFor: 30, limit: 10, ownership: ownership)
        #expect(Set(reclaimed.map(\.message.id)) == ["m1", "m2"])
        let m1 = try #require(reclaimed.first { $0.message.id == "m1" })
        let feedback = InboxItem(
            id: "delivery:m1", customerID: "c1", payload: .deliveryOutcome(messageID: "m1", delivered: true, detail: "ok"),
            acceptedAt: 51)
        let stale = try await store.recordDeliveries([
            DeliveryRecord(messageID: "m1", token: claims[0].token, at: 51, outcome: .delivered(detail: "ok"), feedback: feedback)
        ])
        #expect(stale.isEmpty)
        let recorded = try await store.recordDeliveries([
            DeliveryRecord(messageID: "m1", token: m1.token, at: 51, outcome: .delivered(detail: "ok"), feedback: feedback)
        ])
        #expect(recorded == ["m1"])
        let m2 = try #require(reclaimed.first { $0.message.id == "m2" })
        try await store.recordDeliveries([
            DeliveryRecord(messageID: "m2", token: m2.token, at: 52, outcome: .deadLettered(reason: "410"), feedback: nil)
        ])
        // Delivered and dead rows are never claimed again.
        #expect(try await store.claimOutbox(now: 1_000, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
        let inbox = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
        #expect(inbox.map(\.item.id) == ["delivery:m1"])
        let letters = try await store.deadLetters(before: nil, limit: 10)
        #expect(letters.map(\.message.id) == ["m2"])
        #expect(letters.first?.reason == "410")
        let statuses = try await store.outbox(customerID: "c1", limit: 10)
        #expect(Set(statuses.map(\.state)) == [.delivered, .dead])
    }

    @Test(arguments: Backend.allCases)
    func eraseRemovesTheCustomerAndPendingMessages(backend: Backend) async throws {
        let store = try backend.make()
        _ = try await store.acquireShards(owner: "a", leaseDuration: 60, now: 0)
        try await store.commit([
            CustomerCommit(
                customerID: "c1", at: 0, expectedVersion: 0,
                change: .save(CustomerState(profile: CustomerProfile(id: "c1", email: "a@b.c")), nextWakeAt: 5),
                outbox: [Self.message("m1", "c1")],
                log: [CustomerLogEntry(at: 0, kind: "send", summary: "sent")])
        ])
        try await store.commit([CustomerCommit(customerID: "c1", at: 1, expectedVersion: 1, change: .erase)])
        #expect(try await store.loadCustomers(["c1"]).isEmpty)
        #expect(try await store.outbox(customerID: "c1", limit: 10).isEmpty)
        #expect(try await store.customerLog(customerID: "c1", limit: 10).isEmpty)
        let ownership = try await store.acquireShards(owner: "a", leaseDuration: 60, now: 0)
        #expect(try await store.dueWakeUps(until: 100, after: nil, limit: 10, ownership: ownership).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func retentionPrunesOnlyWhatIsOld(backend: Backend) async throws {
        let store = try backend.make()
        let ownership = try await store.acquireShards(owner: "a", leaseDuration: 60, now: 0)
        let day = 86_400.0
        guard case .accepted(let old)? = try await store.enqueue([Self.event("old", "c1", at: 0)]).first,
            case .accepted(let young)? = try await store.enqueue([Self.event("young", "c1", at: 9 * day)]).first
        else { return }
        _ = try await store.enqueue([Self.event("pending", "c1", at: 0)])
        try await store.commit([
            CustomerCommit(
                customerID: "c1", at: 9 * day, expectedVersion: 0,
                change: .save(CustomerState(profile: CustomerProfile(id: "c1")), nextWakeAt: nil), processed: [old, young])
        ])
        let report = try await store.prune(RetentionPolicy(processedEvents: 7 * day), now: 10 * day)
        #expect(report.events == 1)
        #expect(try await store.enqueue([Self.event("young", "c1")]) == [.duplicate])
        #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).map(\.item.id) == ["pending"])
    }
}
