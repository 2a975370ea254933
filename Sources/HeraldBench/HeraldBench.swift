import Foundation

/// herald-bench: release-mode benchmarks that print one table. Every figure sits next to a
/// reference measured in the same run on the same machine (these machines are shared and noisy).
/// See BENCHMARKS.md for the latest figures and `herald-bench --help` for the flags.
@main
struct HeraldBench {
    static func main() async {
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
        print("herald-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Machine.memoryDescription)")
        print("journeys: \(options.journeys)  data: \(options.dataDirectory)")
        print("store sections' clock starts at \(Date(timeIntervalSince1970: options.startTime)) (--start-time)")

        var table = ResultTable()
        var workloadFailures: [String] = []
        func section(_ name: String, _ body: (inout ResultTable) async throws -> Void) async {
            guard options.selected(name) else {
                table.notRun(name, reason: "not selected (--only)")
                return
            }
            let started = ContinuousClock.now
            BenchClock.pin(at: options.startTime)
            print("… \(name)")
            var local = ResultTable()
            do {
                try await body(&local)
            } catch {
                local.notRun(name, reason: "failed: \(error)")
                if error is WorkloadError { workloadFailures.append(name) }
            }
            table.rows += local.rows
            print("  \(name) took \(started.duration(to: .now))")
        }
        await section("dry-run") { try await DryRunBench.run(options, into: &$0) }
        await section("replay") { try ReplayBench.run(options, into: &$0) }
        await section("sqlite") { try await SQLiteBench.run(options, into: &$0) }
        await section("http") { try await HTTPBench.run(options, into: &$0) }
        await section("latency") { try await LatencyBench.run(options, into: &$0) }
        await section("timers") { try await TimerBench.run(options, into: &$0) }
        await section("postgres") { try await PostgresBench.run(options, into: &$0) }
        await section("delivery") { try await DeliveryBench.run(options, into: &$0) }
        await section("lsp") { try LanguageServerBench.run(options, into: &$0) }
        await section("console") { try await ConsoleBench.run(options, into: &$0) }
        await section("send-time") { try SendTimeBench.run(options, into: &$0) }
        await section("scaling") { try await ScalingBench.run(options, into: &$0) }
        print("")
        table.print()
        if !workloadFailures.isEmpty {
            FileHandle.standardError.write(
                Data("herald-bench: the workload differed in \(workloadFailures.joined(separator: ", ")); see above\n".utf8))
            exit(1)
        }
    }
}
