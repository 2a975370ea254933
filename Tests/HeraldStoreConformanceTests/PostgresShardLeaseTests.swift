import Foundation
import HeraldPostgres
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// What only the shared store does: shards spread over the live nodes, lapse and are taken over
/// under a new epoch, and come back when a node gives them up. Several store instances on one
/// database stand for several nodes; time is passed in, so nothing sleeps.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), Comment(rawValue: TestDatabase.skipReason)))
struct PostgresShardLeaseTests {
    static func withNodes(_ count: Int, _ body: ([PostgresJourneyStore]) async throws -> Void) async throws {
        let database = try await TestDatabase.create()
        var stores: [PostgresJourneyStore] = []
        do {
            for _ in 0..<count { stores.append(try await database.open(leaseSeconds: 10)) }
            try await body(stores)
        } catch {
            for store in stores { store.close() }
            await database.drop()
            throw error
        }
        for store in stores { store.close() }
        await database.drop()
    }

    /// Every node renews once per round, at `now`.
    static func round(_ stores: [PostgresJourneyStore], names: [String], now: Double) async throws -> [ShardOwnership] {
        var result: [ShardOwnership] = []
        for (store, name) in zip(stores, names) {
            result.append(try await store.acquireShards(owner: name, leaseDuration: 10, now: now))
        }
        return result
    }

    @Test func shardsSpreadEvenlyAndNeverOverlap() async throws {
        try await Self.withNodes(3) { stores in
            let names = ["a", "b", "c"]
            var owned: [ShardOwnership] = []
            for step in 0..<4 { owned = try await Self.round(stores, names: names, now: 1_000 + Double(step)) }
            let counts = owned.map(\.leases.count)
            #expect(counts.reduce(0, +) == CustomerShard.count, "\(counts)")
            #expect(counts.allSatisfy { (340...342).contains($0) }, "\(counts)")
            let sets = owned.map { Set($0.leases.keys) }
            #expect(sets[0].isDisjoint(with: sets[1]) && sets[1].isDisjoint(with: sets[2]) && sets[0].isDisjoint(with: sets[2]))
            let table = try await stores[0].shardLeases()
            for (ownership, name) in zip(owned, names) {
                for (shard, lease) in ownership.leases {
                    #expect(table[shard].owner == name)
                    #expect(table[shard].epoch == lease.epoch)
                }
            }
        }
    }

    @Test func aSilentNodesShardsAreTakenOverUnderNewEpochs() async throws {
        try await Self.withNodes(3) { stores in
            let names = ["a", "b", "c"]
            var owned: [ShardOwnership] = []
            for step in 0..<4 { owned = try await Self.round(stores, names: names, now: 1_000 + Double(step)) }
            let lost = owned[2]
            // c stops renewing; a and b go on past its lease.
            var survivors: [ShardOwnership] = []
            for step in 0..<4 {
                survivors = try await Self.round(Array(stores.prefix(2)), names: ["a", "b"], now: 1_020 + Double(step))
            }
            #expect(survivors.map(\.leases.count).reduce(0, +) == CustomerShard.count)
            #expect(survivors.allSatisfy { $0.leases.count == CustomerShard.count / 2 })
            for (shard, old) in lost.leases {
                let new = try #require(survivors.compactMap { $0.lease(for: shard) }.first)
                #expect(new.epoch > old.epoch)
            }

            // c wakes up and writes under its old lease: refused and recorded.
            let customer = (0..<10_000).lazy.map { "cust-\($0)" }.first { lost.owns(CustomerShard.of($0)) }!
            let stale = CustomerCommit(
                customerID: customer, at: 1_030, lease: lost.lease(for: CustomerShard.of(customer)), expectedVersion: 0,
                change: .save(CustomerState(profile: CustomerProfile(id: customer)), nextWakeAt: nil))
            await #expect(throws: JourneyStoreError.self) { try await stores[2].commit([stale]) }
            #expect(stores[2].fencedWriteCount == 1)
            let refused = try await stores[0].fencedWrites(node: "c")
            #expect(refused.map(\.shard) == [CustomerShard.of(customer)])

            // Its next renewal finds nothing of its own, and rebalancing gives it a share again.
            let back = try await stores[2].acquireShards(owner: "c", leaseDuration: 10, now: 1_031)
            #expect(back.leases.isEmpty)
            for step in 0..<3 { owned = try await Self.round(stores, names: names, now: 1_032 + Double(step)) }
            #expect(owned.map(\.leases.count).allSatisfy { (340...342).contains($0) }, "\(owned.map(\.leases.count))")
        }
    }

    @Test func releasedShardsAreTakenAtOnce() async throws {
        try await Self.withNodes(2) { stores in
            var owned: [ShardOwnership] = []
            for step in 0..<3 { owned = try await Self.round(stores, names: ["a", "b"], now: 1_000 + Double(step)) }
            #expect(owned.map(\.leases.count) == [512, 512])
            try await stores[1].releaseShards(owner: "b")
            // Well before b's lease would have lapsed, a holds everything.
            let a = try await stores[0].acquireShards(owner: "a", leaseDuration: 10, now: 1_003)
            #expect(a.leases.count == CustomerShard.count)
        }
    }
}
