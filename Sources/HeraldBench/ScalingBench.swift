import Foundation
import GRDB
import HeraldSQLite
import JourneyEngine
import JourneyLanguage

/// Scaling curves (#18): the cost per customer, per event or per timer at growing sizes, measured
/// in one run so the rows compare. Not part of the default run (`--only scaling`); the sizes come
/// from `--scaling-customers`, `--scaling-waiting` and `--scaling-timers`.
///
/// - dry-run: the engine loop and `herald dry-run`'s path (files, DryRun, report), per customer.
/// - processing: SQLite full sync, the sqlite section's workload (`--sqlite-events` new customers,
///   one reminder email each) on a store that already holds W waiting instances.
/// - timers: T instances whose timers fall due within one minute, fired as TimerBench fires them;
///   the processing time per timer.
///
/// The waiting instances are made by the engine (a profile, then a cart event: waiting in the
/// 1 h wait) and written straight into the customers table, 50,000 rows per transaction, as the
/// store writes them (`CustomerStateCoding`); processing them one by one would take hours at 10M.
enum ScalingBench {
    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let engine = try DryRunBench.engine(options)

        var first: (loop: Double, files: Double)?
        for n in options.scalingCustomers {
            let (counts, loop, states) = await DryRunBench.engineLoop(n, engine: engine)
            blackHole(states)
            try expectWorkload("scaling dry-run \(n): sends", counts.sends, DryRunBench.expectedSends(n))
            let files = try DryRunBench.viaFiles(n, engine: engine)
            let perLoop = loop / Double(n) * 1e6
            let perFiles = files.elapsed / Double(n) * 1e6
            let base = first ?? (perLoop, perFiles)
            first = base
            table.add(
                "scaling dry-run engine loop, \(format(Double(n))) customers", perLoop, "µs/customer", reference: ("smallest size, µs", base.loop),
                target: "≤ 1.3× smallest", met: perLoop <= 1.3 * base.loop)
            table.add(
                "scaling dry-run via files, \(format(Double(n))) customers", perFiles, "µs/customer", reference: ("smallest size, µs", base.files),
                target: "≤ 1.3× smallest", met: perFiles <= 1.3 * base.files)
            print(
                String(
                    format: "  scaling dry-run %d: loop %.2f s; files: loading %.2f s, replay %.2f s, report %.2f s, peak %.0f MiB", n, loop,
                    files.loaded, files.replayed, files.reported, files.peak / 1_048_576))
        }

        var firstEvent: Double?
        for waiting in options.scalingWaiting {
            let perEvent = try await processing(options, engine: engine, waiting: waiting)
            let base = firstEvent ?? perEvent
            firstEvent = base
            table.add(
                "scaling sqlite full sync: processed with \(format(Double(waiting))) waiting", perEvent, "µs/event",
                reference: ("first size, µs", base), target: "≤ 1.3× first", met: perEvent <= 1.3 * base)
        }

