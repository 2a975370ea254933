import Foundation
import HeraldSimulation
import JourneyEngine
import JourneyLanguage

/// 1. Dry-run throughput: customers through cart_abandonment with the sample policy, on the engine
/// directly (the dry-run's in-memory world: simulated clock, aggregates held in memory).
enum DryRunBench {
    /// 2026-03-02 09:00 UTC: inside the policy's allowed hours, so sends are not deferred by quiet hours.
    static let base: Double = 1_772_442_000

    static func engine(_ options: BenchOptions) throws -> JourneyEngine {
        let compiled = JourneyCompiler.compile(directory: options.journeys)
        guard var catalog = compiled.catalog else {
            throw BenchError("\(options.journeys) does not compile: \(compiled.errors.map { "\($0)" }.joined(separator: "; "))")
        }
        catalog.journeys.removeAll { $0.name != "cart_abandonment" }
        guard !catalog.journeys.isEmpty else { throw BenchError("no cart_abandonment journey in \(options.journeys)") }
        return JourneyEngine(catalog: catalog)
    }

    struct Counts: Sendable {
        var customers = 0
        var inputs = 0
        var transitions = 0
        var sends = 0
        var retained = 0
        static func + (a: Counts, b: Counts) -> Counts {
            Counts(
                customers: a.customers + b.customers, inputs: a.inputs + b.inputs, transitions: a.transitions + b.transitions,
                sends: a.sends + b.sends, retained: a.retained + b.retained)
        }
    }

    /// The sends `live` decides for customers 0..<n when no policy rule blocks one: the reminder
    /// for everyone, and the VIP email or the SMS for the three quarters who do not click.
    static func expectedSends(_ n: Int) -> Int { n + (n - (n + 3) / 4) }

    /// The engine inputs `live` feeds customers 0..<n: 4 for a clicker, 5 for the others, one more
    /// for every tenth (the order).
    static func expectedInputs(_ n: Int) -> Int { 5 * n - (n + 3) / 4 + (n + 9) / 10 }

    static func profile(_ i: Int) -> CustomerProfile {
        CustomerProfile(
            id: "c\(i)", email: "c\(i)@example.com", phone: "+1555\(i)",
            attributes: ["lifetime_value": .number(Double((i * 37) % 1000))])
    }

    /// One customer's life in the journey: cart updated → 1 h wait → reminder email (decided when
    /// the policy's settle window ends) → wait for a click up to 1 day (a quarter click and exit; the
    /// rest time out and get the VIP email or the SMS) → a tenth later order (goal). Returns the
    /// final aggregate.
    static func live(_ i: Int, engine: JourneyEngine, counts: inout Counts) -> CustomerState {
        var state = CustomerState(profile: profile(i))
        let start = base + Double(i % 3600)
        func feed(_ input: EngineInput, at now: Double) {
            let output = engine.handle(input, state: &state, now: now)
            counts.inputs += 1
            counts.transitions += output.timeline.count
            counts.sends += output.outbox.count
        }
        feed(
            .event(CustomerEvent(id: "e\(i)a", customerID: "c\(i)", name: "cart.updated", properties: ["items": .number(2)], timestamp: start)),
            at: start)
        feed(.wake, at: start + 3600)  // the 1 h wait ends: the reminder is requested
        feed(.wake, at: start + 3600 + 120)  // the policy's 2-minute settle window ends: decided
        if i % 4 == 0 {
            feed(.event(CustomerEvent(id: "e\(i)b", customerID: "c\(i)", name: "email.clicked", timestamp: start + 7200)), at: start + 7200)
        } else {
            feed(.wake, at: start + 3600 + 86400)  // no click within a day: VIP email or SMS requested
            feed(.wake, at: start + 3600 + 86400 + 120)  // settle window ends: decided
        }
        if i % 10 == 0 {
            feed(
                .event(
                    CustomerEvent(
                        id: "e\(i)c", customerID: "c\(i)", name: "order.completed", properties: ["total": .number(99)], timestamp: start + 2 * 86400)),
                at: start + 2 * 86400)
        }
        counts.customers += 1
        return state
    }

