import Foundation
import HeraldSQLite
import JourneyEngine
import JourneyLanguage
import Testing

/// The SQLite store checkpoints its WAL on a thread of its own (`WALCheckpointer`): commits never
/// wait for one, the WAL stays bounded, and nothing written is lost across a reopen.
@Suite struct SQLiteCheckpointTests {
    @Test func theWALIsCheckpointedOffTheWritersPathAndStaysBounded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("herald.sqlite").path
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: path))
        let ownership = try await store.acquireShards(owner: "node-a", leaseDuration: 60, now: 1_000)
        // About 12 MB of aggregates (3,000 pages of 4 KiB, three times the checkpoint threshold),
        // committed in batches of 100 as a partition would.
        let filler = String(repeating: "x", count: 4_000)
        let customers = 3_000
        for start in stride(from: 0, to: customers, by: 100) {
            try await store.commit(
                (start..<start + 100).map { k in
                    CustomerCommit(
                        customerID: "c\(k)", at: 1_000, lease: ownership.lease(for: CustomerShard.of("c\(k)")), expectedVersion: 0,
                        change: .save(
                            CustomerState(profile: CustomerProfile(id: "c\(k)", attributes: ["filler": .string(filler)])),
                            nextWakeAt: 2_000 + Double(k)))
                })
        }
        // The background checkpoint is asynchronous: give it a moment to run.
        for _ in 0..<200 where store.checkpointCounts.background == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(store.checkpointCounts.background >= 1)
        // The writer only copies what was committed during each background pass (and never hit its limit).
        #expect(store.checkpointCounts.byWriter <= store.checkpointCounts.background)
        // Without checkpoints the WAL would hold every page written (> 12 MB).
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(wal < 10_000_000)

        let reopened = try SQLiteJourneyStore(SQLiteConfiguration(path: path))
        let loaded = try await reopened.loadCustomers((0..<customers).map { "c\($0)" })
        #expect(loaded.count == customers)
        #expect(loaded["c2999"]?.state.profile.attributes["filler"] == .string(filler))
        #expect(try await reopened.dueWakeUps(until: 10_000, after: nil, limit: 10_000, ownership: ownership).count == customers)
    }
}
