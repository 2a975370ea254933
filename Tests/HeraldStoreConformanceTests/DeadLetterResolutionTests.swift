import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// Every backend lets an operator retry a dead letter (its message back in the outbox, due now,
/// same id, attempts afresh; the dead letter marked retried, once) or discard one (removed), each
/// recorded in the customer's log; unknown sequences and second retries change nothing.
extension StoreConformanceTests {
    /// Seeds message `id` for customer c1 and dead-letters it after one attempt; returns its dead letter.
    static func deadLetter(_ store: any JourneyStore, _ ownership: ShardOwnership, _ id: String) async throws -> DeadLetter {
        try await store.commit([
            CustomerCommit(
                customerID: "c1", at: 1_000, lease: Self.lease(ownership, "c1"),
                expectedVersion: try await store.loadCustomers(["c1"])["c1"]?.version ?? 0,
                change: .save(Self.state("c1"), nextWakeAt: nil), outbox: [Self.message(id, customer: "c1")])
        ])
        let claim = try #require(try await store.claimOutbox(now: 1_010, leaseFor: 30, limit: 10, ownership: ownership).first)
        let recorded = try await store.recordDeliveries([
            DeliveryRecord(messageID: id, token: claim.token, at: 1_011, outcome: .deadLettered(reason: "410 Gone"), feedback: nil)
        ])
        #expect(recorded == [id])
        return try #require(try await store.deadLetters(before: nil, limit: 10).first { $0.message.id == id })
    }

    /// The store's counter of dead letters not yet retried (what the console shows).
    static func openDeadLetters(_ store: any JourneyStore) async throws -> Int64? {
        try await store.journeyCounters()[.openDeadLetters]
    }

