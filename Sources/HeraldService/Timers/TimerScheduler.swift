import JourneyEngine
import Logging
import ServiceLifecycle
import Synchronization

/// Fires durable timers. It pages through the store's `(next_wake_at, customer_id)` index a
/// horizon ahead (only the near future is held in memory), sleeps until the earliest one is due,
/// and hands due customers to their partitions in chunks — never before their time. A thousand
/// customers due at 09:00 are drained as a stream of bounded batches, not one giant transaction.
final class TimerScheduler: Service, Sendable {
    let store: any JourneyStore
    let timers: NearTimers
    let processing: ProcessingService
    let ownershipCell: ShardOwnershipCell
    var ownership: ShardOwnership { ownershipCell.current }
    let clock: ServiceClock
    let logger: Logger
    let scanPage: Int
    let fireChunk: Int

    init(
        store: any JourneyStore, timers: NearTimers, processing: ProcessingService, ownership: ShardOwnershipCell,
        clock: ServiceClock, logger: Logger, scanPage: Int = 2_000, fireChunk: Int = 500
    ) {
        self.store = store
        self.timers = timers
        self.processing = processing
        self.ownershipCell = ownership
        self.clock = clock
        self.logger = logger
        self.scanPage = scanPage
        self.fireChunk = fireChunk
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.tick()
            }
        }
    }

    /// One round: read ahead if needed, fire what is due, else sleep until something is.
    func tick() async {
        var now = clock.now()
        if timers.scanNeeded(now: now) {
            let until = now + timers.horizon
            let limit = min(scanPage, max(1, timers.room))
            do {
                let page = try await store.dueWakeUps(until: until, after: timers.cursor, limit: limit, ownership: ownership)
                timers.addScanned(page, complete: page.count < limit, until: until)
                if page.count == limit { return }  // more to read: come back at once
            } catch {
                logger.error("reading the timer index failed", metadata: ["error": "\(error)"])
                await timers.signal.wait(timeout: 1)
                return
            }
        }
        now = clock.now()
        let due = timers.popDue(now: now, limit: fireChunk)
        if !due.isEmpty {
            for wake in due { await processing.dispatch(wake) }
            return
        }
        let nextScan = (timers.cursor?.at ?? now) - timers.horizon / 2
        let next = min(timers.earliest ?? .infinity, nextScan)
        await timers.signal.wait(timeout: max(0.001, min(next - now, timers.horizon)))
    }
}
