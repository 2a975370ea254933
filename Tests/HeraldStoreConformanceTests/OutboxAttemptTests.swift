import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// Every backend counts a delivery attempt when it is claimed, before it starts, so an attempt a
/// crash cut off is counted although its outcome never was; a claim given back unattempted returns
/// its count. Erasure leaves nothing of the customer in the inbox either.
extension StoreConformanceTests {
    static func seed(_ store: any JourneyStore, _ ownership: ShardOwnership, messages: [String]) async throws {
        try await store.commit([
            CustomerCommit(
                customerID: "c1", at: 1_000, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                change: .save(Self.state("c1"), nextWakeAt: nil), outbox: messages.map { Self.message($0, customer: "c1") })
        ])
    }

    static func attempts(_ store: any JourneyStore, _ id: String) async throws -> Int? {
        try await store.outbox(customerID: "c1", limit: 10).first { $0.message.id == id }?.attempts
    }

    @Test(arguments: StoreBackend.available)
    func anAttemptIsCountedWhenItIsClaimed(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, subject in
            try await Self.seed(store, ownership, messages: ["m1"])
            let first = try #require(try await store.claimOutbox(now: 1_010, leaseFor: 30, limit: 10, ownership: ownership).first)
            #expect(first.attempts == 0)
            // Counted before any outcome exists: a crash now still shows the attempt.
            #expect(try await Self.attempts(store, "m1") == 1)
            let store = try await subject.reopen?() ?? store
            #expect(try await Self.attempts(store, "m1") == 1)
            // The restarted node releases its earlier incarnation's lease and attempts again.
            try await store.releaseOutboxLeases(now: 1_020)
            let second = try #require(try await store.claimOutbox(now: 1_020, leaseFor: 30, limit: 10, ownership: ownership).first)
            #expect(second.attempts == 1)
            #expect(try await Self.attempts(store, "m1") == 2)
            let recorded = try await store.recordDeliveries([
                DeliveryRecord(messageID: "m1", token: second.token, at: 1_021, outcome: .delivered(detail: "ok"), feedback: nil)
            ])
            #expect(recorded == ["m1"])
            // Recording does not count the attempt a second time.
            #expect(try await Self.attempts(store, "m1") == 2)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aClaimGivenBackUnattemptedReturnsItsCount(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            try await Self.seed(store, ownership, messages: ["m1"])
            let claim = try #require(try await store.claimOutbox(now: 1_010, leaseFor: 30, limit: 10, ownership: ownership).first)
            // A stale token gives nothing back.
            let stale = try await store.recordDeliveries([
                DeliveryRecord(messageID: "m1", token: claim.token - 1, at: 1_011, outcome: .notAttempted(retryAt: 1_011), feedback: nil)
            ])
            #expect(stale.isEmpty)
            #expect(try await Self.attempts(store, "m1") == 1)
            let given = try await store.recordDeliveries([
                DeliveryRecord(messageID: "m1", token: claim.token, at: 1_011, outcome: .notAttempted(retryAt: 1_012), feedback: nil)
            ])
            #expect(given == ["m1"])
            #expect(try await Self.attempts(store, "m1") == 0)
            #expect(try await store.outbox(customerID: "c1", limit: 10).first?.state == .pending)
            // Due again at the given time (not before), with its lease gone and no feedback.
            #expect(try await store.claimOutbox(now: 1_011.5, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
            #expect(try await store.nextOutboxAttempt(ownership: ownership) == 1_012)
            let again = try #require(try await store.claimOutbox(now: 1_012, leaseFor: 30, limit: 10, ownership: ownership).first)
            #expect(again.attempts == 0)
            #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.available)
    func erasingRemovesTheCustomersHandledInboxRows(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let erase = InboxItem(id: "erase-c1", customerID: "c1", payload: .erase, acceptedAt: 1_002)
            let items = [Self.event("e1", customer: "c1"), Self.event("e2", customer: "c2"), erase]
            _ = try await store.enqueue(items)
            let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            let sequence = Dictionary(uniqueKeysWithValues: pending.map { ($0.item.id, $0.sequence) })
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                    change: .save(Self.state("c1"), nextWakeAt: nil), processed: [sequence["e1"]!]),
                CustomerCommit(
                    customerID: "c2", at: 1_001, lease: Self.lease(ownership, "c2"), expectedVersion: 0,
                    change: .save(Self.state("c2"), nextWakeAt: nil), processed: [sequence["e2"]!]),
            ])
            // An event for c1 accepted after the erasure request belongs to a new customer: it stays.
            _ = try await store.enqueue([Self.event("e3", customer: "c1", at: 1_003)])
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_004, lease: Self.lease(ownership, "c1"), expectedVersion: 1, change: .erase,
                    processed: [sequence["erase-c1"]!])
            ])
            // The erased customer's event ids are gone (so a repeat is new), the others' are known.
            let again = try await store.enqueue([Self.event("e1", customer: "c1"), Self.event("e2", customer: "c2")])
            #expect(again.first != .duplicate, "the erased customer's event id is still in the inbox")
            #expect(again.last == .duplicate)
            let left = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).map(\.item.id)
            #expect(left == ["e3", "e1"])
        }
    }
}
