public import JourneyLanguage
import Synchronization

/// A ``JourneyStore`` in memory: for dry-runs, tests and the store conformance suite. It keeps the
/// same contract as the durable stores (idempotent inbox, versioned aggregates, fenced commits,
/// leased outbox) but nothing survives the process.
public final class MemoryJourneyStore: JourneyStore {
    private struct InboxRow {
        var entry: InboxEntry
        var processed: Bool
    }

    private struct OutboxRow {
        var message: OutboxMessage
        var state: OutboxStatus.State
        var attempts: Int
        var nextAttemptAt: Double
        var leaseUntil: Double?
        var token: Int64
        var lastError: String?
        var finishedAt: Double?
    }

    private struct Contents {
        var epoch: Int64 = 0
        var owner: String?
        var nextSequence: Int64 = 1
        var inbox: [Int64: InboxRow] = [:]
        var inboxIDs: [String: Int64] = [:]
        var customers: [String: StoredCustomer] = [:]
        var outbox: [String: OutboxRow] = [:]
        var nextToken: Int64 = 1
        var deadLetters: [DeadLetter] = []
        /// A dead letter was ever written (the durable stores keep the counter's row from then on).
        var hadDeadLetters = false
        var log: [String: [CustomerLogEntry]] = [:]
        var versions: [String: JourneyProgram] = [:]
        var paused: Set<String> = []
        var counters: [JourneyCounter: Int64] = [:]
        var winners: [SplitWinner] = []
        var revisions: [JourneyRevision] = []
        /// In acceptance order, which is `(acceptedAt, sequence)` order for one process's clock.
        var inputLog: [InputLogEntry] = []
    }

    private let contents = Mutex(Contents())

    public init() {}

    public func acquireShards(owner: String, leaseDuration: Double, now: Double) async throws -> ShardOwnership {
        contents.withLock { c in
            if c.owner != owner {
                c.epoch += 1
                c.owner = owner
            }
            return Self.ownership(owner: owner, epoch: c.epoch, expiresAt: now + leaseDuration)
        }
    }

    /// A single node's ownership: every shard, one epoch.
    static func ownership(owner: String, epoch: Int64, expiresAt: Double) -> ShardOwnership {
        var leases: [Int: ShardLease] = [:]
        leases.reserveCapacity(CustomerShard.count)
        for shard in 0..<CustomerShard.count {
            leases[shard] = ShardLease(shard: shard, epoch: epoch, owner: owner, expiresAt: expiresAt)
        }
        return ShardOwnership(owner: owner, leases: leases, ownsAll: true)
    }

    public func enqueue(_ items: [InboxItem]) async throws -> [EnqueueOutcome] {
        contents.withLock { c in items.map { Self.insert($0, into: &c) } }
    }

    private static func insert(_ item: InboxItem, into c: inout Contents) -> EnqueueOutcome {
        if c.inboxIDs[item.id] != nil { return .duplicate }
        let sequence = c.nextSequence
        c.nextSequence += 1
        c.inboxIDs[item.id] = sequence
        let entry = InboxEntry(sequence: sequence, shard: CustomerShard.of(item.customerID), item: item)
        c.inbox[sequence] = InboxRow(entry: entry, processed: false)
        if InputLogEntry.logs(item.payload) {
            if item.payload == .erase { c.inputLog.removeAll { $0.customerID == item.customerID } }
            let logged = item.payload == .erase ? InputLogEntry.erasedCustomerID(item.customerID) : item.customerID
            c.inputLog.append(InputLogEntry(sequence: sequence, acceptedAt: item.acceptedAt, customerID: logged, payload: item.payload))
        }
        return .accepted(sequence: sequence)
    }

    public func pendingInbox(after sequence: Int64, limit: Int, ownership: ShardOwnership) async throws -> [InboxEntry] {
        contents.withLock { c in
            c.inbox.values
                .filter { !$0.processed && $0.entry.sequence > sequence && ownership.owns($0.entry.shard) }
                .map(\.entry)
                .sorted { $0.sequence < $1.sequence }
                .prefix(limit)
                .map { $0 }
        }
    }

    public func loadCustomers(_ ids: [String]) async throws -> [String: StoredCustomer] {
        contents.withLock { c in
            var result: [String: StoredCustomer] = [:]
            for id in ids { result[id] = c.customers[id] }
            return result
        }
    }

