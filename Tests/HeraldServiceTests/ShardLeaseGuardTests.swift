import JourneyEngine
import Testing

@testable import HeraldService

/// The inbox reader's cursor and read back, and the lease guard that stops work on shards about to
/// lapse: pure values driven with explicit times, nothing sleeps.
struct InboxCursorTests {
    @Test func readsBackFromWhereTheCursorStoodAWindowAgo() {
        var cursor = InboxCursor(window: 60, interval: 1, now: 1_000)
        cursor.advance(to: 10, at: 1_010)
        cursor.advance(to: 20, at: 1_050)
        cursor.advance(to: 30, at: 1_080)
        #expect(cursor.position == 30)
        // At 1_080 the window reaches back to 1_020, when the cursor stood at 10.
        #expect(cursor.readBack(at: 1_080) == 10)
        // Not again within the interval.
        #expect(cursor.readBack(at: 1_080.5) == nil)
        // At 1_115 it reaches back to 1_055, after the advance to 20.
        #expect(cursor.readBack(at: 1_115) == 20)
        // Nothing passed within the window: nothing to read back.
        #expect(cursor.readBack(at: 1_200) == nil)
    }

    @Test func readsBackFromTheStartUntilAWindowHasPassed() {
        var cursor = InboxCursor(window: 60, interval: 1, now: 1_000)
        #expect(cursor.readBack(at: 1_001) == nil, "nothing handed out yet")
        cursor.advance(to: 5, at: 1_002)
        #expect(cursor.readBack(at: 1_003) == 0)
    }

    @Test func neverMovesBackAndRestartsFromZero() {
        var cursor = InboxCursor(window: 60, interval: 1, now: 0)
        cursor.advance(to: 50, at: 1)
        cursor.advance(to: 40, at: 2)
        #expect(cursor.position == 50)
        cursor.restart(at: 3)
        #expect(cursor.position == 0)
        #expect(cursor.readBack(at: 4) == nil)
    }
}

struct ShardOwnershipCellTests {
    static func ownership(_ expiries: [Int: Double]) -> ShardOwnership {
        ShardOwnership(
            owner: "a",
            leases: expiries.mapValues { ShardLease(shard: 0, epoch: 1, owner: "a", expiresAt: $0) }.reduce(into: [:]) {
                $0[$1.key] = ShardLease(shard: $1.key, epoch: $1.value.epoch, owner: "a", expiresAt: $1.value.expiresAt)
            },
            ownsAll: false)
    }

    @Test func dropsOnlyLeasesThatLapseBeforeTheDeadline() {
        let cell = ShardOwnershipCell(Self.ownership([1: 100, 2: 105, 3: 110]))
        #expect(cell.dropLeases(expiringBefore: 104) == 1)
        #expect(Set(cell.current.leases.keys) == [2, 3])
        #expect(cell.dropLeases(expiringBefore: 104) == 0)
        #expect(cell.dropLeases(expiringBefore: 200) == 2)
        #expect(cell.current.leases.isEmpty)
        // A renewal that grants them again counts as a gain (the reader and timers rescan).
        #expect(cell.update(Self.ownership([2: 300])) == [2])
    }

    @Test func aSingleNodeOwnsEverythingForEver() {
        let cell = ShardOwnershipCell(ShardOwnership(owner: "a", leases: [:], ownsAll: true))
        #expect(cell.dropLeases(expiringBefore: .greatestFiniteMagnitude) == 0)
        #expect(cell.current.ownsAll)
    }
}
