import ChildProcess
import Foundation
import HeraldChannels
import HeraldSQLite
import HeraldService
import Hummingbird
import JourneyEngine
import JourneyLanguage
import Logging

/// 9. The Herald Console on SQLite with `--console-customers` customers waiting in
/// cart_abandonment (stored in bulk through the store's commit path): the overview and the journey map answered by the real server (signed in,
/// pages rendered from the counters), p50 and p99 over sequential requests from one keep-alive
/// curl, next to `GET /healthz` from the same curl in the same run; and `POST /v1/events`
/// ingestion (wrk, as the http section) with 10 open live streams (`/console/stream`) against none.
enum ConsoleBench {
    static let requests = 200

    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let n = options.consoleCustomers
        guard let curl = BenchProcesses.which("curl") else {
            return table.notRun("console", reason: "not run: curl is not installed")
        }
        let data =
            options.dataDirectory.hasPrefix("/") ? options.dataDirectory : FileManager.default.currentDirectoryPath + "/" + options.dataDirectory
        let directory = data + "/console"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        // Set-up (not timed): n customers enter cart_abandonment now and wait (their timers are an
        // hour away, so the scheduler stays idle while the pages are measured). Each goes through
        // the engine; the commits (state, outbox, log and the counters the service keeps, as
        // CustomerStepper builds them) go to the store's own commit path 10,000 per transaction.
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: directory + "/herald.sqlite"))
        let engine = try DryRunBench.engine(options)
        let now = wallClock()
        let run = "console-\(Int(now))"
        let ownership = try await store.acquireShards(owner: "bench", leaseDuration: 3_600, now: now)
        let setupStarted = ContinuousClock.now
        for start in stride(from: 0, to: n, by: 10_000) {
            var commits: [CustomerCommit] = []
            for i in start..<min(n, start + 10_000) {
                let id = "\(run)-c\(i)"
                var state = CustomerState(profile: CustomerProfile(id: id))
                let event = CustomerEvent(id: "\(run)-e\(i)", customerID: id, name: "cart.updated", properties: ["items": .number(2)], timestamp: now)
                let output = engine.handle(.event(event), state: &state, now: now)
                let records = EngineRecords(output, before: nil)
                commits.append(
                    CustomerCommit(
                        customerID: id, at: now, lease: ownership.lease(for: CustomerShard.of(id)), expectedVersion: 0,
                        change: .save(state, nextWakeAt: engine.nextWakeAt(of: state)), outbox: output.outbox, log: records.log,
                        counters: records.counters.merging(EngineRecords.waitingDelta(before: nil, after: state), uniquingKeysWith: +)))
            }
            try await store.commit(commits)
        }
        print(String(format: "  %@ customers stored in %.1f s", format(Double(n)), seconds(since: setupStarted)))

        let server = try await BenchServer.start(options, store: store, directory: directory, label: "herald-bench.console")
        defer { server.running.cancel() }
        let port = server.port
        let base = "http://127.0.0.1:\(port)"

        // Sign in as a browser does; the session cookie opens the pages and the streams.
        let login = try BenchProcesses.run(curl, ["-s", "-D", "-", "-o", "/dev/null", "-d", "api_key=bench-key", base + "/console/login"])
        guard let cookieLine = login.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("set-cookie:") }),
            let cookie = cookieLine.split(separator: ":", maxSplits: 1).last?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        else { throw BenchError("the console did not sign in: \(login)") }

        // Latency: sequential requests on one keep-alive connection; /healthz is the floor of
        // HTTP, routing and the client on this machine in this run.
        func latencies(_ path: String) throws -> (p50: Double, p99: Double) {
            _ = try times(curl, base + path, cookie: cookie, count: 20)  // warm-up
            let sorted = try times(curl, base + path, cookie: cookie, count: requests).sorted()
            return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)])
        }
        let health = try latencies("/healthz")
        let overview = try latencies("/console")
        let map = try latencies("/console/journeys/cart_abandonment")
        let size = "\(format(Double(n))) customers"
        table.add("console: overview p50 (\(size))", overview.p50, "ms", reference: ("GET /healthz p50 ms", health.p50))
        table.add(
            "console: overview p99 (\(size))", overview.p99, "ms", reference: ("GET /healthz p99 ms", health.p99), target: "< 100 ms",
            met: overview.p99 < 100)
        table.add("console: journey map p50 (\(size))", map.p50, "ms", reference: ("GET /healthz p50 ms", health.p50))
        table.add(
            "console: journey map p99 (\(size))", map.p99, "ms", reference: ("GET /healthz p99 ms", health.p99), target: "< 100 ms",
            met: map.p99 < 100)

        // What the overview no longer reads (it did before it read only counters): the store
        // statistics, count(*) over customers and timers, for comparison.
        var statistics: [Double] = []
        for _ in 0..<21 {
            let started = ContinuousClock.now
            _ = try await store.statistics(now: wallClock())
            statistics.append(seconds(since: started) * 1000)
        }
        table.add(
            "console: count(*) statistics (not read by the overview), p50 (\(size))", statistics.sorted()[10], "ms",
            reference: ("overview p50 ms", overview.p50))

        // Ingestion with and without 10 live streams (the http section's wrk script and batches).
        guard let wrk = BenchProcesses.which("wrk") else {
            return table.notRun("console: POST /v1/events with 10 live streams", reason: "not run: wrk is not installed (apt-get install -y wrk)")
        }
        let script = directory + "/events.lua"
        try HTTPBench.luaScript.write(toFile: script, atomically: true, encoding: .utf8)
        func ingest(_ label: String) throws -> Double {
            let result = try BenchProcesses.wrk(
                wrk, threads: 1, connections: options.httpConnections, seconds: 5, script: script, url: base + "/v1/events",
                scriptArguments: ["\(run)-\(label)"])
            guard result.failures == 0 else { throw BenchError("\(result.failures) failed requests: \(result.output)") }
            return result.requestsPerSecond * Double(HTTPBench.batch)
        }
        // Two rounds, none then streams, the better of each: a neighbour's burst on a shared
        // machine lowers one run, not the comparison.
        var without = 0.0
        var with = 0.0
        for round in 0..<2 {
            without = max(without, try ingest("none\(round)"))
            let streams = (0..<10).map { _ in
                let process = ChildProcess()
                process.executableURL = URL(fileURLWithPath: curl)
                process.arguments = ["-s", "-N", "-o", "/dev/null", "-H", "Cookie: \(cookie)", base + "/console/stream?journey=cart_abandonment"]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                return process
            }
            for stream in streams { try stream.run() }
            defer {
                for stream in streams where stream.isRunning { stream.terminate() }
            }
            try await Task.sleep(for: .seconds(1))
            let open = streams.filter(\.isRunning).count
            guard open == 10 else { throw BenchError("only \(open) of 10 streams stayed open") }
            with = max(with, try ingest("streams\(round)"))
        }
        table.add(
            "console: POST /v1/events with 10 live streams", with, "events/s", reference: ("no streams, same run", without),
            target: "≥ 0.9 × none", met: with >= 0.9 * without)
        await server.stop()
    }

    /// `count` GETs of `url` on one curl connection; each one's total time in ms.
    static func times(_ curl: String, _ url: String, cookie: String, count: Int) throws -> [Double] {
        var arguments = ["-s", "-f", "-H", "Cookie: \(cookie)", "-w", "%{time_total}\\n"]
        for _ in 0..<count { arguments += ["-o", "/dev/null", url] }
        let output = try BenchProcesses.run(curl, arguments)
        let values = output.split(separator: "\n").compactMap { Double($0) }.map { $0 * 1000 }
        guard values.count == count else { throw BenchError("curl answered \(values.count) of \(count) requests for \(url): \(output)") }
        return values
    }
}