    public func commit(_ commits: [CustomerCommit]) async throws {
        try contents.withLock { c in
            // Check everything first: the batch is all or nothing.
            for commit in commits {
                if let lease = commit.lease, lease.epoch != c.epoch || lease.owner != c.owner {
                    throw JourneyStoreError.fenced(shard: lease.shard, epoch: lease.epoch)
                }
                let current = c.customers[commit.customerID]?.version ?? 0
                if current != commit.expectedVersion { throw JourneyStoreError.conflict(customerID: commit.customerID) }
            }
            for commit in commits { Self.apply(commit, to: &c) }
        }
    }

    private static func apply(_ commit: CustomerCommit, to c: inout Contents) {
        let id = commit.customerID
        let now = commit.at
        switch commit.change {
        case .save(let state, let nextWakeAt):
            c.customers[id] = StoredCustomer(
                state: state, version: commit.expectedVersion + 1, nextWakeAt: nextWakeAt, updatedAt: now)
        case .erase:
            c.customers[id] = nil
            c.log[id] = nil
            c.outbox = c.outbox.filter { $0.value.message.customerID != id }
            c.deadLetters.removeAll { $0.message.customerID == id }
        case .unchanged:
            break
        }
        for message in commit.outbox where c.outbox[message.id] == nil {
            c.outbox[message.id] = OutboxRow(
                message: message, state: .pending, attempts: 0, nextAttemptAt: message.at, leaseUntil: nil, token: 0)
        }
        for sequence in commit.processed { c.inbox[sequence]?.processed = true }
        if commit.change == .erase {
            // The customer's handled inbox rows go too; rows accepted after the erasure stay.
            for (sequence, row) in c.inbox where row.processed && row.entry.item.customerID == id {
                c.inbox[sequence] = nil
                c.inboxIDs[row.entry.item.id] = nil
            }
        }
        if commit.change != .erase, !commit.log.isEmpty { c.log[id, default: []].append(contentsOf: commit.log) }
        for (counter, delta) in commit.counters { c.counters[counter] = JourneyCounter.combine(c.counters[counter], delta, metric: counter.metric) }
    }

    public func dueWakeUps(until: Double, after: WakeUp?, limit: Int, ownership: ShardOwnership) async throws -> [WakeUp] {
        contents.withLock { c in
            c.customers.compactMap { id, customer -> WakeUp? in
                guard let at = customer.nextWakeAt, at <= until, ownership.owns(CustomerShard.of(id)) else { return nil }
                let wake = WakeUp(at: at, customerID: id)
                if let after, !(after < wake) { return nil }
                return wake
            }
            .sorted()
            .prefix(limit)
            .map { $0 }
        }
    }

    public func claimOutbox(
        now: Double, leaseFor duration: Double, limit: Int, ownership: ShardOwnership
    ) async throws
        -> [OutboxClaim]
    {
        contents.withLock { c in
            let due = c.outbox.values
                .filter {
                    $0.state == .pending && $0.nextAttemptAt <= now && ($0.leaseUntil ?? -.infinity) <= now
                        && ownership.owns(CustomerShard.of($0.message.customerID))
                }
                .sorted { ($0.nextAttemptAt, $0.message.id) < ($1.nextAttemptAt, $1.message.id) }
                .prefix(limit)
            return due.map { row in
                let token = c.nextToken
                c.nextToken += 1
                c.outbox[row.message.id]?.token = token
                c.outbox[row.message.id]?.leaseUntil = now + duration
                c.outbox[row.message.id]?.attempts += 1  // counted before the attempt starts
                return OutboxClaim(message: row.message, attempts: row.attempts, token: token, leaseUntil: now + duration)
            }
        }
    }

    @discardableResult
    public func recordDeliveries(_ records: [DeliveryRecord]) async throws -> Set<String> {
        contents.withLock { c in
            var recorded: Set<String> = []
            for record in records {
                guard var row = c.outbox[record.messageID], row.state == .pending, row.token == record.token else { continue }
                row.leaseUntil = nil
                switch record.outcome {
                case .delivered:
                    row.state = .delivered
                    row.finishedAt = record.at
                case .retry(let at, let reason):
                    row.nextAttemptAt = at
                    row.lastError = reason
                case .deadLettered(let reason):
                    row.state = .dead
                    row.lastError = reason
                    row.finishedAt = record.at
                    c.hadDeadLetters = true
                    c.deadLetters.append(
                        DeadLetter(
                            sequence: (c.deadLetters.last?.sequence ?? 0) + 1, message: row.message, attempts: row.attempts,
                            reason: reason, at: record.at))
                case .notAttempted(let at):
                    row.attempts -= 1
                    row.nextAttemptAt = at
                }
                c.outbox[record.messageID] = row
                if let feedback = record.feedback { _ = Self.insert(feedback, into: &c) }
                recorded.insert(record.messageID)
            }
            return recorded
        }
    }

