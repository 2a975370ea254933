import Foundation
import HeraldSQLite
import Histogram
import JourneyEngine

#if canImport(Glibc)
import Glibc
#endif

/// 4. Timers: N instances waiting on SQLite (full sync) with timers due within the same minute;
/// how long until all have fired, lateness p99, database bytes and resident memory per waiting
/// instance.
enum TimerBench {
    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let engine = try DryRunBench.engine(options)
        let n = options.timers
        let path = try freshDatabase(options, "timers")
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: path, durability: .full))
        var driver = try await StoreDriver(store: store, engine: engine, clockOffset: BenchClock.offset)
        let emptyBytes = fileBytes(path)
        // Earlier sections (the dry-run holds gigabytes) leave freed memory in malloc's arenas:
        // give it back first, so the RSS read below is what this section holds, next to the RSS
        // it started from.
        Self.trimMalloc()
        let rssAtStart = Machine.status("VmRSS")

        // Create the waiting instances: cart updated so that the 1 h wait ends inside one minute
        // that starts well after creation can be over (1,000 instances/s plus a minute).
        let t0 = BenchClock.now()
        let minuteStart = t0 + Double(n) / 1_000 + 60
        let creationStarted = ContinuousClock.now
        var start = 0
        while start < n {
            let end = min(n, start + 4096)
            let items = (start..<end).map { i in
                StoreDriver.event(i, run: "timers-\(Int(t0))", timestamp: minuteStart - 3600 + 60 * Double(i) / Double(n))
            }
            _ = try await store.enqueue(items)
            _ = try await driver.drainInbox()
            start = end
        }
        let creation = seconds(since: creationStarted)
        let waitingBytes = fileBytes(path) - emptyBytes
        let rss = Machine.status("VmRSS")
        print(
            String(
                format: "  timers: %d instances created in %.1f s; %.0f bytes of database each; RSS %.1f MiB (VmHWM %.1f MiB)", n, creation,
                waitingBytes / Double(n), rss / 1_048_576, Machine.status("VmHWM") / 1_048_576))
        let label = n == 1_000_000 ? "1M" : n == 10_000_000 ? "10M" : "\(n) (reduced from 1M)"
        if BenchClock.now() > minuteStart - 2 {
            throw BenchError("creating \(n) waiting instances took \(creation) s, past the minute their timers were due in")
        }
        // Rather than idle until the minute comes, the clock the scheduler and the engine see jumps
        // ahead to 2 s before it (every instant below is on that clock: due times, lateness).
        let offset = minuteStart - 2 - wallClock()
        driver.clockOffset = offset
        func now() -> Double { wallClock() + offset }
        try await Task.sleep(for: .seconds(max(0, minuteStart - now())))

        // Fire: page through the durable timer index as the service's TimerScheduler does — a
        // cursor over (next_wake_at, customer_id), the next page read while the partitions process
        // the ones before (StoreDriver.drain) — and process the due wake-ups.
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        let outcome = try await driver.drain(
            DueTimers(store: store, ownership: driver.ownership, offset: offset, minuteEnd: minuteStart + 60, expected: n))
        let lastFire = now()
        let fired = outcome.wakes
        let outbox = outcome.outbox
        for late in outcome.lateness { _ = histogram.record(UInt64(late * 1_000_000)) }
        try expectWorkload("timers: wake-ups fired", fired, n)
        // Each wake ends the 1 h wait and requests the reminder; it is decided when the policy's
        // 2-minute settle window ends, at a second timer, so no outbox row is written at this wake
        // whatever the hour (these customers have no profile, as the section always had: creating
        // 1M through the store stays one input per instance).
        try expectWorkload("timers: outbox rows at the first wake (the settle window follows)", outbox, 0)
        try expectWorkload("timers: instances waiting on their settle timer", try await store.statistics(now: now()).timersPending, n)
        let allFired = lastFire - (minuteStart + 60)
        let p99 = Double(histogram.valueAtPercentile(99)) / 1000
        table.add(
            "timers \(label): all fired, s after the minute ends", allFired, "s", reference: ("creation time, s", creation), target: "within 60 s",
            met: allFired <= 60)
        table.add("timers \(label): lateness p99", p99, "ms", reference: ("p50 ms", Double(histogram.valueAtPercentile(50)) / 1000))
        table.add(
            "timers \(label): fire rate", Double(n) / (lastFire - minuteStart), "timers/s", reference: ("instances created/s", Double(n) / creation))
        table.add(
            "timers \(label): database per waiting instance", waitingBytes / Double(n), "bytes", reference: ("empty database, bytes", emptyBytes),
            target: "< 1 KiB", met: waitingBytes / Double(n) < 1024)
        // The RSS target is for 10M waiting instances; smaller runs report it without a verdict
        // (and only mean something with --only timers: other sections leave freed pages behind).
        table.add(
            "timers \(label): process RSS while waiting", rss / 1_048_576, "MiB",
            reference: ("RSS at the section's start, after malloc_trim, MiB", rssAtStart / 1_048_576), target: "< 1 GiB with 10M waiting",
            met: n >= 10_000_000 ? rss < 1_073_741_824 : nil)
    }

    /// The due timers of the minute, a page of up to 2,048 at a time as they come due, until
    /// `expected` have been read.
    struct DueTimers: WorkSource {
        let store: any JourneyStore
        let ownership: ShardOwnership
        /// Added to the wall clock: the clock the scheduler and the engine see.
        let offset: Double
        /// Only timers due before this instant count (the settle timers that follow do not).
        let minuteEnd: Double
        let expected: Int
        var cursor: WakeUp?
        var read = 0

        init(store: any JourneyStore, ownership: ShardOwnership, offset: Double, minuteEnd: Double, expected: Int) {
            self.store = store
            self.ownership = ownership
            self.offset = offset
            self.minuteEnd = minuteEnd
            self.expected = expected
        }

        mutating func nextPage() async throws -> [StoreDriver.Work]? {
            while read < expected {
                let now = wallClock() + offset
                let page = try await store.dueWakeUps(until: now, after: cursor, limit: 2048, ownership: ownership)
                let due = page.filter { $0.at < minuteEnd }
                if due.isEmpty {
                    if now > minuteEnd + 540 { throw BenchError("only \(read) of \(expected) timers fired within 10 minutes") }
                    try await Task.sleep(for: .milliseconds(5))
                    continue
                }
                cursor = page.last
                read += due.count
                return due.map { .wake($0) }
            }
            return nil
        }
    }

    /// glibc's `malloc_trim(0)` (not in Swift's Glibc module), looked up at run time; nothing
    /// elsewhere.
    static func trimMalloc() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
