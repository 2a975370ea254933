import Foundation
import JourneyEngine
import Logging
import ServiceLifecycle

/// Keeps this node's shard leases (PostgreSQL scale-out): renews them every `renewInterval`,
/// publishes the shards it holds to the processors, the timer scheduler and the delivery worker,
/// and, when it gains shards (a node died or left, or rebalancing handed some over), makes them
/// re-read the inbox and the timer index from the start so nothing due for those shards waits.
///
/// Renewals run on the store's own lease connections, never behind request traffic. A lease that
/// is about to run out (within half a renewal interval: renewals failed or hang, the database is
/// unreachable, or this process was frozen) is dropped at once by a guard that does not wait for
/// the renewal, so this node stops working on shards that the others are about to take over,
/// rather than do work that the fencing check would refuse. On graceful shutdown it gives its
/// shards back so other nodes take them at once.
final class ShardLeaseService: Service, Sendable {
    let store: any JourneyStore
    let owner: String
    let cell: ShardOwnershipCell
    let leaseDuration: Double
    let renewInterval: Double
    let clock: ServiceClock
    let logger: Logger
    /// Called with the shards gained after a renewal (rescans, wake-ups).
    let onGain: @Sendable (Set<Int>) -> Void
    /// Called on graceful shutdown to give the shards back.
    let release: @Sendable () async throws -> Void

    init(
        store: any JourneyStore, owner: String, cell: ShardOwnershipCell, leaseDuration: Double, renewInterval: Double,
        clock: ServiceClock, logger: Logger, onGain: @escaping @Sendable (Set<Int>) -> Void,
        release: @escaping @Sendable () async throws -> Void
    ) {
        self.store = store
        self.owner = owner
        self.cell = cell
        self.leaseDuration = leaseDuration
        self.renewInterval = renewInterval
        self.clock = clock
        self.logger = logger
        self.onGain = onGain
        self.release = release
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isCancelled {
                        await self.renew()
                        try? await Task.sleep(for: .milliseconds(Int64(self.renewInterval * 1000)))
                    }
                }
                group.addTask {
                    let interval = Int64(max(10, min(250, self.renewInterval * 250)))
                    while !Task.isCancelled {
                        self.dropExpiring()
                        try? await Task.sleep(for: .milliseconds(interval))
                    }
                }
            }
        }
        cell.update(ShardOwnership(owner: owner, leases: [:], ownsAll: false))
        do {
            try await release()
            logger.notice("shards released", metadata: ["node": "\(owner)"])
        } catch {
            logger.warning("releasing shards failed; they lapse with their leases", metadata: ["error": "\(error)"])
        }
    }

    func renew() async {
        let before = cell.current.leases.count
        do {
            let ownership = try await store.acquireShards(owner: owner, leaseDuration: leaseDuration, now: clock.now())
            let gained = cell.update(ownership)
            if ownership.leases.count != before || !gained.isEmpty {
                logger.notice(
                    "shard leases changed",
                    metadata: ["node": "\(owner)", "held": "\(ownership.leases.count)", "gained": "\(gained.count)"])
            }
            if !gained.isEmpty { onGain(gained) }
        } catch {
            logger.error("renewing shard leases failed", metadata: ["node": "\(owner)", "error": "\(error)"])
            dropExpiring()
        }
    }

    /// Stops working on shards whose lease runs out within half a renewal interval: renewals are
    /// late or failing, and their commits would be refused once another node takes them.
    func dropExpiring() {
        let dropped = cell.dropLeases(expiringBefore: clock.now() + renewInterval / 2)
        if dropped > 0 {
            logger.warning(
                "shard leases about to lapse: no longer processing them", metadata: ["node": "\(owner)", "dropped": "\(dropped)"])
        }
    }
}
