import Dispatch
import GRDB
import Synchronization

/// The single writer of the SQLite store. Transactions submitted concurrently (ingestion requests,
/// processors, the delivery worker) are folded into one SQLite transaction — one commit, one fsync
/// — each inside its own savepoint, so a failing one rolls back alone and fails only its caller.
///
/// The group forms by itself: while one commit is being written and synced, new submissions queue
/// up and become the next group. Under light load a group holds one transaction and adds no delay.
final class GroupCommitWriter: Sendable {
    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> Void
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct Queue: ~Copyable {
        var jobs: [Job] = []
        var draining = false
        /// The first `urgentCount` jobs were submitted as urgent.
        var urgentCount = 0
        /// Callers waiting for a WAL checkpoint after the current group.
        var checkpoints: [CheckedContinuation<Void, Never>] = []
    }

    private let pool: DatabasePool
    private let maxGroupSize: Int
    private let queue = Mutex(Queue())
    private let thread = DispatchQueue(label: "herald.sqlite.group-commit")
    /// Groups committed and transactions in them, for metrics.
    let statistics = Mutex((groups: 0, transactions: 0))

    init(pool: DatabasePool, maxGroupSize: Int) {
        self.pool = pool
        self.maxGroupSize = max(1, maxGroupSize)
    }

    /// Runs `work` inside the next group commit and returns its result once the group is durable.
    /// An `urgent` transaction (a delivery outcome: until it is durable, a crash sends the message
    /// again) goes ahead of the queued ones, into the very next group.
    func write<T: Sendable>(urgent: Bool = false, _ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let box = ResultBox<T>()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            submit(
                Job(
                    run: { db in
                        let value = try work(db)
                        box.value.withLock { $0 = value }
                    },
                    finish: { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                    }), urgent: urgent)
        }
        guard let value = box.value.withLock({ $0 }) else { throw JourneyStoreErrorInternal.missingResult }
        return value
    }

    /// Copies the whole WAL into the database file and truncates it to zero bytes, right after the
    /// group being written (after an erasure, so no earlier page image with the erased values stays
    /// in the WAL). A checkpoint that readers block past the busy timeout is left to the next one.
    func checkpoint() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let start = queue.withLock { q -> Bool in
                q.checkpoints.append(continuation)
                if q.draining { return false }
                q.draining = true
                return true
            }
            if start { thread.async { self.drain() } }
        }
    }

    private func submit(_ job: Job, urgent: Bool) {
        let start = queue.withLock { q -> Bool in
            if urgent {
                q.jobs.insert(job, at: q.urgentCount)
                q.urgentCount += 1
            } else {
                q.jobs.append(job)
            }
            if q.draining { return false }
            q.draining = true
            return true
        }
        if start { thread.async { self.drain() } }
    }

    private func drain() {
        while true {
            let (group, checkpoints) = queue.withLock { q -> ([Job], [CheckedContinuation<Void, Never>]) in
                let take = Array(q.jobs.prefix(maxGroupSize))
                q.jobs.removeFirst(take.count)
                q.urgentCount = max(0, q.urgentCount - take.count)
                let checkpoints = q.checkpoints
                q.checkpoints = []
                if take.isEmpty && checkpoints.isEmpty { q.draining = false }
                return (take, checkpoints)
            }
            if group.isEmpty && checkpoints.isEmpty { return }
            if !group.isEmpty { commit(group) }
            if !checkpoints.isEmpty {
                _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
                for waiter in checkpoints { waiter.resume() }
            }
        }
    }

    private func commit(_ group: [Job]) {
        var failures: [Int: any Error] = [:]
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for (index, job) in group.enumerated() {
                        do {
                            try db.inSavepoint {
                                try job.run(db)
                                return .commit
                            }
                        } catch {
                            failures[index] = error
                        }
                    }
                    return .commit
                }
            }
        } catch {
            for job in group { job.finish(error) }
            return
        }
        statistics.withLock {
            $0.groups += 1
            $0.transactions += group.count
        }
        for (index, job) in group.enumerated() { job.finish(failures[index]) }
    }
}

private final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}

enum JourneyStoreErrorInternal: Error {
    case missingResult
}
