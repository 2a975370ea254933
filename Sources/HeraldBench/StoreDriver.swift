import Foundation
import HeraldSQLite
import JourneyEngine
import JourneyLanguage

/// Drives a store (SQLite, or one PostgreSQL node) and the engine the way HeraldService's
/// ProcessingService does, in process and without HTTP: inbox pages routed to partitions by shard
/// (as many as the service's default: two per core, at least two), and per partition batch load → engine → one commit of aggregates, timers, outbox rows,
/// log and counters, and the consumed inbox rows.
struct StoreDriver: Sendable {
    let store: any JourneyStore
    let engine: JourneyEngine
    let ownership: ShardOwnership
    let partitions = max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)
    let batchSize = 256
    /// Added to the wall clock as the engine's `now`: `BenchClock.offset` for the pinned calendar
    /// (less 7,200 s for a set-up that runs in the past; see SQLiteBench).
    var clockOffset: Double

    init(store: any JourneyStore, engine: JourneyEngine, ownership: ShardOwnership? = nil, clockOffset: Double = 0) async throws {
        self.store = store
        self.engine = engine
        self.clockOffset = clockOffset
        if let ownership {
            self.ownership = ownership
        } else {
            self.ownership = try await store.acquireShards(owner: "bench", leaseDuration: 3600, now: wallClock() + clockOffset)
        }
    }

    enum Work: Sendable {
        case input(InboxEntry)
        case wake(WakeUp)
        var customerID: String {
            switch self {
            case .input(let e): e.item.customerID
            case .wake(let w): w.customerID
            }
        }
    }

    struct Outcome: Sendable {
        var inputs = 0
        var wakes = 0
        var outbox = 0
        /// Per fired wake: lateness (s) = commit time − due time.
        var lateness: [Double] = []
        /// Event ids committed with the commit time.
        var committed: [(String, Double)] = []
        static func + (a: Outcome, b: Outcome) -> Outcome {
            var sum = a
            sum.add(b)
            return sum
        }
        /// Adds `other` in place (appending to this outcome's arrays rather than copying them:
        /// summing page by page with `+` copied every id committed so far, once per page).
        mutating func add(_ other: Outcome) {
            inputs += other.inputs
            wakes += other.wakes
            outbox += other.outbox
            lateness += other.lateness
            committed += other.committed
        }
    }

    /// Splits work by partition and processes each partition's batches concurrently.
    func process(_ work: [Work]) async throws -> Outcome {
        var byPartition = Array(repeating: [Work](), count: partitions)
        for w in work { byPartition[CustomerShard.of(w.customerID) % partitions].append(w) }
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            for part in byPartition where !part.isEmpty {
                group.addTask {
                    var outcome = Outcome()
                    var start = 0
                    while start < part.count {
                        let batch = Array(part[start..<min(part.count, start + batchSize)])
                        outcome.add(try await processBatch(batch))
                        start += batchSize
                    }
                    return outcome
                }
            }
            var total = Outcome()
            for try await o in group { total.add(o) }
            return total
        }
    }

    /// Load → engine → commit for one batch (CustomerStepper's logic, without inspection extras
    /// beyond a log entry per send and a counter per timeline record).
    func processBatch(_ batch: [Work]) async throws -> Outcome {
        var order: [String] = []
        var inputs: [String: [InboxEntry]] = [:]
        var wakes: [String: Double] = [:]
        for w in batch {
            if inputs[w.customerID] == nil && wakes[w.customerID] == nil { order.append(w.customerID) }
            switch w {
            case .input(let e): inputs[e.item.customerID, default: []].append(e)
            case .wake(let wake): wakes[wake.customerID] = min(wakes[wake.customerID] ?? .infinity, wake.at)
            }
        }
        let loaded = try await store.loadCustomers(order)
        let now = wallClock() + clockOffset
        var outcome = Outcome()
        var commits: [CustomerCommit] = []
        var dueTimes: [Double] = []
        var eventIDs: [String] = []
        for id in order {
            let stored = loaded[id]
            var state = stored?.state ?? CustomerState(profile: CustomerProfile(id: id))
            var commit = CustomerCommit(
                customerID: id, at: now, lease: ownership.lease(for: CustomerShard.of(id)), expectedVersion: stored?.version ?? 0, change: .unchanged)
            func absorb(_ output: EngineOutput) {
                commit.outbox += output.outbox
                for m in output.outbox {
                    commit.log.append(
                        CustomerLogEntry(at: now, kind: "send", journey: m.journey, summary: "send \(m.message) by \(m.channel.rawValue)"))
                }
                for r in output.timeline {
                    commit.counters[JourneyCounter(journey: r.journey, version: r.version, metric: "records"), default: 0] += 1
                }
            }
            for entry in inputs[id] ?? [] {
                outcome.inputs += 1
                commit.processed.append(entry.sequence)
                eventIDs.append(entry.item.id)
                if let input = entry.item.payload.engineInput { absorb(engine.handle(input, state: &state, now: now)) }
            }
            if let requested = wakes[id], let due = state.nextWakeAt, due <= now {
                absorb(engine.handle(.wake, state: &state, now: now))
                outcome.wakes += 1
                dueTimes.append(min(requested, due))
            }
            commit.change = .save(state, nextWakeAt: state.nextWakeAt)
            outcome.outbox += commit.outbox.count
            commits.append(commit)
        }
        try await store.commit(commits)
        let committedAt = wallClock()
        outcome.lateness = dueTimes.map { max(0, committedAt + clockOffset - $0) }
        outcome.committed = eventIDs.map { ($0, committedAt) }
        return outcome
    }

    /// Processes every pending inbox row; returns when the inbox is empty.
    func drainInbox(pageSize: Int = 1024) async throws -> Outcome {
        try await drain(InboxPages(store: store, ownership: ownership, pageSize: pageSize))
    }

    /// Processes the pages of `source` until it has no more.
    ///
    /// As the service's ProcessingService does, the next page is read while the partitions work:
    /// a reader takes the pages in order and queues each partition's share, and each partition
    /// takes what is queued for it — up to a batch — whenever it is free, so batches are as large
    /// as the load makes them (one customer's work stays in one partition, in order). Reading and
    /// processing — loads and the engine on both cores — go on while a batch commits, instead of
    /// every partition waiting for the slowest before the next page is read. The reader waits
    /// while a partition has two batches queued.
    func drain(_ source: some WorkSource) async throws -> Outcome {
        let feeds = (0..<partitions).map { _ in PartitionFeed() }
        let room = 2 * batchSize
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                var source = source
                do {
                    while let page = try await source.nextPage() {
                        var byPartition = Array(repeating: [Work](), count: partitions)
                        for work in page { byPartition[CustomerShard.of(work.customerID) % partitions].append(work) }
                        for (partition, work) in byPartition.enumerated() where !work.isEmpty {
                            await feeds[partition].push(work, room: room)
                        }
                    }
                } catch {
                    for feed in feeds { await feed.close() }
                    throw error
                }
                for feed in feeds { await feed.close() }
                return Outcome()
            }
            for feed in feeds {
                group.addTask {
                    var outcome = Outcome()
                    do {
                        while let batch = await feed.take(max: batchSize) { outcome.add(try await processBatch(batch)) }
                    } catch {
                        for feed in feeds { await feed.close() }  // the reader must not wait for this partition
                        throw error
                    }
                    return outcome
                }
            }
            var total = Outcome()
            for try await outcome in group { total.add(outcome) }
            return total
        }
    }

    /// One partition's queued work: the reader pushes, the partition takes up to a batch.
    actor PartitionFeed {
        private var items: [Work] = []
        private var closed = false
        private var taker: CheckedContinuation<Void, Never>?
        private var pusher: CheckedContinuation<Void, Never>?

        /// Queues `work`, first waiting while `room` items or more are queued (and not closed).
        func push(_ work: [Work], room: Int) async {
            while items.count >= room, !closed { await withCheckedContinuation { pusher = $0 } }
            if closed { return }
            items += work
            taker?.resume()
            taker = nil
        }

        /// Up to `max` queued items, waiting for some; `nil` once closed and empty.
        func take(max: Int) async -> [Work]? {
            while items.isEmpty {
                if closed { return nil }
                await withCheckedContinuation { taker = $0 }
            }
            let batch = Array(items.prefix(max))
            items.removeFirst(batch.count)
            pusher?.resume()
            pusher = nil
            return batch
        }

        /// No more work comes: the partition takes what is queued, then stops.
        func close() {
            closed = true
            taker?.resume()
            taker = nil
            pusher?.resume()
            pusher = nil
        }
    }

    static func event(_ i: Int, run: String, timestamp: Double) -> InboxItem {
        let customer = "\(run)-c\(i)"
        return InboxItem(
            id: "\(run)-e\(i)", customerID: customer,
            payload: .event(
                CustomerEvent(id: "\(run)-e\(i)", customerID: customer, name: "cart.updated", properties: ["items": .number(2)], timestamp: timestamp)
            ),
            acceptedAt: timestamp)
    }
}

