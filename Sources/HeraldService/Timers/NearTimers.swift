import JourneyEngine
import Synchronization

/// The timers due in the near future, in memory: filled by paging through the store's durable
/// index `(next_wake_at, customer_id)` and by processors as they commit new wake-up times.
///
/// Only the latest wake-up time per customer is live; older heap entries are skipped when popped.
/// Memory stays bounded: scans stop at `capacity`, and processors only add times within
/// `2 × horizon` of now (later ones are found by a later scan).
final class NearTimers: Sendable {
    struct State {
        var heap = TimerHeap()
        var scheduled: [String: Double] = [:]
        /// The durable index has been read through this key (`nil`: not yet read at all).
        var cursor: WakeUp?
        /// The last scan reached its limit: more rows wait before `until`.
        var scanIncomplete = false
    }

    let horizon: Double
    let capacity: Int
    private let state = Mutex(State())
    let signal = Signal()

    init(horizon: Double, capacity: Int) {
        self.horizon = horizon
        self.capacity = capacity
    }

    var count: Int { state.withLock { $0.scheduled.count } }
    var cursor: WakeUp? { state.withLock { $0.cursor } }
    var earliest: Double? { state.withLock { $0.heap.min?.at } }

    /// Called after a commit: the customer's new wake-up time (or `nil` when nothing is due).
    func offer(customerID: String, at: Double?, now: Double) {
        let wakeScheduler = state.withLock { s -> Bool in
            guard let at, at <= now + 2 * horizon else {
                s.scheduled[customerID] = nil
                return false
            }
            if s.scheduled[customerID] == at { return false }
            s.scheduled[customerID] = at
            let earliest = s.heap.min?.at ?? .infinity
            s.heap.insert(WakeUp(at: at, customerID: customerID))
            return at < earliest
        }
        if wakeScheduler { signal.notify() }
    }

    /// Reads the durable index from the start again (shards were taken over: their timers may lie
    /// behind the cursor). What is already in memory stays.
    func rescan() {
        state.withLock { s in
            s.cursor = nil
            s.scanIncomplete = false
        }
        signal.notify()
    }

    /// Whether the scheduler should read the durable index now, and through which instant.
    func scanNeeded(now: Double) -> Bool {
        state.withLock { s in
            guard s.scheduled.count < capacity else { return false }
            guard let cursor = s.cursor else { return true }
            return s.scanIncomplete || cursor.at < now + horizon / 2
        }
    }

    var room: Int { state.withLock { Swift.max(0, capacity - $0.scheduled.count) } }

    /// Adds a page read from the durable index. `complete` when the page reached `until`.
    func addScanned(_ wakes: [WakeUp], complete: Bool, until: Double) {
        state.withLock { s in
            // A scanned row may predate a commit that was already offered: keep the earlier time.
            // A wake-up that turns out stale costs one no-op step, and the processor re-offers
            // the stored time; a later time must never hide an earlier one.
            for wake in wakes where wake.at < (s.scheduled[wake.customerID] ?? .infinity) {
                s.scheduled[wake.customerID] = wake.at
                s.heap.insert(wake)
            }
            if complete {
                s.cursor = WakeUp(at: until, customerID: "\u{10FFFF}")
                s.scanIncomplete = false
            } else {
                s.cursor = wakes.last ?? s.cursor
                s.scanIncomplete = true
            }
        }
    }

    /// Removes and returns up to `limit` live wake-ups due at or before `now`.
    func popDue(now: Double, limit: Int) -> [WakeUp] {
        state.withLock { s in
            var due: [WakeUp] = []
            while due.count < limit, let top = s.heap.min, top.at <= now {
                _ = s.heap.popMin()
                guard s.scheduled[top.customerID] == top.at else { continue }  // superseded
                s.scheduled[top.customerID] = nil
                due.append(top)
            }
            return due
        }
    }
}