    /// The engine loop: customers 0..<n through `live` on every core (64 chunks), every aggregate
    /// kept until the end, as the dry-run holds all customers.
    static func engineLoop(_ n: Int, engine: JourneyEngine) async -> (counts: Counts, seconds: Double, states: [[CustomerState]]) {
        let chunks = 64
        let started = ContinuousClock.now
        let (counts, states) = await withTaskGroup(of: (Counts, [CustomerState]).self) { group in
            for chunk in 0..<chunks {
                group.addTask {
                    var counts = Counts()
                    var states: [CustomerState] = []
                    let range = stride(from: chunk, to: n, by: chunks)
                    states.reserveCapacity(n / chunks + 1)
                    for i in range { states.append(live(i, engine: engine, counts: &counts)) }
                    counts.retained = states.count
                    return (counts, states)
                }
            }
            var total = Counts()
            var all: [[CustomerState]] = []
            for await (c, s) in group {
                total = total + c
                all.append(s)
            }
            return (total, all)
        }
        return (counts, seconds(since: started), states)
    }

    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let engine = try engine(options)
        let n = options.customers
        let chunks = 64
        let hwmBefore = Machine.status("VmHWM")
        let (counts, elapsed, states) = await engineLoop(n, engine: engine)
        let hwm = Machine.status("VmHWM")
        blackHole(states)
        try expectWorkload("dry-run engine loop: customers", counts.customers, n)
        try expectWorkload("dry-run engine loop: inputs", counts.inputs, expectedInputs(n))
        try expectWorkload("dry-run engine loop: sends decided", counts.sends, expectedSends(n))

        // Reference: the same number of plain dictionary updates (one per engine input), same chunking.
        let refStarted = ContinuousClock.now
        let inputsPerCustomer = Double(counts.inputs) / Double(max(1, counts.customers))
        let refTotal = await withTaskGroup(of: Int.self) { group in
            for chunk in 0..<chunks {
                group.addTask {
                    var dictionary: [String: Int] = [:]
                    for i in stride(from: chunk, to: n, by: chunks) {
                        let key = "c\(i)"
                        let updates = (i % 4 == 0 ? 4 : 5) + (i % 10 == 0 ? 1 : 0)
                        for u in 0..<updates { dictionary[key, default: 0] += u }
                    }
                    return dictionary.count
                }
            }
            var total = 0
            for await c in group { total += c }
            return total
        }
        let refElapsed = seconds(since: refStarted)
        blackHole(refTotal)
        print(
            String(
                format: "  dry-run: %d customers, %d inputs (%.2f each), %d timeline records, %d sends in %.3f s; reference %.3f s",
                counts.customers, counts.inputs, inputsPerCustomer, counts.transitions, counts.sends, elapsed, refElapsed))

        let label = n == 1_000_000 ? "1M" : "\(n) (reduced from 1M)"
        table.add(
            "dry-run \(label) customers: whole run", elapsed, "s", reference: ("dict updates, s", refElapsed),
            target: "< 10 s" + (n == 1_000_000 ? "" : " for 1M"), met: n == 1_000_000 ? elapsed < 10 : nil)
        table.add(
            "dry-run engine loop (ratio: ÷ dict updates)", elapsed, "s", reference: ("dict updates, s", refElapsed), target: "≤ 10× (#18)",
            met: elapsed <= 10 * refElapsed)
        table.add(
            "dry-run customers/s", Double(counts.customers) / elapsed, "customers/s",
            reference: ("dict updates/s ÷ inputs per customer", Double(counts.inputs) / refElapsed / inputsPerCustomer))
        table.add(
            "dry-run inputs (events+timers)/s", Double(counts.inputs) / elapsed, "inputs/s",
            reference: ("dict updates/s", Double(counts.inputs) / refElapsed))
        table.add(
            "dry-run timeline records (transitions)/s", Double(counts.transitions) / elapsed, "records/s",
            reference: ("records per customer", Double(counts.transitions) / Double(max(1, counts.customers))))
        table.add(
            "dry-run sends decided per customer", Double(counts.sends) / Double(max(1, counts.customers)), "sends/customer",
            reference: ("expected without policy blocks", 1.75))
        table.add("dry-run peak RSS (VmHWM)", hwm / 1_048_576, "MiB", reference: ("VmHWM before, MiB", hwmBefore / 1_048_576))