        var firstTimer: Double?
        for timers in options.scalingTimers {
            let (perTimer, after) = try await firing(options, engine: engine, timers: timers)
            let base = firstTimer ?? perTimer
            firstTimer = base
            table.add(
                "scaling timers: \(format(Double(timers))) due in one minute, processing", perTimer, "µs/timer",
                reference: ("first size, µs", base), target: "≤ 1.3× first", met: perTimer <= 1.3 * base)
            table.add(
                "scaling timers: \(format(Double(timers))) all fired, s after the minute ends", after, "s", reference: nil, target: "within 60 s",
                met: after <= 60)
        }
    }

    /// Writes `count` customers waiting in cart_abandonment's 1 h wait, with timers due from
    /// `firstDue` over `spread` seconds, into the customers table of the store at `path`.
    static func writeWaiting(path: String, count: Int, engine: JourneyEngine, run: String, firstDue: Double, spread: Double) throws {
        guard count > 0 else { return }
        let pool = try DatabasePool(path: path)
        let started = ContinuousClock.now
        var start = 0
        while start < count {
            let end = min(count, start + 50_000)
            try pool.write { db in
                let statement = try db.makeStatement(
                    sql: "INSERT INTO customers (id, shard, version, state, next_wake_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)")
                for i in start..<end {
                    let id = "\(run)-c\(i)"
                    var profile = DryRunBench.profile(i)
                    profile.id = id
                    var state = CustomerState(profile: profile)
                    let due = firstDue + spread * Double(i) / Double(count)
                    let event = CustomerEvent(
                        id: "\(run)-e\(i)", customerID: id, name: "cart.updated", properties: ["items": .number(2)], timestamp: due - 3600)
                    _ = engine.handle(.event(event), state: &state, now: due - 3600)
                    guard let wake = state.nextWakeAt, abs(wake - due) < 0.001 else {
                        throw BenchError("customer \(id) is not waiting until \(due): \(String(describing: state.nextWakeAt))")
                    }
                    try statement.execute(arguments: [id, CustomerShard.of(id), Data(CustomerStateCoding.encode(state)), due, due - 3600])
                }
            }
            start = end
        }
        print(String(format: "  scaling: %d waiting instances written in %.1f s", count, seconds(since: started)))
    }

    /// Seconds per event for the sqlite section's workload on a store holding `waiting` instances.
    static func processing(_ options: BenchOptions, engine: JourneyEngine, waiting: Int) async throws -> Double {
        let path = try freshDatabase(options, "scaling-processing")
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: path, durability: .full))
        let driver = try await StoreDriver(store: store, engine: engine, clockOffset: BenchClock.offset)
        let now = BenchClock.now()
        // The waiting instances' timers are a day away: none fires during the measurement.
        try writeWaiting(path: path, count: waiting, engine: engine, run: "waiting", firstDue: now + 86_400, spread: 3600)

        let n = options.sqliteEvents
        let items = (0..<n).map { StoreDriver.event($0, run: "scaling-\(waiting)", timestamp: now - 7200) }
        try await driver.createProfiles(for: items, acceptedAt: now)
        for start in stride(from: 0, to: n, by: 100) { _ = try await store.enqueue(Array(items[start..<min(n, start + 100)])) }

        let started = ContinuousClock.now
        let outcome = try await driver.drainInbox()
        let elapsed = seconds(since: started)
        try expectWorkload("scaling processing with \(waiting) waiting: outbox rows", outcome.outbox, n)
        try expectWorkload(
            "scaling processing with \(waiting) waiting: customers stored", try await store.statistics(now: BenchClock.now()).customers,
            waiting + n)
        print(String(format: "  scaling: %d waiting: %d events processed in %.2f s (%.0f events/s)", waiting, n, elapsed, Double(n) / elapsed))
        return elapsed / Double(n) * 1e6
    }

    /// Fires `timers` timers due within one minute; returns the processing time per timer (µs,
    /// the time inside load, engine and commit) and when the last fired after the minute ended.
    static func firing(_ options: BenchOptions, engine: JourneyEngine, timers n: Int) async throws -> (Double, Double) {
        let path = try freshDatabase(options, "scaling-timers")
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: path, durability: .full))
        let minuteStart = BenchClock.now() + 3600
        try writeWaiting(path: path, count: n, engine: engine, run: "timers", firstDue: minuteStart, spread: 60)
        // The clock jumps to 2 s before the minute (the shards are taken then, for their lease).
        let offset = minuteStart - 2 - wallClock()
        let driver = try await StoreDriver(store: store, engine: engine, clockOffset: offset)
        func now() -> Double { wallClock() + offset }
        try await Task.sleep(for: .seconds(max(0, minuteStart - now())))
        var fired = 0
        var busy = 0.0
        var lastFire = 0.0
        while fired < n {
            let due = try await store.dueWakeUps(until: now(), after: nil, limit: 2048, ownership: driver.ownership).filter {
                $0.at < minuteStart + 60
            }
            if due.isEmpty {
                if now() > minuteStart + 3600 { throw BenchError("only \(fired) of \(n) timers fired within an hour") }
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            let started = ContinuousClock.now
            let outcome = try await driver.process(due.map { .wake($0) })
            busy += seconds(since: started)
            fired += outcome.wakes
            lastFire = now()
        }
        try expectWorkload("scaling timers \(n): wake-ups fired", fired, n)
        let after = lastFire - (minuteStart + 60)
        print(String(format: "  scaling: %d timers fired, %.2f s processing, last %.1f s after the minute ended", n, busy, after))
        return (busy / Double(n) * 1e6, after)
    }
}
