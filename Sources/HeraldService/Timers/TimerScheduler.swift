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
    let registry: JourneyRegistry
    /// The registry's resume count this scheduler has handled.
    private let resumesHandled = Atomic<Int>(0)
    let ownershipCell: ShardOwnershipCell
    var ownership: ShardOwnership { ownershipCell.current }
    let clock: ServiceClock
    let logger: Logger
    let scanPage: Int
    let fireChunk: Int

    init(
        store: any JourneyStore, timers: NearTimers, processing: ProcessingService, registry: JourneyRegistry,
        ownership: ShardOwnershipCell,
        clock: ServiceClock, logger: Logger, scanPage: Int = 2_000, fireChunk: Int = 500
    ) {
        self.store = store
        self.timers = timers
        self.processing = processing
        self.registry = registry
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

    /// One round: wake held customers after a resume, read ahead if needed, fire what is due, else
    /// sleep until something is.
    func tick() async {
        let resumes = registry.resumeCount
        if resumes != resumesHandled.load(ordering: .relaxed) {
            if await wakeHeldCustomers() { resumesHandled.store(resumes, ordering: .relaxed) }
        }
        var now = clock.now()
        if timers.scanNeeded(now: now) {
            let until = now + timers.horizon
            let limit = min(scanPage, max(1, timers.room))
            do {
                let page = try await store.dueWakeUps(until: until, after: timers.cursor, limit: limit, ownership: ownership)
                timers.addScanned(page, complete: page.count < limit, until: until)
                if page.count == limit { return }  // more to read: come back at once
            } catch {
                if Task.isCancelled { return }  // the service is stopping
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
        if registry.resumeCount != resumesHandled.load(ordering: .relaxed) { return }
        let next = min(timers.earliest ?? .infinity, nextScan)
        await timers.signal.wait(timeout: max(0.001, min(next - now, timers.horizon)))
    }

    /// After a journey was resumed: wakes now every customer whose wake-up falls within the held
    /// recheck interval — a customer holding paused work is always among them (the stepper keeps
    /// its wake-up within that interval), so held work continues at once, not at the next recheck.
    /// Customers woken early only have their wake-up re-offered. Returns whether the index was read
    /// through.
    private func wakeHeldCustomers() async -> Bool {
        let now = clock.now()
        let until = now + processing.stepper.heldRetry + 1
        var after: WakeUp?
        var woken = 0
        do {
            while !Task.isCancelled {
                let page = try await store.dueWakeUps(until: until, after: after, limit: scanPage, ownership: ownership)
                for wake in page { await processing.dispatch(WakeUp(at: now, customerID: wake.customerID)) }
                woken += page.count
                if page.count < scanPage { break }
                after = page.last
            }
        } catch {
            logger.error("waking held customers after a resume failed", metadata: ["error": "\(error)"])
            await timers.signal.wait(timeout: 1)
            return false
        }
        logger.info("journey resumed: woke customers that may hold its work", metadata: ["customers": "\(woken)"])
        return true
    }
}
