import JourneyEngine
import Synchronization

/// The shards this node may process right now, shared by the processors, the timer scheduler and
/// the delivery worker. A single-node store sets it once (every shard); on PostgreSQL the
/// ``ShardLeaseService`` replaces it after every renewal, as shards are taken over and given back.
final class ShardOwnershipCell: Sendable {
    private let state: Mutex<ShardOwnership>

    init(_ ownership: ShardOwnership) { state = Mutex(ownership) }

    var current: ShardOwnership { state.withLock { $0 } }

    /// Installs a new ownership and returns the shards gained (new, or held under a new epoch).
    @discardableResult
    func update(_ ownership: ShardOwnership) -> Set<Int> {
        state.withLock { old in
            var gained: Set<Int> = []
            if ownership.ownsAll && !old.ownsAll {
                gained = Set(0..<CustomerShard.count)
            } else {
                for (shard, lease) in ownership.leases where old.leases[shard]?.epoch != lease.epoch {
                    gained.insert(shard)
                }
            }
            old = ownership
            return gained
        }
    }

    /// Drops the leases that run out before `deadline` (they would lapse before the next renewal
    /// could extend them) and returns how many were dropped.
    @discardableResult
    func dropLeases(expiringBefore deadline: Double) -> Int {
        state.withLock { ownership in
            if ownership.ownsAll { return 0 }
            let held = ownership.leases.count
            ownership.leases = ownership.leases.filter { $0.value.expiresAt > deadline }
            return held - ownership.leases.count
        }
    }
}
