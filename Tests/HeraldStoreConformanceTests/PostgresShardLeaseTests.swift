import Foundation
import HeraldPostgres
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Logging
import PostgresNIO
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

/// A node that stalls must not stop the others: lease renewals have their own connections, and a
/// session left idle inside a transaction (a node frozen mid-commit) is ended by PostgreSQL, so its
/// locks go to the others.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres)), .timeLimit(.minutes(2)))
struct PostgresStallTests {
    static let logger = Logger(label: "herald.test.stall")

    /// A plain connection to the test's database with `parameters` (a "node" of the test's own).
    static func connect(_ configuration: PostgresConfiguration, parameters: [(String, String)] = []) async throws -> PostgresConnection {
        var connection = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        connection.options.additionalStartupParameters = parameters
        return try await PostgresConnection.connect(configuration: connection, id: 1, logger: logger)
    }

    static func rows(_ connection: PostgresConnection, _ sql: String) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) { count += 1 }
        return count
    }

    @Test func renewalsNeverWaitBehindRequestTraffic() async throws {
        let database = try await TestDatabase.create()
        defer { Task { await database.drop() } }
        var configuration = try database.configuration(maximumConnections: 1, leaseSeconds: 10)
        configuration.idleTransactionSeconds = 60  // the blocked request waits for the lock, not a timeout
        let store = try await PostgresJourneyStore.open(configuration, logger: Self.logger)
        defer { store.close() }

        // Another session holds the inbox: the request takes this node's only pooled connection
        // and waits on it.
        let blocker = try await Self.connect(configuration)
        try await blocker.query("BEGIN", logger: Self.logger)
        try await blocker.query("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE", logger: Self.logger)
        let stored = Locked(false)
        let request = Task {
            _ = try await store.enqueue([StoreConformanceTests.event("e1", customer: "c1")])
            stored.withLock { $0 = true }
        }
        var waiting = 0
        for _ in 0..<600 where waiting == 0 {
            for try await count in try await blocker.query(
                "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                logger: Self.logger
            ).decode(Int.self) {
                waiting = count
            }
            if waiting == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(waiting == 1, "the request never waited on the lock")

        // The renewal runs on the lease connections meanwhile.
        let ownership = try await store.acquireShards(owner: "a", leaseDuration: 10, now: 1_000)
        #expect(ownership.leases.count == CustomerShard.count)
        #expect(!stored.withLock { $0 }, "the request went through while the inbox was locked")

        try await blocker.query("ROLLBACK", logger: Self.logger)
        try await request.value
        #expect(stored.withLock { $0 })
        try await blocker.close()
    }

    @Test func aSessionFrozenInATransactionIsCutOffAndItsShardsTakenOver() async throws {
        let database = try await TestDatabase.create()
        defer { Task { await database.drop() } }
        var configuration = try database.configuration(leaseSeconds: 10)
        // Long enough that b's first renewal below comes before PostgreSQL ends the frozen session,
        // even on a loaded machine; the loop after it waits for the end.
        configuration.idleTransactionSeconds = 4
        #expect(configuration.sessionParameters().contains { $0 == ("idle_in_transaction_session_timeout", "4000") })
        let a = try await PostgresJourneyStore.open(configuration, logger: Self.logger)
        let b = try await PostgresJourneyStore.open(configuration, logger: Self.logger)
        defer {
            a.close()
            b.close()
        }
        let old = try await a.acquireShards(owner: "a", leaseDuration: 10, now: 1_000)
        #expect(old.leases.count == CustomerShard.count)

        // Node a freezes in the middle of a commit: its session holds shard 0's lease row (as a
        // commit does) and goes quiet.
        let frozen = try await Self.connect(configuration, parameters: configuration.sessionParameters())
        try await frozen.query("BEGIN", logger: Self.logger)
        for try await _ in try await frozen.query("SELECT owner FROM shard_leases WHERE shard = 0 FOR SHARE", logger: Self.logger) {}
        var frozenPID = 0
        for try await pid in try await frozen.query("SELECT pg_backend_pid()", logger: Self.logger).decode(Int.self) { frozenPID = pid }

        // Past a's lease, b takes over what it can without waiting: every shard but the locked one.
        let first = try await b.acquireShards(owner: "b", leaseDuration: 10, now: 1_020)
        #expect(first.leases.count == CustomerShard.count - 1)
        #expect(first.lease(for: 0) == nil)

        // PostgreSQL ends the idle transaction; b's next renewal takes shard 0 as well.
        var all = first
        for _ in 0..<600 where all.leases.count < CustomerShard.count {
            try await Task.sleep(for: .milliseconds(100))
            all = try await b.acquireShards(owner: "b", leaseDuration: 10, now: 1_021)
        }
        #expect(all.leases.count == CustomerShard.count, "shard 0 was never taken over")
        let shard0 = try #require(all.lease(for: 0))
        #expect(shard0.epoch > (old.lease(for: 0)?.epoch ?? .max))
        // The session is gone (PostgreSQL ended it; the frozen client finds out when it wakes).
        let observer = try await Self.connect(configuration)
        #expect(try await Self.rows(observer, "SELECT 1 FROM pg_stat_activity WHERE pid = \(frozenPID)") == 0)
        try await observer.close()
    }
}
