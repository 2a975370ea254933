import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// One suite, every backend: what any ``JourneyStore`` must do, checked against the in-memory
/// store, SQLite and PostgreSQL alike.
@Suite struct StoreConformanceTests {
    // MARK: Fixtures

    static func event(_ id: String, customer: String, name: String = "viewed", at: Double = 1_000) -> InboxItem {
        InboxItem(
            id: id, customerID: customer,
            payload: .event(CustomerEvent(id: id, customerID: customer, name: name, timestamp: at)), acceptedAt: at)
    }

    static func state(_ id: String, note: String = "") -> CustomerState {
        CustomerState(profile: CustomerProfile(id: id, attributes: ["note": .string(note)]))
    }

    static func message(_ id: String, customer: String, at: Double = 1_000) -> OutboxMessage {
        OutboxMessage(
            id: id, customerID: customer, journey: "welcome", journeyVersion: "v1", step: "hello", channel: .webhook,
            message: "hello", category: .transactional, at: at, context: [:])
    }

    /// Runs `body` with a fresh store of `backend` and this node's ownership.
    static func withStore(
        _ backend: StoreBackend, owner: String = "node-a",
        _ body: (any JourneyStore, ShardOwnership, StoreUnderTest) async throws -> Void
    ) async throws {
        let subject = try await backend.makeStore()
        do {
            let ownership = try await subject.store.acquireShards(owner: owner, leaseDuration: 60, now: 1_000)
            try await body(subject.store, ownership, subject)
        } catch {
            await subject.close()
            throw error
        }
        await subject.close()
    }

    static func lease(_ ownership: ShardOwnership, _ customer: String) -> ShardLease? {
        ownership.lease(for: CustomerShard.of(customer))
    }

    // MARK: Ownership