        try product(options, engine: engine, reference: refElapsed, into: &table)
    }

    /// The same customers through what `herald dry-run` runs: the profiles and events read from
    /// NDJSON files by `SampleLoader` (the files are written first, untimed), `DryRun.run`
    /// (grouping by customer, replay on every core, every timeline and outbox kept) and the report
    /// (funnel per journey and stage).
    static func product(_ options: BenchOptions, engine: JourneyEngine, reference refElapsed: Double, into table: inout ResultTable) throws {
        let n = options.customers
        let run = try viaFiles(n, engine: engine)
        let (loaded, replayed, reported, elapsed, peak) = (run.loaded, run.replayed, run.reported, run.elapsed, run.peak)
        let label = n == 1_000_000 ? "1M" : "\(n) (reduced from 1M)"
        table.add(
            "dry-run \(label) via files, DryRun, report: whole run", elapsed, "s", reference: ("dict updates, s", refElapsed),
            target: "< 10 s" + (n == 1_000_000 ? "" : " for 1M"), met: n == 1_000_000 ? elapsed < 10 : nil)
        table.add("dry-run via DryRun: replay (DryRun.run)", replayed, "s", reference: ("whole run, s", elapsed))
        table.add("dry-run via DryRun: report (DryRunReport)", reported, "s", reference: ("whole run, s", elapsed))
        table.add("dry-run via DryRun: loading the NDJSON files", loaded, "s", reference: ("whole run, s", elapsed))
        table.add(
            "dry-run via files (ratio: ÷ reading and parsing them)", elapsed, "s", reference: ("SampleLoader alone, s", loaded),
            target: "≤ 2× (#18)", met: elapsed <= 2 * loaded)
        table.add(
            "dry-run via files: peak RSS (VmHWM, reset before)", peak / 1_048_576, "MiB", reference: ("2 GiB", 2048), target: "< 2 GiB (#18)",
            met: peak < 2 * 1_073_741_824)
    }

    /// `herald dry-run`'s path for customers 0..<n: the files written (untimed), then loading,
    /// `DryRun.run` and the report, timed, with the peak RSS reset first. Checks the workload (every
    /// customer entered, the expected sends).
    static func viaFiles(
        _ n: Int, engine: JourneyEngine
    ) throws -> (
        loaded: Double, replayed: Double, reported: Double, elapsed: Double, peak: Double
    ) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-dry-run-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (customersFile, eventsFile) = (directory + "/customers.ndjson", directory + "/events.ndjson")
        try writeInputs(n, customers: customersFile, events: eventsFile)

        ReplayBench.resetPeak()
        let started = ContinuousClock.now
        let loader = SampleLoader(strict: true)
        let customers = try loader.customers(at: customersFile).customers
        let events = try loader.events(at: eventsFile)
        let loaded = seconds(since: started)
        let replayStarted = ContinuousClock.now
        let result = DryRun(engine: engine).run(
            customers: customers, events: events.events, history: events.history, options: DryRunOptions(until: base + 9 * 86_400))
        let replayed = seconds(since: replayStarted)
        let reportStarted = ContinuousClock.now
        let report = result.report
        let reported = seconds(since: reportStarted)
        let elapsed = seconds(since: started)
        let peak = Machine.status("VmHWM")
        let sends = result.customers.reduce(0) { $0 + $1.outbox.count }
        guard result.customers.count == n, let journey = report.journeys.first(where: { $0.journey == "cart_abandonment" }), journey.entries == n
        else {
            throw BenchError("DryRun did not enter every customer into cart_abandonment")
        }
        try expectWorkload("dry-run via DryRun: sends", sends, expectedSends(n))
        print(
            String(
                format: "  dry-run through DryRun: %d customers, %d events, %d sends: loading %.3f s, replay %.3f s, report %.3f s",
                n, events.events.count, sends, loaded, replayed, reported))
        return (loaded, replayed, reported, elapsed, peak)
    }

    /// Writes the customers and events `live` feeds the engine as the NDJSON files `herald dry-run`
    /// reads (`Journeys/samples/*.ndjson` show the format).
    static func writeInputs(_ n: Int, customers: String, events: String) throws {
        var profiles = ""
        var lines = ""
        profiles.reserveCapacity(n * 100)
        lines.reserveCapacity(n * 150)
        for i in 0..<n {
            profiles +=
                #"{"id": "c\#(i)", "email": "c\#(i)@example.com", "phone": "+1555\#(i)", "attributes": {"lifetime_value": \#((i * 37) % 1000)}}"#
                + "\n"
            let start = Int(base) + i % 3600
            lines += #"{"customer_id": "c\#(i)", "id": "e\#(i)a", "name": "cart.updated", "properties": {"items": 2}, "timestamp": \#(start)}"# + "\n"
            if i % 4 == 0 {
                lines += #"{"customer_id": "c\#(i)", "id": "e\#(i)b", "name": "email.clicked", "timestamp": \#(start + 7200)}"# + "\n"
            }
            if i % 10 == 0 {
                lines +=
                    #"{"customer_id": "c\#(i)", "id": "e\#(i)c", "name": "order.completed", "properties": {"total": 99}, "timestamp": \#(start + 2 * 86400)}"#
                    + "\n"
            }
        }
        try profiles.write(toFile: customers, atomically: false, encoding: .utf8)
        try lines.write(toFile: events, atomically: false, encoding: .utf8)
    }
}
