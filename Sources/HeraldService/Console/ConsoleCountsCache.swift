import JourneyEngine
import Synchronization

/// The counters the open live streams read, shared: however many streams are open, the store is
/// asked at most once per `maxAge` (so ten open consoles cost the processing what one does).
final class ConsoleCountsCache: Sendable {
    let store: any JourneyStore
    let maxAge: Duration
    private let cached = Mutex<(at: ContinuousClock.Instant, counters: [JourneyCounter: Int64])?>(nil)

    init(store: any JourneyStore, maxAge: Duration) {
        self.store = store
        self.maxAge = maxAge
    }

    func counters() async throws -> [JourneyCounter: Int64] {
        let now = ContinuousClock.now
        if let hit = cached.withLock({ $0 }), now - hit.at < maxAge { return hit.counters }
        let fresh = try await store.journeyCounters()
        cached.withLock { $0 = (now, fresh) }
        return fresh
    }
}