    @Test(arguments: StoreBackend.available)
    func aSingleNodeOwnsEveryShard(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { _, ownership, _ in
            #expect(ownership.leases.count == CustomerShard.count)
            #expect((0..<CustomerShard.count).allSatisfy { ownership.owns($0) })
            let epochs = Set(ownership.leases.values.map(\.epoch))
            #expect(ownership.leases.values.allSatisfy { $0.owner == "node-a" })
            #expect(!epochs.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.available)
    func renewingKeepsTheEpoch(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, first, _ in
            let renewed = try await store.acquireShards(owner: "node-a", leaseDuration: 60, now: 1_010)
            for shard in [0, 17, CustomerShard.count - 1] {
                #expect(renewed.lease(for: shard)?.epoch == first.lease(for: shard)?.epoch)
            }
        }
    }

    @Test(arguments: StoreBackend.available)
    func aCommitUnderASupersededLeaseIsFenced(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, old, _ in
            let customer = "cust-fenced"
            _ = try await store.enqueue([Self.event("e1", customer: customer)])
            // Another node takes over once the first one's lease lapsed.
            let new = try await store.acquireShards(owner: "node-b", leaseDuration: 60, now: 1_100)
            let shard = CustomerShard.of(customer)
            let newLease = try #require(new.lease(for: shard))
            let oldLease = try #require(old.lease(for: shard))
            #expect(newLease.epoch > oldLease.epoch)

            let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: new)
            let stale = CustomerCommit(
                customerID: customer, at: 1_101, lease: oldLease, expectedVersion: 0,
                change: .save(Self.state(customer, note: "stale"), nextWakeAt: nil),
                outbox: [Self.message("m-stale", customer: customer)], processed: pending.map(\.sequence))
            await #expect(throws: JourneyStoreError.self) { try await store.commit([stale]) }
            do {
                try await store.commit([stale])
            } catch let error as JourneyStoreError {
                guard case .fenced(let fencedShard, _) = error else {
                    Issue.record("expected fenced, got \(error)")
                    return
                }
                #expect(fencedShard == shard)
            }
            // Nothing of the refused commit is visible.
            #expect(try await store.loadCustomers([customer]).isEmpty)
            #expect(try await store.outbox(customerID: customer, limit: 10).isEmpty)
            #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: new).count == 1)

            // The new owner commits.
            var fresh = stale
            fresh.lease = newLease
            fresh.change = .save(Self.state(customer, note: "fresh"), nextWakeAt: nil)
            try await store.commit([fresh])
            #expect(try await store.loadCustomers([customer])[customer]?.state == Self.state(customer, note: "fresh"))
        }
    }

    // MARK: Inbox

    @Test(arguments: StoreBackend.available)
    func theInboxIsIdempotentAndOrdered(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let first = try await store.enqueue([
                Self.event("e1", customer: "c1"), Self.event("e2", customer: "c2"), Self.event("e1", customer: "c1"),
            ])
            #expect(first.count == 3)
            guard case .accepted(let s1) = first[0], case .accepted(let s2) = first[1] else {
                Issue.record("expected the first two accepted: \(first)")
                return
            }
            #expect(s1 < s2)
            #expect(first[2] == .duplicate)
            #expect(try await store.enqueue([Self.event("e2", customer: "c2")]) == [.duplicate])
            let third = try await store.enqueue([Self.event("e3", customer: "c1")])
            guard case .accepted(let s3) = third[0] else {
                Issue.record("e3 not accepted")
                return
            }
            #expect(s3 > s2)

            let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            #expect(pending.map(\.item.id) == ["e1", "e2", "e3"])
            #expect(pending.map(\.shard) == ["c1", "c2", "c1"].map { CustomerShard.of($0) })
            #expect(pending[0].item == Self.event("e1", customer: "c1"))
            #expect(try await store.pendingInbox(after: s1, limit: 10, ownership: ownership).map(\.item.id) == ["e2", "e3"])
            #expect(try await store.pendingInbox(after: 0, limit: 1, ownership: ownership).map(\.item.id) == ["e1"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func processedRowsLeaveTheInboxAndStayKnown(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            _ = try await store.enqueue([Self.event("e1", customer: "c1")])
            let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                    change: .save(Self.state("c1"), nextWakeAt: nil), processed: pending.map(\.sequence))
            ])
            #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).isEmpty)
            #expect(try await store.enqueue([Self.event("e1", customer: "c1")]) == [.duplicate])
        }
    }

    // MARK: Customers

    @Test(arguments: StoreBackend.available)
    func commitsAreVersioned(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let lease = Self.lease(ownership, "c1")
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: lease, expectedVersion: 0,
                    change: .save(Self.state("c1", note: "one"), nextWakeAt: 1_500))
            ])
            let loaded = try #require(try await store.loadCustomers(["c1", "nobody"])["c1"])
            #expect(loaded.version == 1)
            #expect(loaded.nextWakeAt == 1_500)
            #expect(loaded.state == Self.state("c1", note: "one"))
            #expect(try await store.loadCustomers(["nobody"]).isEmpty)

            // A second creation and a stale update both conflict.
            for expected in [Int64(0), 7] {
                await #expect(throws: JourneyStoreError.conflict(customerID: "c1")) {
                    try await store.commit([
                        CustomerCommit(
                            customerID: "c1", at: 1_002, lease: lease, expectedVersion: expected,
                            change: .save(Self.state("c1", note: "lost"), nextWakeAt: nil))
                    ])
                }
            }
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_003, lease: lease, expectedVersion: 1,
                    change: .save(Self.state("c1", note: "two"), nextWakeAt: nil))
            ])
            let updated = try #require(try await store.loadCustomers(["c1"])["c1"])
            #expect(updated.version == 2)
            #expect(updated.nextWakeAt == nil)
            #expect(updated.state == Self.state("c1", note: "two"))
        }
    }

    /// The whole aggregate comes back equal, values of every kind included (times and durations
    /// too, which JSON turned into strings and numbers).
    @Test(arguments: StoreBackend.available)
    func theAggregateLoadsBackWhole(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            var state = Self.state("c1")
            state.profile.email = "c1@example.com"
            state.profile.timeZone = "Europe/Paris"
            state.profile.subscriptions = ["sms": false]
            state.profile.attributes = [
                "seen": .time(1_795_000_000.5), "trial": .duration(86_400), "tags": .list([.string("vip"), .null]),
                "address": .object(["city": .string("Lyon"), "verified": .bool(true)]), "score": .number(-3.25),
            ]
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                    change: .save(state, nextWakeAt: 1_500))
            ])
            let loaded = try #require(try await store.loadCustomers(["c1"])["c1"])
            #expect(loaded.state == state)
        }
    }

    /// An aggregate stored as JSON (what versions before the binary `CustomerStateCoding` wrote)
    /// still loads, and the next commit over it succeeds.
    @Test(arguments: StoreBackend.durable)
    func anAggregateWrittenAsJSONStillLoads(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, subject in
            let lease = Self.lease(ownership, "c1")
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: lease, expectedVersion: 0,
                    change: .save(Self.state("c1", note: "binary"), nextWakeAt: 1_500))
            ])
            let overwrite = try #require(subject.overwriteState)
            try await overwrite("c1", try JSONEncoder().encode(Self.state("c1", note: "json")))
            let loaded = try #require(try await store.loadCustomers(["c1"])["c1"])
            #expect(loaded.state == Self.state("c1", note: "json"))
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_002, lease: lease, expectedVersion: loaded.version,
                    change: .save(Self.state("c1", note: "again"), nextWakeAt: nil))
            ])
            #expect(try await store.loadCustomers(["c1"])["c1"]?.state == Self.state("c1", note: "again"))

            // Damaged bytes are reported as corrupt, not as a crash or an empty customer.
            try await overwrite("c1", Data([0x01, 0xFF, 0xFF]))
            await #expect(throws: JourneyStoreError.self) { _ = try await store.loadCustomers(["c1"]) }
        }
    }

    @Test(arguments: StoreBackend.available)
    func aBatchIsAllOrNothing(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            _ = try await store.enqueue([Self.event("e1", customer: "c1"), Self.event("e2", customer: "c2")])
            let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            let good = CustomerCommit(
                customerID: "c1", at: 1_001, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                change: .save(Self.state("c1"), nextWakeAt: 1_200), outbox: [Self.message("m1", customer: "c1")],
                processed: [pending[0].sequence], counters: [JourneyCounter(journey: "welcome", version: "v1", metric: "entered"): 1])
            let bad = CustomerCommit(
                customerID: "c2", at: 1_001, lease: Self.lease(ownership, "c2"), expectedVersion: 3,
                change: .save(Self.state("c2"), nextWakeAt: nil), processed: [pending[1].sequence])
            await #expect(throws: JourneyStoreError.conflict(customerID: "c2")) { try await store.commit([good, bad]) }
            #expect(try await store.loadCustomers(["c1", "c2"]).isEmpty)
            #expect(try await store.outbox(customerID: "c1", limit: 10).isEmpty)
            #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).count == 2)
            #expect(try await store.journeyCounters().isEmpty)
            #expect(try await store.dueWakeUps(until: 2_000, after: nil, limit: 10, ownership: ownership).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.available)
    func anUnchangedCommitStillChecksTheVersion(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let lease = Self.lease(ownership, "c1")
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: lease, expectedVersion: 0, change: .save(Self.state("c1"), nextWakeAt: nil))
            ])
            _ = try await store.enqueue([Self.event("e1", customer: "c1")])
            let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            // Loaded before the customer existed: another step created it since.
            let stale = CustomerCommit(
                customerID: "c1", at: 1_002, lease: lease, expectedVersion: 0, change: .unchanged,
                processed: pending.map(\.sequence))
            await #expect(throws: JourneyStoreError.conflict(customerID: "c1")) { try await store.commit([stale]) }
            let stillPending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            #expect(stillPending.count == 1)
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_002, lease: lease, expectedVersion: 1, change: .unchanged,
                    processed: pending.map(\.sequence))
            ])
            #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).isEmpty)
            #expect(try await store.loadCustomers(["c1"])["c1"]?.version == 1)
        }
    }

    @Test(arguments: StoreBackend.available)
    func erasingRemovesTheCustomerAndItsMessages(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let lease = Self.lease(ownership, "c1")
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: lease, expectedVersion: 0,
                    change: .save(Self.state("c1"), nextWakeAt: 1_100), outbox: [Self.message("m1", customer: "c1")],
                    log: [CustomerLogEntry(at: 1_001, kind: "transition", summary: "entered welcome")])
            ])
            #expect(try await store.customerLog(customerID: "c1", limit: 10).count == 1)
            try await store.commit([
                CustomerCommit(customerID: "c1", at: 1_002, lease: lease, expectedVersion: 1, change: .erase)
            ])
            #expect(try await store.loadCustomers(["c1"]).isEmpty)
            #expect(try await store.outbox(customerID: "c1", limit: 10).isEmpty)
            #expect(try await store.customerLog(customerID: "c1", limit: 10).isEmpty)
            #expect(try await store.dueWakeUps(until: 2_000, after: nil, limit: 10, ownership: ownership).isEmpty)
            #expect(try await store.claimOutbox(now: 1_003, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.available)
    func theCustomerLogIsNewestFirst(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let entries = (0..<5).map { CustomerLogEntry(at: 1_000 + Double($0), kind: "decision", summary: "step \($0)") }
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_005, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                    change: .save(Self.state("c1"), nextWakeAt: nil), log: entries)
            ])
            #expect(try await store.customerLog(customerID: "c1", limit: 3).map(\.summary) == ["step 4", "step 3", "step 2"])
        }
    }

    // MARK: Timers

    @Test(arguments: StoreBackend.available)
    func dueWakeUpsPageThroughTheTimerIndex(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let wakes: [(String, Double?)] = [("a", 1_300), ("b", 1_100), ("c", 1_100), ("d", nil), ("e", 5_000), ("f", 1_200)]
            try await store.commit(
                wakes.map { id, at in
                    CustomerCommit(
                        customerID: id, at: 1_000, lease: Self.lease(ownership, id), expectedVersion: 0,
                        change: .save(Self.state(id), nextWakeAt: at))
                })
            let all = try await store.dueWakeUps(until: 2_000, after: nil, limit: 10, ownership: ownership)
            #expect(all.map(\.customerID) == ["b", "c", "f", "a"])
            #expect(all.map(\.at) == [1_100, 1_100, 1_200, 1_300])
            let firstPage = try await store.dueWakeUps(until: 2_000, after: nil, limit: 2, ownership: ownership)
            #expect(firstPage.map(\.customerID) == ["b", "c"])
            let secondPage = try await store.dueWakeUps(until: 2_000, after: firstPage.last, limit: 2, ownership: ownership)
            #expect(secondPage.map(\.customerID) == ["f", "a"])
            #expect(try await store.dueWakeUps(until: 1_150, after: nil, limit: 10, ownership: ownership).count == 2)
        }
    }

    // MARK: Outbox

    @Test(arguments: StoreBackend.available)
    func outboxRowsAreIdempotentAndClaimedUnderALease(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let lease = Self.lease(ownership, "c1")
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_000, lease: lease, expectedVersion: 0, change: .save(Self.state("c1"), nextWakeAt: nil),
                    outbox: [Self.message("m1", customer: "c1"), Self.message("m2", customer: "c1", at: 1_050)])
            ])
            // A replay of the same step does not create a second row.
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: lease, expectedVersion: 1, change: .unchanged,
                    outbox: [Self.message("m1", customer: "c1")])
            ])
            #expect(try await store.outbox(customerID: "c1", limit: 10).count == 2)

            let claims = try await store.claimOutbox(now: 1_010, leaseFor: 30, limit: 10, ownership: ownership)
            #expect(claims.map(\.message.id) == ["m1"])  // m2 is not due yet
            #expect(claims.first?.attempts == 0)
            // Claimed rows are not claimed again until the lease lapses.
            #expect(try await store.claimOutbox(now: 1_020, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
            let reclaimed = try await store.claimOutbox(now: 1_051, leaseFor: 30, limit: 10, ownership: ownership)
            #expect(Set(reclaimed.map(\.message.id)) == ["m1", "m2"])
            let m1 = try #require(reclaimed.first { $0.message.id == "m1" })
            let old = try #require(claims.first)
            #expect(m1.token != old.token)

            // The lapsed claim cannot record; the current one can.
            let stale = try await store.recordDeliveries([
                DeliveryRecord(messageID: "m1", token: old.token, at: 1_052, outcome: .delivered(detail: "late"), feedback: nil)
            ])
            #expect(stale.isEmpty)
            let feedback = InboxItem(
                id: "delivery:m1", customerID: "c1",
                payload: .deliveryOutcome(messageID: "m1", delivered: true, detail: "ok"), acceptedAt: 1_052)
            let recorded = try await store.recordDeliveries([
                DeliveryRecord(messageID: "m1", token: m1.token, at: 1_052, outcome: .delivered(detail: "ok"), feedback: feedback)
            ])
            #expect(recorded == ["m1"])
            // Delivered is final: never claimed again, and the engine hears about it once.
            #expect(
                try await store.claimOutbox(now: 2_000, leaseFor: 30, limit: 10, ownership: ownership).map(\.message.id) == [
                    "m2"
                ])
            let inbox = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            #expect(inbox.map(\.item.id) == ["delivery:m1"])
            let statuses = try await store.outbox(customerID: "c1", limit: 10)
            #expect(statuses.first { $0.message.id == "m1" }?.state == .delivered)
            // Two attempts counted: the lapsed claim's (cut off, never recorded) and the delivered one.
            #expect(statuses.first { $0.message.id == "m1" }?.attempts == 2)
        }
    }

    @Test(arguments: StoreBackend.available)
    func retriesAndDeadLetters(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_000, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                    change: .save(Self.state("c1"), nextWakeAt: nil), outbox: [Self.message("m1", customer: "c1")])
            ])
            let first = try #require(try await store.claimOutbox(now: 1_000, leaseFor: 30, limit: 10, ownership: ownership).first)
            try await store.recordDeliveries([
                DeliveryRecord(messageID: "m1", token: first.token, at: 1_001, outcome: .retry(at: 1_100, reason: "503"), feedback: nil)
            ])
            #expect(try await store.claimOutbox(now: 1_050, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
            #expect(try await store.nextOutboxAttempt(ownership: ownership) == 1_100)
            let second = try #require(try await store.claimOutbox(now: 1_100, leaseFor: 30, limit: 10, ownership: ownership).first)
            #expect(second.attempts == 1)
            let failure = InboxItem(
                id: "delivery:m1", customerID: "c1",
                payload: .deliveryOutcome(messageID: "m1", delivered: false, detail: "410 Gone"), acceptedAt: 1_101)
            try await store.recordDeliveries([
                DeliveryRecord(
                    messageID: "m1", token: second.token, at: 1_101, outcome: .deadLettered(reason: "410 Gone"), feedback: failure)
            ])
            let dead = try await store.deadLetters(before: nil, limit: 10)
            #expect(dead.map(\.message.id) == ["m1"])
            #expect(dead.first?.reason == "410 Gone")
            #expect(dead.first?.attempts == 2)
            #expect(try await store.claimOutbox(now: 5_000, leaseFor: 30, limit: 10, ownership: ownership).isEmpty)
            #expect(try await store.outbox(customerID: "c1", limit: 10).first?.state == .dead)
            let stats = try await store.statistics(now: 5_000)
            #expect(stats.deadLetters == 1)
            #expect(stats.pendingOutbox == 0)
            #expect(stats.pendingInbox == 1)
            #expect(stats.customers == 1)
        }
    }

    // MARK: Journeys

    @Test(arguments: StoreBackend.available)
    func journeyControlsAndCounters(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            try await store.setJourneyPaused("welcome", paused: true)
            try await store.setJourneyPaused("winback", paused: true)
            try await store.setJourneyPaused("winback", paused: false)
            #expect(try await store.pausedJourneys() == ["welcome"])
            let entered = JourneyCounter(journey: "welcome", version: "v1", metric: "entered")
            let reached = JourneyCounter(journey: "welcome", version: "v1", step: "hello", metric: "reached")
            for (index, id) in ["c1", "c2"].enumerated() {
                try await store.commit([
                    CustomerCommit(
                        customerID: id, at: 1_000 + Double(index), lease: Self.lease(ownership, id), expectedVersion: 0,
                        change: .save(Self.state(id), nextWakeAt: nil), counters: [entered: 1, reached: 2])
                ])
            }
            #expect(try await store.journeyCounters() == [entered: 2, reached: 4])
            try await store.saveJourneyVersions([], deployedAt: 1_000)
            #expect(try await store.journeyVersions().isEmpty)
        }
    }

    // MARK: Durability and retention

    @Test(arguments: StoreBackend.durable)
    func everythingSurvivesAReopen(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, subject in
            _ = try await store.enqueue([Self.event("e1", customer: "c1"), Self.event("e2", customer: "c2")])
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                    change: .save(Self.state("c1", note: "kept"), nextWakeAt: 1_500), outbox: [Self.message("m1", customer: "c1")],
                    processed: [])
            ])
            let reopen = try #require(subject.reopen)
            let reopened = try await reopen()
            let mine = try await reopened.acquireShards(owner: "node-a2", leaseDuration: 60, now: 1_100)
            #expect(try await reopened.pendingInbox(after: 0, limit: 10, ownership: mine).map(\.item.id) == ["e1", "e2"])
            #expect(try await reopened.loadCustomers(["c1"])["c1"]?.state == Self.state("c1", note: "kept"))
            #expect(try await reopened.dueWakeUps(until: 2_000, after: nil, limit: 10, ownership: mine).map(\.customerID) == ["c1"])
            #expect(try await reopened.claimOutbox(now: 1_100, leaseFor: 30, limit: 10, ownership: mine).map(\.message.id) == ["m1"])
            #expect(try await reopened.enqueue([Self.event("e1", customer: "c1")]) == [.duplicate])
        }
    }

    @Test(arguments: StoreBackend.available)
    func pruningKeepsWhatIsStillNeeded(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            _ = try await store.enqueue([Self.event("old", customer: "c1", at: 1_000), Self.event("new", customer: "c1", at: 90_000)])
            let pending = try await store.pendingInbox(after: 0, limit: 10, ownership: ownership)
            try await store.commit([
                CustomerCommit(
                    customerID: "c1", at: 1_001, lease: Self.lease(ownership, "c1"), expectedVersion: 0,
                    change: .save(Self.state("c1"), nextWakeAt: nil), processed: [pending[0].sequence],
                    log: (0..<4).map { CustomerLogEntry(at: 1_000 + Double($0), kind: "decision", summary: "\($0)") })
            ])
            let report = try await store.prune(
                RetentionPolicy(processedEvents: 3_600, customerLog: 1_000_000, customerLogLimit: 2), now: 100_000)
            #expect(report.events == 1)
            #expect(report.logEntries == 2)
            // The unprocessed row stays, however old; the pruned id is no longer remembered.
            #expect(try await store.pendingInbox(after: 0, limit: 10, ownership: ownership).map(\.item.id) == ["new"])
            #expect(try await store.customerLog(customerID: "c1", limit: 10).map(\.summary) == ["3", "2"])
        }
    }
}
