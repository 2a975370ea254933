import CoreMetrics
import Foundation
import JourneyEngine
import Logging
import ServiceLifecycle
import Synchronization

/// Processes the inbox and due timers: customers are partitioned by shard across `partitions`
/// workers (so both cores work), each worker handles its customers' inputs in inbox order and
/// commits each batch — aggregates, timers, outbox rows, consumed inbox rows — in one transaction.
final class ProcessingService: Service, Sendable {
    struct Options: Sendable {
        var partitions: Int
        var batchSize: Int
        var queueCapacity: Int
    }

    let store: any JourneyStore
    let registry: JourneyRegistry
    let ownership: ShardOwnershipCell
    let timers: NearTimers
    let deliverySignal: Signal
    let inboxSignal = Signal()
    let completions: CompletionRegistry
    let metrics: ServiceMetrics
    let clock: ServiceClock
    let logger: Logger
    let options: Options
    let stepper = CustomerStepper()
    /// The journeys' audience hours for sends at the best time, read once per UTC day.
    let sendTimeAudience = SendTimeAudience()
    let queues: [WorkQueue<PartitionWork>]
    /// Inbox sequences handed to a partition and not yet committed.
    private let inFlight = Mutex(InboxTracking())

    /// Which inbox rows the reader must not hand out again: those in a partition, and those
    /// committed since the reader's current query began (its snapshot may predate their commit,
    /// so it can still return them as unprocessed).
    struct InboxTracking {
        var inFlight: Set<Int64> = []
        var committedSinceRead: Set<Int64> = []
    }
    private let stopping = Atomic<Bool>(false)
    /// Set when this node gained shards: the inbox reader starts again from the beginning.
    private let rescanRequested = Atomic<Bool>(false)

    init(
        store: any JourneyStore, registry: JourneyRegistry, ownership: ShardOwnershipCell, timers: NearTimers,
        deliverySignal: Signal, completions: CompletionRegistry, metrics: ServiceMetrics, clock: ServiceClock,
        logger: Logger, options: Options
    ) {
        self.store = store
        self.registry = registry
        self.ownership = ownership
        self.timers = timers
        self.deliverySignal = deliverySignal
        self.completions = completions
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.options = options
        queues = (0..<max(1, options.partitions)).map { _ in WorkQueue(capacity: options.queueCapacity) }
    }

    func partition(of customerID: String) -> Int { CustomerShard.of(customerID) % queues.count }

    /// Hands a due timer to its customer's partition (waits while that partition is full).
    func dispatch(_ wake: WakeUp) async {
        await queues[partition(of: wake.customerID)].push(.wake(wake))
    }

    func run() async throws {
        // Stops on a graceful shutdown and on cancellation alike (the service group cancels every
        // service when one fails, such as the HTTP server finding its port taken): the partitions
        // wait on their queues, which only closing wakes.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.readInbox() }
                    for index in queues.indices {
                        group.addTask { await self.runPartition(index) }
                    }
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    private func stop() {
        stopping.store(true, ordering: .relaxed)
        for queue in queues { queue.close() }
        inboxSignal.notify()
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) || Task.isCancelled }

    /// Makes the inbox reader read from the start again (shards were taken over: their pending
    /// rows may lie behind the cursor).
    func rescanInbox() {
        rescanRequested.store(true, ordering: .relaxed)
        inboxSignal.notify()
    }

    // MARK: Inbox reader

    /// Pages through unprocessed inbox rows in sequence order and routes each to its partition;
    /// every second it also reads back over the last minute of sequences it passed, for rows that
    /// committed after higher ones (see ``InboxCursor``).
    private func readInbox() async {
        var cursor = InboxCursor(window: 60, interval: 1, now: clock.now())
        var lastRescan = clock.now()
        while !isStopping {
            if rescanRequested.exchange(false, ordering: .relaxed) { cursor.restart(at: clock.now()) }
            if let start = cursor.readBack(at: clock.now()) {
                if await !readBack(after: start, until: cursor.position) { return }
            }
            let entries: [InboxEntry]
            do {
                entries = try await read(after: cursor.position)
            } catch {
                if isStopping { return }  // a query cut off by cancellation: nothing went wrong
                logger.error("reading the inbox failed", metadata: ["error": "\(error)"])
                await inboxSignal.wait(timeout: 1)
                continue
            }
            if entries.isEmpty {
                await inboxSignal.wait(timeout: 1)
                // Now and then read from the start again: rows whose batch failed are retried by
                // their partition, but this catches anything that slipped through.
                if clock.now() - lastRescan > 10 {
                    cursor.restart(at: clock.now())
                    lastRescan = clock.now()
                }
                continue
            }
            if await !route(entries) { return }
            cursor.advance(to: entries.last!.sequence, at: clock.now())
        }
    }

