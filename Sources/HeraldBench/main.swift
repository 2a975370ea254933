import Foundation

// herald-bench: release-mode benchmarks that print one table. Every figure sits next to a
// reference measured in the same run on the same machine (these machines are shared and noisy).
// See BENCHMARKS.md for the latest figures and `herald-bench --help` for the flags.

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("herald-bench: \(error)\n\n\(BenchOptions.usage)\n".utf8))
    exit(2)
}
if options.help {
    print(BenchOptions.usage)
    exit(0)
}

var table = ResultTable()
print("herald-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Machine.memoryDescription)")
print("journeys: \(options.journeys)  data: \(options.dataDirectory)")

func section(_ name: String, _ body: () async throws -> Void) async {
    guard options.selected(name) else {
        table.notRun(name, reason: "not selected (--only)")
        return
    }
    let started = ContinuousClock.now
    print("… \(name)")
    do {
        try await body()
    } catch {
        table.notRun(name, reason: "failed: \(error)")
    }
    print("  \(name) took \(started.duration(to: .now))")
}

await section("dry-run") { try await DryRunBench.run(options, into: &table) }
await section("sqlite") { try await SQLiteBench.run(options, into: &table) }
await section("latency") { try await LatencyBench.run(options, into: &table) }
await section("timers") { try await TimerBench.run(options, into: &table) }
await section("delivery") { try await DeliveryBench.run(options, into: &table) }

print("")
table.print()
