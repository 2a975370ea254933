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
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
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
                    }))
        }
        guard let value = box.value.withLock({ $0 }) else { throw JourneyStoreErrorInternal.missingResult }
        return value
    }

    private func submit(_ job: Job) {
        let start = queue.withLock { q -> Bool in
            q.jobs.append(job)
            if q.draining { return false }
            q.draining = true
            return true
        }
        if start { thread.async { self.drain() } }
    }

    private func drain() {
        while true {
            let group = queue.withLock { q -> [Job] in
                let take = Array(q.jobs.prefix(maxGroupSize))
                q.jobs.removeFirst(take.count)
                if take.isEmpty { q.draining = false }
                return take
            }
            if group.isEmpty { return }
            commit(group)
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