    /// One page of unprocessed rows after `sequence`, of the shards this node owns.
    private func read(after sequence: Int64) async throws -> [InboxEntry] {
        inFlight.withLock { $0.committedSinceRead.removeAll(keepingCapacity: true) }
        return try await store.pendingInbox(after: sequence, limit: options.batchSize * 4, ownership: ownership.current)
    }

    /// Reads the unprocessed rows in `(start, end]` again and routes those not in a partition yet.
    /// Returns `false` when the service stops.
    private func readBack(after start: Int64, until end: Int64) async -> Bool {
        var position = start
        while position < end, !isStopping {
            let entries: [InboxEntry]
            do {
                entries = try await read(after: position)
            } catch {
                logger.error("reading the inbox back failed", metadata: ["error": "\(error)"])
                return true
            }
            guard let last = entries.last else { return true }
            if await !route(entries.filter { $0.sequence <= end }) { return false }
            position = last.sequence
        }
        return true
    }

    /// Hands the rows not yet in a partition (nor committed since the read) to their partitions.
    /// Returns `false` when the service stops.
    private func route(_ entries: [InboxEntry]) async -> Bool {
        for entry in entries {
            let fresh = inFlight.withLock { t in
                !t.committedSinceRead.contains(entry.sequence) && t.inFlight.insert(entry.sequence).inserted
            }
            guard fresh else { continue }
            if await !queues[partition(of: entry.item.customerID)].push(.input(entry)) { return false }
        }
        return true
    }

    // MARK: Partitions

    private func runPartition(_ index: Int) async {
        let queue = queues[index]
        while !isStopping {
            var work = await queue.take(max: options.batchSize)
            if work.isEmpty { return }
            if isStopping { return }  // what was queued stays in the inbox / timer index
            var attempt = 0
            while true {
                do {
                    try await process(work)
                    break
                } catch JourneyStoreError.fenced(let shard, _) {
                    // Another node owns some of these shards now: their work stays in the inbox and
                    // the timer index for it. Keep only what this node still owns.
                    metrics.batchFailures.increment()
                    let current = ownership.current
                    let (kept, dropped) = Self.split(work) { current.owns(CustomerShard.of($0)) && CustomerShard.of($0) != shard }
                    forget(dropped)
                    logger.notice(
                        "batch fenced: shard lease lost", metadata: ["shard": "\(shard)", "dropped": "\(dropped.count)"])
                    if kept.isEmpty || isStopping { break }
                    work = kept
                } catch {
                    attempt += 1
                    metrics.batchFailures.increment()
                    logger.error(
                        "processing a batch failed; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                    if isStopping { return }
                    try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(attempt, 6)))))
                }
            }
        }
    }

    private static func split(_ work: [PartitionWork], keep: (String) -> Bool) -> ([PartitionWork], [PartitionWork]) {
        var kept: [PartitionWork] = []
        var dropped: [PartitionWork] = []
        for item in work {
            let customer: String
            switch item {
            case .input(let entry): customer = entry.item.customerID
            case .wake(let wake): customer = wake.customerID
            }
            if keep(customer) { kept.append(item) } else { dropped.append(item) }
        }
        return (kept, dropped)
    }

    /// Forgets work handed back to the store (its inbox rows may be read again later).
    private func forget(_ work: [PartitionWork]) {
        inFlight.withLock { t in
            for case .input(let entry) in work { t.inFlight.remove(entry.sequence) }
        }
    }

    /// Load, engine, commit for one batch.
    func process(_ work: [PartitionWork]) async throws {
        let started = ContinuousClock.now
        guard let deployment = registry.current else { throw ServiceNotReady() }
        let ids = CustomerStepper.customers(in: work)
        let loaded = try await store.loadCustomers(ids)
        let now = clock.now()
        var engine = deployment.engine
        engine.audience = try await sendTimeAudience.hours(at: now, catalog: deployment.catalog, store: store)
        let result = stepper.step(
            work, loaded: loaded, engine: engine, ownership: ownership.current, now: now)
        try await store.commit(result.commits)
        sendTimeAudience.committed(result.commits.lazy.flatMap(\.counters.keys), now: now)

        inFlight.withLock { t in
            for case .input(let entry) in work {
                t.inFlight.remove(entry.sequence)
                t.committedSinceRead.insert(entry.sequence)
            }
        }
        for (customerID, at) in result.wakeTimes { timers.offer(customerID: customerID, at: at, now: now) }
        if result.outboxCount > 0 { deliverySignal.notify() }
        completions.complete(result.handledItems)
        metrics.inputsProcessed.increment(by: result.inputs)
        metrics.transitions.increment(by: result.commits.count)
        metrics.timersFired.increment(by: result.wakesFired)
        metrics.timersStale.increment(by: result.wakesStale)
        metrics.outboxCreated.increment(by: result.outboxCount)
        for late in result.lateness { metrics.timerLateness.recordNanoseconds(Int64(late * 1e9)) }
        metrics.processLatency.recordElapsed(since: started)
    }
}

struct ServiceNotReady: Error {}

extension CoreMetrics.Timer {
    func recordElapsed(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
