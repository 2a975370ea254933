import Foundation
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Logging
import Synchronization
import Testing

@testable import HeraldService

/// The migration sweep pages through the store and wakes only the customers a deployed migration
/// moves, and only those of the shards this node owns; with nothing declared it wakes no one.
struct MigrationSweepTests {
    static func fixture(migrate: String?) -> JourneyFixture {
        let head = "journey cart \"cart\"\n  trigger on event \"go\"\n  entry always\n" + (migrate.map { "  \($0)\n" } ?? "") + "\n"
        return JourneyFixture(
            journeys: ["policy": "policy\n  time zone \"UTC\"\n", "cart": head + "  wait \(migrate == nil ? 1 : 2) days\n"],
            webhooks: [:])
    }

    @Test func onlyOwnedCustomersThatAMigrationMovesAreWokenPageByPage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.fixture(migrate: nil).write(to: directory)
        let store = MemoryJourneyStore()
        let registry = JourneyRegistry(directory: directory.path, store: store, clock: .system)
        try await registry.reload(source: "startup")
        let engine = try #require(registry.current?.engine)
        // Ten customers wait in v1; one more never entered the journey.
        let now = Date().timeIntervalSince1970
        var commits: [CustomerCommit] = []
        for id in (0..<10).map({ "c\($0)" }) + ["idle"] {
            var state = CustomerState(profile: CustomerProfile(id: id))
            if id != "idle" {
                _ = engine.handle(.event(CustomerEvent(id: "go-\(id)", customerID: id, name: "go", timestamp: now)), state: &state, now: now)
            }
            commits.append(CustomerCommit(customerID: id, at: now, expectedVersion: 0, change: .save(state, nextWakeAt: state.nextWakeAt)))
        }
        try await store.commit(commits)

        let woken = Mutex<[String]>([])
        func sweep(owning shards: Set<Int>?) async throws -> [String] {
            woken.withLock { $0 = [] }
            let ownership =
                shards.map { owned in
                    ShardOwnership(
                        owner: "n",
                        leases: Dictionary(
                            uniqueKeysWithValues: owned.map { ($0, ShardLease(shard: $0, epoch: 1, owner: "n", expiresAt: .infinity)) }),
                        ownsAll: false)
                } ?? ShardOwnership(owner: "n", leases: [:], ownsAll: true)
            let sweep = MigrationSweep(
                store: store, registry: registry, ownership: ShardOwnershipCell(ownership), clock: .system, logger: Logger(label: "sweep"),
                pageSize: 3, dispatch: { wake in woken.withLock { $0.append(wake.customerID) } })
            var cursor = ""
            var pages = 0
            while let next = try await sweep.sweepPage(after: cursor, scanning: store) {
                cursor = next
                pages += 1
            }
            #expect(pages >= 3, "pages of 3 over 11 customers")
            return woken.withLock { $0 }.sorted()
        }

        // Nothing declared: no one is woken, and the sweep has nothing to cover.
        #expect(try await sweep(owning: nil).isEmpty)
        // A version declaring a migration: every waiting customer, not the idle one.
        try Self.fixture(migrate: "migrate from wait_1_day to wait_2_days keep deadline").write(to: directory)
        try await registry.reload()
        let all = (0..<10).map { "c\($0)" }.sorted()
        #expect(try await sweep(owning: nil) == all)
        // A node of a cluster wakes only the customers of its own shards.
        let mine = Set(all.prefix(4).map { CustomerShard.of($0) })
        let expected = all.filter { mine.contains(CustomerShard.of($0)) }
        #expect(try await sweep(owning: mine) == expected)
        #expect(try await sweep(owning: []).isEmpty)
    }
}