    @Test(arguments: StoreBackend.available)
    func aRetriedDeadLetterIsDueAgainUnderItsOwnIdOnce(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, subject in
            #expect(try await Self.openDeadLetters(store) == nil)
            let letter = try await Self.deadLetter(store, ownership, "m1")
            #expect(letter.retriedAt == nil)
            #expect(try await Self.openDeadLetters(store) == 1)
            #expect(try await store.claimOutbox(now: 2_000, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)

            guard case .done(let retried) = try await store.retryDeadLetter(letter.sequence, now: 2_000) else {
                Issue.record("the retry was refused")
                return
            }
            #expect(retried.retriedAt == 2_000)
            #expect(retried.message == letter.message)
            let store = try await subject.reopen?() ?? store
            #expect(try await Self.openDeadLetters(store) == 0, "a retried dead letter is no longer open")
            // The dead letter stays, marked; the customer's log says so.
            let listed = try #require(try await store.deadLetters(before: nil, limit: 10).first)
            #expect(listed.sequence == letter.sequence && listed.retriedAt == 2_000)
            let log = try await store.customerLog(customerID: "c1", limit: 10)
            #expect(log.first?.kind == "operation")
            #expect(log.first?.summary.contains("dead letter \(letter.sequence) retried") == true)
            // Pending, due now, counted afresh, with the same id (the idempotency key).
            let status = try #require(try await store.outbox(customerID: "c1", limit: 10).first)
            #expect(status.state == .pending && status.attempts == 0)
            #expect(try await store.nextOutboxAttempt(ownership: ownership) == 2_000)
            #expect(try await store.claimOutbox(now: 1_999, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
            let claim = try #require(try await store.claimOutbox(now: 2_000, leaseFor: 30, limit: 10, ownership: ownership).first)
            #expect(claim.message.id == "m1" && claim.attempts == 0)

            // A second retry changes nothing.
            #expect(try await store.retryDeadLetter(letter.sequence, now: 2_001) == .alreadyRetried(at: 2_000))
            #expect(try await store.customerLog(customerID: "c1", limit: 10).count == log.count)
            // The message fails again: a new dead letter, which can be retried in turn.
            _ = try await store.recordDeliveries([
                DeliveryRecord(messageID: "m1", token: claim.token, at: 2_002, outcome: .deadLettered(reason: "410 again"), feedback: nil)
            ])
            let letters = try await store.deadLetters(before: nil, limit: 10)
            #expect(letters.count == 2)
            let second = try #require(letters.first)
            #expect(second.sequence > letter.sequence && second.reason == "410 again" && second.attempts == 1)
            #expect(try await Self.openDeadLetters(store) == 1)
            guard case .done = try await store.retryDeadLetter(second.sequence, now: 2_003) else {
                Issue.record("the second dead letter's retry was refused")
                return
            }
            #expect(try await Self.openDeadLetters(store) == 0)
            // Discarding a retried dead letter does not count it twice.
            guard case .done = try await store.discardDeadLetter(second.sequence, now: 2_004) else {
                Issue.record("the retried dead letter's discard was refused")
                return
            }
            #expect(try await Self.openDeadLetters(store) == 0)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aDiscardedDeadLetterIsGoneWithARecord(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, subject in
            let letter = try await Self.deadLetter(store, ownership, "m1")
            let kept = try await Self.deadLetter(store, ownership, "m2")
            #expect(try await store.discardDeadLetter(letter.sequence, now: 2_000) == .done(letter))
            let store = try await subject.reopen?() ?? store
            #expect(try await store.deadLetters(before: nil, limit: 10).map(\.sequence) == [kept.sequence])
            #expect(try await store.statistics(now: 2_000).deadLetters == 1)
            #expect(try await Self.openDeadLetters(store) == 1)
            let log = try await store.customerLog(customerID: "c1", limit: 10)
            #expect(log.first?.summary.contains("dead letter \(letter.sequence) discarded") == true)
            // The message stays failed: nothing is sent.
            #expect(try await store.outbox(customerID: "c1", limit: 10).first { $0.message.id == "m1" }?.state == .dead)
            #expect(try await store.claimOutbox(now: 3_000, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
            // Gone: neither retry nor discard finds it again.
            #expect(try await store.retryDeadLetter(letter.sequence, now: 2_001) == .unknown)
            #expect(try await store.discardDeadLetter(letter.sequence, now: 2_001) == .unknown)
            // A new dead letter after a discard does not reuse the sequence.
            let third = try await Self.deadLetter(store, ownership, "m3")
            #expect(third.sequence > kept.sequence)
            #expect(try await Self.openDeadLetters(store) == 2)
            // Pruned (past the retention) and erased with their customer: no longer counted.
            _ = try await store.prune(RetentionPolicy(deadLetters: 1_000), now: 2_011.5)
            #expect(try await store.deadLetters(before: nil, limit: 10).isEmpty)
            #expect(try await Self.openDeadLetters(store) == 0)
            _ = try await Self.deadLetter(store, ownership, "m4")
            #expect(try await Self.openDeadLetters(store) == 1)
            let version = try #require(try await store.loadCustomers(["c1"])["c1"]?.version)
            try await store.commit([
                CustomerCommit(customerID: "c1", at: 3_000, lease: Self.lease(ownership, "c1"), expectedVersion: version, change: .erase)
            ])
            #expect(try await store.deadLetters(before: nil, limit: 10).isEmpty)
            #expect(try await Self.openDeadLetters(store) == 0)
        }
    }

    @Test(arguments: StoreBackend.available)
    func unknownDeadLettersChangeNothing(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            #expect(try await store.retryDeadLetter(1, now: 2_000) == .unknown)
            #expect(try await store.discardDeadLetter(1, now: 2_000) == .unknown)
            let letter = try await Self.deadLetter(store, ownership, "m1")
            #expect(try await store.retryDeadLetter(letter.sequence + 1, now: 2_000) == .unknown)
            #expect(try await store.deadLetters(before: nil, limit: 10) == [letter])
            #expect(try await store.customerLog(customerID: "c1", limit: 10).isEmpty)
        }
    }
}
