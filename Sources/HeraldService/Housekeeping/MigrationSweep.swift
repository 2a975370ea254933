import JourneyEngine
import JourneyLanguage
import Logging
import ServiceLifecycle
import Synchronization

/// Moves the customers a declared migration names without waiting for them to be touched: after
/// each deployment whose journeys declare a migration (`migrate …`), it pages through every
/// stored customer in id order and hands each one of this node's shards that still waits in an
/// older version, and that the declaration moves or takes out, to its processing partition as a
/// wake-up. The partition applies the migration the way it applies any step: load, engine,
/// commit, one transaction per batch, fenced by the shard lease on PostgreSQL. So a customer
/// moves exactly once, together with whatever else happens to it in that commit, and only on
/// the node that owns its shard.
///
/// The sweep is resumable: it keeps its position while the deployment and this node's shards stay
/// the same, and starts again from the first customer when either changes (a new deployment, or
/// shards taken over from a node that stopped mid-sweep). Starting again is safe: a customer
/// already moved is on the current version and is skipped.
final class MigrationSweep: Service, Sendable {
    let store: any JourneyStore
    let registry: JourneyRegistry
    let ownership: ShardOwnershipCell
    let clock: ServiceClock
    let logger: Logger
    let pageSize: Int
    let interval: Double
    /// Hands a wake-up to the customer's processing partition (waits while it is full).
    let dispatch: @Sendable (WakeUp) async -> Void
    private let progress = Mutex(Progress())

    /// What the sweep did so far (for tests and logs).
    struct Progress: Sendable {
        /// Sweeps that reached the last customer.
        var completed = 0
        /// Customers handed to processing because a migration moves them.
        var woken = 0
        /// The deployment and shards the last completed sweep covered.
        var coveredKey: String?
    }

    init(
        store: any JourneyStore, registry: JourneyRegistry, ownership: ShardOwnershipCell, clock: ServiceClock, logger: Logger,
        pageSize: Int = 500, interval: Double = 1, dispatch: @escaping @Sendable (WakeUp) async -> Void
    ) {
        self.store = store
        self.registry = registry
        self.ownership = ownership
        self.clock = clock
        self.logger = logger
        self.pageSize = pageSize
        self.interval = interval
        self.dispatch = dispatch
    }

    var snapshot: Progress { progress.withLock { $0 } }

    func run() async throws {
        guard let scanning = store as? any CustomerScanning else { return }  // moved as they are touched only
        await cancelWhenGracefulShutdown {
            var cursor = ""
            var sweeping: String?
            while !Task.isCancelled {
                if let key = self.pendingKey(), key != self.snapshot.coveredKey {
                    if key != sweeping {
                        sweeping = key
                        cursor = ""
                    }
                    do {
                        if let next = try await self.sweepPage(after: cursor, scanning: scanning) {
                            cursor = next
                            continue  // the next page at once
                        }
                        self.progress.withLock {
                            $0.completed += 1
                            $0.coveredKey = key
                        }
                        self.logger.info("migration sweep complete", metadata: ["woken": "\(self.snapshot.woken)"])
                    } catch {
                        if Task.isCancelled { break }
                        self.logger.error("the migration sweep failed; it resumes", metadata: ["error": "\(error)"])
                    }
                }
                try? await Task.sleep(for: .milliseconds(Int64(self.interval * 1000)))
            }
        }
    }

    /// What a sweep must cover now: the deployment (when its journeys declare a migration) and
    /// this node's shards; `nil` when nothing is declared.
    func pendingKey() -> String? {
        guard let deployment = registry.current, deployment.catalog.journeys.contains(where: { $0.migration != nil }) else { return nil }
        let owned = ownership.current
        let shards = owned.ownsAll ? "all" : owned.leases.keys.sorted().map(String.init).joined(separator: ",")
        let versions = deployment.catalog.journeys.map(\.version).joined(separator: ",")
        return "\(deployment.revision?.number ?? 0)|\(deployment.deployedAt)|\(versions)|\(shards)"
    }

    /// One page: wakes the customers of this node's shards a migration moves. Returns the last id
    /// read, or `nil` at the end.
    func sweepPage(after cursor: String, scanning: any CustomerScanning) async throws -> String? {
        let page = try await scanning.customerPage(after: cursor, limit: pageSize)
        guard let last = page.last, let deployment = registry.current else { return nil }
        let owned = ownership.current
        let now = clock.now()
        var woken = 0
        for (id, state) in page where owned.owns(CustomerShard.of(id)) {
            guard !deployment.engine.pendingMigrations(in: state).isEmpty else { continue }
            await dispatch(WakeUp(at: now, customerID: id))
            woken += 1
        }
        if woken > 0 { progress.withLock { $0.woken += woken } }
        return page.count < pageSize ? nil : last.id
    }
}