/// Pages of work for ``StoreDriver/drain(_:)``, read in order by one reader.
protocol WorkSource: Sendable {
    /// The next page; `nil` when there is no more work.
    mutating func nextPage() async throws -> [StoreDriver.Work]?
}

/// The pending inbox rows after a cursor, a page at a time, until none is left.
struct InboxPages: WorkSource {
    let store: any JourneyStore
    let ownership: ShardOwnership
    let pageSize: Int
    var cursor: Int64 = 0

    mutating func nextPage() async throws -> [StoreDriver.Work]? {
        let page = try await store.pendingInbox(after: cursor, limit: pageSize, ownership: ownership)
        guard let last = page.last else { return nil }
        cursor = last.sequence
        return page.map { .input($0) }
    }
}

/// A fresh database file (and its WAL) under the data directory.
func freshDatabase(_ options: BenchOptions, _ name: String) throws -> String {
    try FileManager.default.createDirectory(atPath: options.dataDirectory, withIntermediateDirectories: true)
    let path = options.dataDirectory + "/" + name + ".sqlite"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    return path
}

func fileBytes(_ path: String) -> Double {
    ["", "-wal"].reduce(0.0) { sum, suffix in
        sum + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? NSNumber)?.doubleValue ?? 0)
    }
}

extension StoreDriver {
    /// The profile input of each event's customer: the `first + k`-th sample profile for the k-th
    /// item (an address, a value), accepted at `acceptedAt`.
    static func profiles(for items: some Collection<InboxItem>, from first: Int, acceptedAt: Double) -> [InboxItem] {
        items.enumerated().map { offset, item in
            var profile = DryRunBench.profile(first + offset)
            profile.id = item.customerID
            return InboxItem(id: "profile-" + item.customerID, customerID: item.customerID, payload: .profile(profile), acceptedAt: acceptedAt)
        }
    }

    /// Set-up (not timed): the customers of `items` get their profiles, as they would in the
    /// service, so sends are decided rather than blocked for no address. The profiles are applied
    /// 2 h in the past (the customers' clocks start there), so cart events stamped 2 h ago enter
    /// then: their 1 h wait and the settle window have passed by the time they are processed, and
    /// the reminder email is decided in the same step.
    func createProfiles(for items: [InboxItem], acceptedAt: Double) async throws {
        for start in stride(from: 0, to: items.count, by: 1024) {
            let batch = items[start..<min(items.count, start + 1024)]
            _ = try await store.enqueue(Self.profiles(for: batch, from: start, acceptedAt: acceptedAt))
        }
        var setup = self
        setup.clockOffset -= 7200
        _ = try await setup.drainInbox()
    }
}
