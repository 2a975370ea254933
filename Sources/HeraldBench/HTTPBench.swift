import Foundation
import GRDB
import HeraldChannels
import HeraldSQLite
import HeraldService
import Hummingbird
import JourneyEngine
import Logging

/// 2a. `POST /v1/events` through the real HeraldService server (Hummingbird, bearer auth, JSON
/// validation, durable enqueue on SQLite with full sync, processing running alongside) on
/// loopback, driven by wrk posting batches of 100 events with unique ids. The reference is the
/// same wrk script against nginx answering 200 in the same run: the rate the client and loopback
/// HTTP allow on this machine, so the ratio says how much of that the server reaches.
enum HTTPBench {
    static let batch = 100
    static let seconds = 10

    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let name = "http: POST /v1/events (batches of \(batch), wrk -t1 -c\(options.httpConnections))"
        guard let wrk = BenchProcesses.which("wrk") else {
            return table.notRun(name, reason: "not run: wrk is not installed (apt-get install -y wrk)")
        }
        let data =
            options.dataDirectory.hasPrefix("/") ? options.dataDirectory : FileManager.default.currentDirectoryPath + "/" + options.dataDirectory
        let directory = data + "/http"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = directory + "/events.lua"
        try luaScript.write(toFile: script, atomically: true, encoding: .utf8)

        // Reference: the same script against nginx (`return 200`), when nginx is installed.
        var reference: (String, Double)?
        if let nginx = BenchProcesses.which("nginx") {
            let floor = try await BenchProcesses.withNginx(nginx, directory: directory, answering: "{}") { base in
                let url = base + "/v1/events"
                return try BenchProcesses.wrk(
                    wrk, threads: 1, connections: options.httpConnections, seconds: 5, script: script, url: url, scriptArguments: ["ref"])
            }
            reference = ("same wrk script → nginx return 200, events/s", floor.requestsPerSecond * Double(batch))
        }

        // Herald: the service as `herald serve` builds it (SQLite, channels to the local outbox),
        // on a fresh data directory.
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: directory + "/data/herald.sqlite"))
        let server = try await BenchServer.start(options, store: store, directory: directory, label: "herald-bench.http")
        defer { server.running.cancel() }
        let port = server.port

        let result = try BenchProcesses.wrk(
            wrk, threads: 1, connections: options.httpConnections, seconds: seconds, script: script,
            url: "http://127.0.0.1:\(port)/v1/events", scriptArguments: ["run\(Int(wallClock()))"])
        await server.stop()
        guard result.failures == 0 else {
            throw BenchError("\(result.failures) failed requests: \(result.output)")
        }
        // The workload: every event of every answered request is in the inbox, once (requests still
        // in flight when wrk stopped may have landed too, at most one per connection).
        let accepted = try await DatabaseQueue(path: directory + "/data/herald.sqlite").read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox WHERE event_id LIKE 'run%'") ?? 0
        }
        let answered = result.requests * batch
        guard accepted >= answered, accepted <= answered + options.httpConnections * batch else {
            throw WorkloadError(
                description: "workload check failed: \(accepted) events in the inbox for \(result.requests) answered requests of \(batch)")
        }
        print("  workload: \(accepted) events in the inbox for \(result.requests) answered requests of \(batch)")
        let rate = result.requestsPerSecond * Double(batch)
        table.add(name, rate, "events/s", reference: reference, target: "≥ 50,000 events/s", met: rate >= 50_000)

        // Reference 2: the same number of events enqueued in process, in batches of 100 from as
        // many callers as wrk has connections, into a fresh store configured as the server's.
        let enqueueStore = try SQLiteJourneyStore(SQLiteConfiguration(path: directory + "/data/enqueue.sqlite"))
        let count = max(20_000, accepted)
        let now = wallClock()
        let batches = stride(from: 0, to: count, by: batch).map { start in
            (start..<min(count, start + batch)).map { i in
                var item = StoreDriver.event(i % 100_000, run: "enqueue", timestamp: now)
                item.id = "enqueue-\(i)"
                return item
            }
        }
        let callers = options.httpConnections
        let enqueueStarted = wallClock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<callers {
                group.addTask { for b in stride(from: c, to: batches.count, by: callers) { _ = try await enqueueStore.enqueue(batches[b]) } }
            }
            try await group.waitForAll()
        }
        let enqueueRate = Double(count) / (wallClock() - enqueueStarted)
        table.add(
            "http: POST /v1/events (ratio: ÷ in-process enqueue)", rate, "events/s",
            reference: ("store.enqueue, 100/batch, \(callers) callers, events/s", enqueueRate), target: "≥ 0.6 (#18)", met: rate >= 0.6 * enqueueRate)
    }

    /// Posts `{"events": [...]}` with 100 events per request; ids are unique per run, thread and
    /// request (the first script argument names the run), over 100,000 customers.
    static let luaScript = """
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer bench-key"
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("tid", threads)
        end
        local prefix = "x"
        local counter = 0
        function init(args)
          prefix = (args[1] or "run") .. "-t" .. tostring(tid)
        end
        function request()
          local parts = {}
          for i = 1, \(batch) do
            counter = counter + 1
            parts[i] = '{"id":"' .. prefix .. '-' .. counter .. '","customer_id":"h' .. (counter % 100000) ..
              '","name":"cart.updated","properties":{"items":2}}'
          end
          return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
        end
        """
}
