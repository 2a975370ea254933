import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// Every backend records one winner per journey and split (the first recorded stays: the store is
/// the cluster's arbiter), keeps it across a reopen, and keeps the smallest value written to a
/// `first_assigned:` counter (where a winner rule's period starts) while summing the others.
extension StoreConformanceTests {
    @Test(arguments: StoreBackend.available)
    func theFirstRecordedSplitWinnerStays(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, _, subject in
            #expect(try await store.splitWinners().isEmpty)
            let a = SplitWinner(journey: "promo", split: "offer", variant: "a", since: 1_000.5, evidence: "conversion 60.0 % vs 10.0 % for b")
            let b = SplitWinner(journey: "promo", split: "offer", variant: "b", since: 1_001, evidence: "another node's look")
            let other = SplitWinner(journey: "news", split: "subject", variant: "question", since: 2_000, evidence: "")
            #expect(try await store.recordSplitWinner(a) == a)
            #expect(try await store.recordSplitWinner(b) == a, "a second decision for the same split returns the first")
            #expect(try await store.recordSplitWinner(other) == other)
            let store = try await subject.reopen?() ?? store
            #expect(Set(try await store.splitWinners()) == [a, other])
        }
    }

    @Test(arguments: StoreBackend.available)
    func aFirstAssignedCounterKeepsTheSmallestValue(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store, ownership, _ in
            let first = JourneyCounter(journey: "promo", version: "v1", metric: JourneyCounter.firstAssignedMetric(split: "offer"))
            let entered = JourneyCounter(journey: "promo", version: "v1", metric: "entered")
            for (index, (id, at)) in [("c1", Int64(500_000_000)), ("c2", 300_000_000), ("c3", 400_000_000)].enumerated() {
                try await store.commit([
                    CustomerCommit(
                        customerID: id, at: 1_000 + Double(index), lease: Self.lease(ownership, id), expectedVersion: 0,
                        change: .save(Self.state(id), nextWakeAt: nil), counters: [first: at, entered: 1])
                ])
            }
            let counters = try await store.journeyCounters()
            #expect(counters[first] == 300_000_000)
            #expect(counters[entered] == 3)
        }
    }
}
