public import JourneyEngine
public import JourneyLanguage

/// Work for one partition: an inbox row, or a wake-up for a customer whose timer came due.
public enum PartitionWork: Sendable {
    case input(InboxEntry)
    case wake(WakeUp)
}

/// Turns a batch of work plus the loaded aggregates into the commits for it: the pure middle of
/// load–engine–commit. One customer's inputs are handled in inbox order, then its due timers.
public struct CustomerStepper: Sendable {
    /// How often a customer with work held by a paused journey is woken again (and the most a
    /// customer whose timers stay due after a wake-up waits), so held work never spins and a
    /// resume finds every held customer among the wake-ups due within this interval.
    public var heldRetry: Double

    public init(heldRetry: Double = CustomerStepper.defaultHeldRetry) { self.heldRetry = heldRetry }

    public static let defaultHeldRetry: Double = 900

    /// The wake-up time to commit for an aggregate: the engine's, brought forward to the held
    /// recheck when the customer holds paused work, and never in the past.
    func wakeTime(of state: CustomerState, engine: JourneyEngine, now: Double) -> Double? {
        var next = engine.nextWakeAt(of: state)
        if engine.holdsWork(of: state) { next = min(next ?? .infinity, now + heldRetry) }
        if let at = next, at <= now { next = now + heldRetry }
        return next
    }

    public struct Result: Sendable {
        public var commits: [CustomerCommit] = []
        /// Customer → the wake-up time committed for it (`nil`: none), for the near-timer cache.
        public var wakeTimes: [(customerID: String, at: Double?)] = []
        /// Ids of the inbox items handled (for requests waiting on them).
        public var handledItems: [String] = []
        public var inputs = 0
        public var wakesFired = 0
        public var wakesStale = 0
        public var lateness: [Double] = []
        public var outboxCount = 0
    }

    /// The customers this work touches, in first-seen order.
    public static func customers(in work: [PartitionWork]) -> [String] {
        var seen: Set<String> = []
        var order: [String] = []
        for item in work {
            let id: String
            switch item {
            case .input(let entry): id = entry.item.customerID
            case .wake(let wake): id = wake.customerID
            }
            if seen.insert(id).inserted { order.append(id) }
        }
        return order
    }

    public func step(
        _ work: [PartitionWork], loaded: [String: StoredCustomer], engine: JourneyEngine,
        ownership: ShardOwnership, now: Double
    ) -> Result {
        var inputs: [String: [InboxEntry]] = [:]
        var wakes: [String: Double] = [:]
        for item in work {
            switch item {
            case .input(let entry): inputs[entry.item.customerID, default: []].append(entry)
            case .wake(let wake): wakes[wake.customerID] = min(wakes[wake.customerID] ?? .infinity, wake.at)
            }
        }
        var result = Result()
        for id in Self.customers(in: work) {
            let lease = ownership.lease(for: CustomerShard.of(id))
            let stored = loaded[id]
            var state = stored?.state
            var version = stored?.version ?? 0
            var commit = CustomerCommit(customerID: id, at: now, lease: lease, expectedVersion: version, change: .unchanged)
            var touched = false
            // What the `waiting` gauge counted for this customer before this work.
            var counted = stored?.state

            func absorb(_ output: EngineOutput, before: CustomerState?) {
                commit.outbox += output.outbox
                let records = EngineRecords(output, before: before)
                commit.log += records.log
                for (counter, delta) in records.counters {
                    commit.counters[counter] = JourneyCounter.combine(commit.counters[counter], delta, metric: counter.metric)
                }
            }

            for entry in inputs[id] ?? [] {
                result.inputs += 1
                result.handledItems.append(entry.item.id)
                commit.processed.append(entry.sequence)
                switch entry.item.payload {
                case .erase:
                    if state != nil {
                        commit.change = .erase
                        commit.outbox = []
                        commit.log = []
                        for (counter, delta) in EngineRecords.waitingDelta(before: counted, after: nil) {
                            commit.counters[counter, default: 0] += delta
                        }
                        counted = nil
                        result.commits.append(commit)
                        result.wakeTimes.append((id, nil))
                    } else if !commit.processed.isEmpty {
                        result.commits.append(commit)
                    }
                    state = nil
                    version = 0
                    touched = false
                    commit = CustomerCommit(customerID: id, at: now, lease: lease, expectedVersion: 0, change: .unchanged)
                case .deliveryOutcome where state == nil:
                    continue  // the customer was erased meanwhile: nothing to tell
                default:
                    guard let input = entry.item.payload.engineInput else { continue }
                    var current = state ?? CustomerState(profile: CustomerProfile(id: id))
                    let before = current
                    absorb(engine.handle(input, state: &current, now: now), before: before)
                    state = current
                    touched = true
                }
            }

            if var current = state {
                let due = engine.nextWakeAt(of: current)
                if let due, due <= now {
                    if let requested = wakes[id] { result.lateness.append(max(0, now - min(requested, due))) }
                    let before = current
                    absorb(engine.handle(.wake, state: &current, now: now), before: before)
                    result.wakesFired += 1
                    touched = true
                    state = current
                } else if !touched, !engine.pendingMigrations(in: current).isEmpty {
                    // The current version declares a migration that moves this customer (the
                    // migration sweep woke it): the engine applies it at `now`.
                    let before = current
                    absorb(engine.handle(.wake, state: &current, now: now), before: before)
                    touched = true
                    state = current
                } else if wakes[id] != nil, !touched {
                    // A stale wake-up: the timer moved since it was read. Re-offer the stored time,
                    // or store the right one when it differs (a held customer's recheck came due,
                    // or a resume woke a customer whose own timer lies ahead).
                    result.wakesStale += 1
                    if wakeTime(of: current, engine: engine, now: now) != stored?.nextWakeAt {
                        touched = true
                    } else {
                        result.wakeTimes.append((id, stored?.nextWakeAt))
                    }
                }
            }

            if touched, let current = state {
                let next = wakeTime(of: current, engine: engine, now: now)
                commit.change = .save(current, nextWakeAt: next)
                result.wakeTimes.append((id, next))
                for (counter, delta) in EngineRecords.waitingDelta(before: counted, after: current) {
                    commit.counters[counter, default: 0] += delta
                }
            }
            if touched || !commit.processed.isEmpty {
                result.outboxCount += commit.outbox.count
                result.commits.append(commit)
            }
        }
        return result
    }
}