    public func releaseOutboxLeases(now: Double) async throws {
        contents.withLock { c in
            for id in c.outbox.keys { c.outbox[id]?.leaseUntil = nil }
        }
    }

    public func nextOutboxAttempt(ownership: ShardOwnership) async throws -> Double? {
        contents.withLock { c in
            c.outbox.values.filter { $0.state == .pending }.map { max($0.nextAttemptAt, $0.leaseUntil ?? 0) }.min()
        }
    }

    public func outbox(customerID: String, limit: Int) async throws -> [OutboxStatus] {
        contents.withLock { c in
            c.outbox.values.filter { $0.message.customerID == customerID }
                .sorted { ($0.message.at, $0.message.id) > ($1.message.at, $1.message.id) }
                .prefix(limit)
                .map {
                    OutboxStatus(
                        message: $0.message, state: $0.state, attempts: $0.attempts,
                        nextAttemptAt: $0.state == .pending ? $0.nextAttemptAt : nil, lastError: $0.lastError)
                }
        }
    }

    public func customerLog(customerID: String, limit: Int) async throws -> [CustomerLogEntry] {
        contents.withLock { c in Array((c.log[customerID] ?? []).suffix(limit).reversed()) }
    }

    public func deadLetters(before: Int64?, limit: Int) async throws -> [DeadLetter] {
        contents.withLock { c in
            Array(c.deadLetters.filter { before == nil || $0.sequence < before! }.reversed().prefix(limit))
        }
    }

    public func retryDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution {
        contents.withLock { c in
            guard let index = c.deadLetters.firstIndex(where: { $0.sequence == sequence }) else { return .unknown }
            var letter = c.deadLetters[index]
            if let at = letter.retriedAt { return .alreadyRetried(at: at) }
            guard var row = c.outbox[letter.message.id], row.state == .dead else { return .messageGone }
            row.state = .pending
            row.nextAttemptAt = now
            row.attempts = 0
            row.leaseUntil = nil
            row.finishedAt = nil
            c.outbox[letter.message.id] = row
            letter.retriedAt = now
            c.deadLetters[index] = letter
            c.log[letter.message.customerID, default: []].append(letter.logEntry("retried", at: now))
            return .done(letter)
        }
    }

    public func discardDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution {
        contents.withLock { c in
            guard let index = c.deadLetters.firstIndex(where: { $0.sequence == sequence }) else { return .unknown }
            let letter = c.deadLetters.remove(at: index)
            c.log[letter.message.customerID, default: []].append(letter.logEntry("discarded", at: now))
            return .done(letter)
        }
    }

    public func statistics(now: Double) async throws -> StoreStatistics {
        contents.withLock { c in
            var s = StoreStatistics()
            s.customers = c.customers.count
            s.pendingInbox = c.inbox.values.count { !$0.processed }
            s.pendingOutbox = c.outbox.values.count { $0.state == .pending }
            s.deadLetters = c.deadLetters.count
            s.timersPending = c.customers.values.count { $0.nextWakeAt != nil }
            s.timersDue = c.customers.values.count { ($0.nextWakeAt ?? .infinity) <= now }
            return s
        }
    }

    public func saveJourneyVersions(_ programs: [JourneyProgram], deployedAt: Double) async throws {
        contents.withLock { c in
            for program in programs { c.versions[program.name + "@" + program.version] = program }
        }
    }

    public func journeyVersions() async throws -> [JourneyProgram] {
        contents.withLock { c in c.versions.values.sorted { ($0.name, $0.version) < ($1.name, $1.version) } }
    }

    public func setJourneyPaused(_ name: String, paused: Bool) async throws {
        contents.withLock { c in
            if paused { c.paused.insert(name) } else { c.paused.remove(name) }
        }
    }

    public func pausedJourneys() async throws -> Set<String> { contents.withLock { $0.paused } }

