import Foundation
import HeraldSimulation
import JourneyEngine
import JourneyLanguage

/// `herald replay` against two journey sets, as a ratio to one dry-run of the same input: the
/// dry-run section's customers written once as an input log (the export format) and once as the
/// dry-run's customer and event files, then `Replay.run` (partition, group, two engine runs per
/// customer, the difference) against `herald dry-run`'s path (`SampleLoader`, `DryRun.run`, the
/// report). Peak memory of each is its own high-water mark (reset in between through
/// `/proc/self/clear_refs`). Each is run twice, alternating, and the faster run of each counts; the
/// replay's peak is its first run's, before the dry-run ever grew the heap.
enum ReplayBench {
    static func run(_ options: BenchOptions, into table: inout ResultTable) throws {
        let engine = try DryRunBench.engine(options)
        let n = options.customers
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-replay-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (customersFile, eventsFile, logFile) = (directory + "/customers.ndjson", directory + "/events.ndjson", directory + "/inputs.ndjson")
        try DryRunBench.writeInputs(n, customers: customersFile, events: eventsFile)
        try writeLog(n, to: logFile)
        let until = DryRunBench.base + 9 * 86_400

        // Two rounds, alternating, and the faster of each: a shared machine's load comes and goes.
        var replayed = Double.infinity
        var dryRun = Double.infinity
        var replayPeak = 0.0
        var dryPeak = 0.0
        var result: ReplayResult?
        for round in 0..<2 {
            resetPeak()
            let replayStarted = ContinuousClock.now
            let replay = try Replay(base: engine, candidate: engine).run(
                log: logFile, options: ReplayOptions(until: until, temporaryDirectory: directory))
            replayed = min(replayed, seconds(since: replayStarted))
            // The first round's only: later, the process still holds the heap the dry-run freed.
            if round == 0 { replayPeak = Machine.status("VmHWM") }
            guard replay.difference.customers == n, replay.difference.isEmpty else {
                throw BenchError("the replay of one set against itself found a difference or lost customers")
            }
            result = replay

            resetPeak()
            let dryStarted = ContinuousClock.now
            let loader = SampleLoader(strict: true)
            let customers = try loader.customers(at: customersFile).customers
            let events = try loader.events(at: eventsFile)
            let dry = DryRun(engine: engine).run(
                customers: customers, events: events.events, history: events.history, options: DryRunOptions(until: until))
            let report = dry.report
            dryRun = min(dryRun, seconds(since: dryStarted))
            dryPeak = max(dryPeak, Machine.status("VmHWM"))
            blackHole(report)
            guard dry.outbox.count == replay.difference.baseSends else {
                throw BenchError("the replay (\(replay.difference.baseSends) sends) and the dry-run (\(dry.outbox.count)) disagree")
            }
        }
        guard let result else { throw BenchError("no replay ran") }
        print(
            String(
                format: "  replay: %d customers, %d inputs, %d sends per set, %d bucket(s): %.3f s (peak %.0f MiB); dry-run %.3f s (peak %.0f MiB)",
                n, result.inputCount, result.difference.baseSends, result.buckets, replayed, replayPeak / 1_048_576, dryRun, dryPeak / 1_048_576))
        let label = n == 1_000_000 ? "1M" : "\(n) (reduced from 1M)"
        table.add(
            "replay \(label) customers against two sets: whole run", replayed, "s", reference: ("one dry-run of the same input, s", dryRun))
        table.add(
            "replay ÷ one dry-run of the same input", replayed / dryRun, "×", reference: ("dry-run, s", dryRun), target: "< 2.5×",
            met: replayed / dryRun < 2.5)
        table.add("replay peak RSS (VmHWM)", replayPeak / 1_048_576, "MiB", reference: ("dry-run peak, MiB", dryPeak / 1_048_576))
    }

    /// Resets the peak RSS (VmHWM) to the current RSS (Linux: `5` into `/proc/self/clear_refs`).
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// The inputs `DryRunBench.writeInputs` writes, as an input log: a profile, then the events, each
    /// at its accepted time, in accepted order.
    static func writeLog(_ n: Int, to path: String) throws {
        var lines: [(Int, String)] = []
        lines.reserveCapacity(n * 3)
        let start = Int(DryRunBench.base)
        func at(_ t: Int) -> String { Value.formatTime(Double(t) + 0.25) }
        for i in 0..<n {
            let t = start + i % 3600
            lines.append(
                (
                    t - 1,
                    #"{"accepted_at": "\#(at(t - 1))", "kind": "profile", "customer_id": "c\#(i)", "profile": {"email": "c\#(i)@example.com", "phone": "+1555\#(i)", "attributes": {"lifetime_value": \#((i * 37) % 1000)}}}"#
                ))
            lines.append(
                (
                    t,
                    #"{"accepted_at": "\#(at(t))", "kind": "event", "event": {"customer_id": "c\#(i)", "id": "e\#(i)a", "name": "cart.updated", "properties": {"items": 2}, "timestamp": \#(t)}}"#
                ))
            if i % 4 == 0 {
                lines.append(
                    (
                        t + 7200,
                        #"{"accepted_at": "\#(at(t + 7200))", "kind": "event", "event": {"customer_id": "c\#(i)", "id": "e\#(i)b", "name": "email.clicked", "timestamp": \#(t + 7200)}}"#
                    ))
            }
            if i % 10 == 0 {
                lines.append(
                    (
                        t + 2 * 86400,
                        #"{"accepted_at": "\#(at(t + 2 * 86400))", "kind": "event", "event": {"customer_id": "c\#(i)", "id": "e\#(i)c", "name": "order.completed", "properties": {"total": 99}, "timestamp": \#(t + 2 * 86400)}}"#
                    ))
            }
        }
        lines.sort { $0.0 < $1.0 }
        var text = ""
        text.reserveCapacity(lines.count * 200)
        for line in lines {
            text += line.1
            text += "\n"
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }
}