    public func journeyCounters() async throws -> [JourneyCounter: Int64] {
        contents.withLock { c in
            var counters = c.counters
            // As the durable stores keep it (there with triggers; here counted, in memory).
            let open = c.deadLetters.filter { $0.retriedAt == nil }.count
            if open > 0 || c.hadDeadLetters { counters[.openDeadLetters] = Int64(open) }
            return counters
        }
    }

    public func recordSplitWinner(_ winner: SplitWinner) async throws -> SplitWinner {
        contents.withLock { c in
            if let recorded = c.winners.first(where: { $0.journey == winner.journey && $0.split == winner.split }) { return recorded }
            c.winners.append(winner)
            return winner
        }
    }

    public func splitWinners() async throws -> [SplitWinner] { contents.withLock { $0.winners } }

    public func prune(_ retention: RetentionPolicy, now: Double) async throws -> PruneReport {
        contents.withLock { c in
            var report = PruneReport()
            for (sequence, row) in c.inbox where row.processed && row.entry.item.acceptedAt < now - retention.processedEvents {
                c.inbox[sequence] = nil
                c.inboxIDs[row.entry.item.id] = nil
                report.events += 1
            }
            for (id, row) in c.outbox where row.state == .delivered && (row.finishedAt ?? now) < now - retention.deliveredMessages {
                c.outbox[id] = nil
                report.messages += 1
            }
            let before = c.deadLetters.count
            c.deadLetters.removeAll { $0.at < now - retention.deadLetters }
            report.deadLetters = before - c.deadLetters.count
            for (id, entries) in c.log {
                let kept = entries.filter { $0.at >= now - retention.customerLog }.suffix(retention.customerLogLimit)
                report.logEntries += entries.count - kept.count
                c.log[id] = Array(kept)
            }
            let inputs = c.inputLog.count
            c.inputLog.removeAll { $0.acceptedAt < now - retention.inputs }
            report.inputs = inputs - c.inputLog.count
            return report
        }
    }

    // MARK: Revisions

    public func recordRevision(_ draft: RevisionDraft, at: Double) async throws -> RevisionRecording {
        contents.withLock { c in
            if let current = c.revisions.last, current.contentHash == draft.contentHash {
                return RevisionRecording(revision: current.summary, created: false)
            }
            let revision = JourneyRevision(
                number: (c.revisions.last?.number ?? 0) + 1, contentHash: draft.contentHash, createdAt: at, note: draft.note,
                source: draft.source, restoredFrom: draft.restoredFrom, files: draft.files)
            c.revisions.append(revision)
            return RevisionRecording(revision: revision.summary, created: true)
        }
    }

    public func revisions(before: Int64?, limit: Int) async throws -> [JourneyRevision] {
        contents.withLock { c in
            Array(c.revisions.reversed().lazy.filter { before == nil || $0.number < before! }.prefix(limit).map(\.summary))
        }
    }

    public func revision(_ number: Int64) async throws -> JourneyRevision? {
        contents.withLock { c in c.revisions.first { $0.number == number } }
    }

    public func currentRevisionNumber() async throws -> Int64? {
        contents.withLock { $0.revisions.last?.number }
    }

    // MARK: Input log

    public func inputLog(since: Double?, until: Double?, after: InputLogPosition?, limit: Int) async throws -> [InputLogEntry] {
        contents.withLock { c in
            c.inputLog
                .filter { entry in
                    if let since, entry.acceptedAt < since { return false }
                    if let until, entry.acceptedAt >= until { return false }
                    if let after {
                        return entry.acceptedAt > after.acceptedAt || entry.acceptedAt == after.acceptedAt && entry.sequence > after.sequence
                    }
                    return true
                }
                .sorted { ($0.acceptedAt, $0.sequence) < ($1.acceptedAt, $1.sequence) }
                .prefix(limit)
                .map { $0 }
        }
    }
}

extension MemoryJourneyStore: WaitingInstanceCounting {
    public func waitingInstances() async throws -> [WaitingInstances] {
        WaitingInstances.count(contents.withLock { $0.customers.values.map(\.state) })
    }
}

extension MemoryJourneyStore: CustomerScanning {
    public func customerPage(after: String, limit: Int) async throws -> [(id: String, state: CustomerState)] {
        let all = contents.withLock { $0.customers.map { (id: $0.key, state: $0.value.state) } }
        let later = all.filter { after.utf8.lexicographicallyPrecedes($0.id.utf8) }
        return Array(later.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }.prefix(max(0, limit)))
    }
}
