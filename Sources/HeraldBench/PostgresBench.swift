import Foundation
import HeraldPostgres
import JourneyEngine
import Logging

/// 6. PostgreSQL: fully processed events per second with three nodes (three stores, each with its
/// own connection pool, owner and third of the shards) on one database, and ingestion with 1, 2
/// and 3 nodes, against `pgbench -N` with 8 clients on the same server in the same run. The bench starts a private cluster with
/// scripts/postgres-test-cluster.sh (fsync on, as the tests run it) and stops it afterwards.
enum PostgresBench {
    static let nodes = 3
    static let script = "scripts/postgres-test-cluster.sh"

    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let name = "postgres: \(nodes) nodes fully processed (tx+timer+outbox)"
        guard FileManager.default.isExecutableFile(atPath: script) else {
            return table.notRun(name, reason: "not run: \(script) not found (run herald-bench from the package root)")
        }
        guard let pgbench = BenchProcesses.which("pgbench"), let psql = BenchProcesses.which("psql") else {
            return table.notRun(
                name, reason: "not run: PostgreSQL client tools (psql, pgbench) are not installed; scripts/install-deps.sh installs them")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-pg-\(getpid())").path
        let base: String
        do {
            base = try BenchProcesses.run(script, ["start", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            return table.notRun(name, reason: "not run: the private PostgreSQL cluster did not start: \(error)")
        }
        defer { _ = try? BenchProcesses.run(script, ["stop", directory]) }
        func url(_ database: String) throws -> String {
            guard var components = URLComponents(string: base) else { throw BenchError("bad URL \(base)") }
            components.path = "/" + database
            return components.string!
        }
        try BenchProcesses.run(psql, [base, "-qc", "CREATE DATABASE pgbench_reference"])
        try BenchProcesses.run(psql, [base, "-qc", "CREATE DATABASE herald_bench"])

        // Reference: pgbench's simple-update script without branch/teller updates (-N), 8 clients.
        try BenchProcesses.run(pgbench, ["-i", "-q", "-s", "10", try url("pgbench_reference")])
        let output = try BenchProcesses.run(pgbench, ["-N", "-c", "8", "-j", "2", "-T", "10", try url("pgbench_reference")])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.split(separator: " ")[2])
        else { throw BenchError("could not read pgbench's tps from: \(output)") }
        table.add("postgres: pgbench -N, 8 clients, 10 s (reference)", tps, "tx/s")

        // Herald: three nodes, each its own store (pool of 8 connections) and a third of the shards.
        var logger = Logger(label: "herald-bench.postgres")
        logger.logLevel = .warning
        var configuration = try PostgresConfiguration(url: try url("herald_bench"))
        configuration.maximumConnections = 8
        configuration.leaseSeconds = 3_600
        var stores: [PostgresJourneyStore] = []
        for _ in 0..<nodes { stores.append(try await PostgresJourneyStore.open(configuration, logger: logger)) }
        defer { for store in stores { store.close() } }
        // Each acquisition sees the nodes registered so far; three rounds settle on a third each.
        var ownerships: [ShardOwnership] = []
        for _ in 0..<3 {
            ownerships = []
            for (k, store) in stores.enumerated() {
                ownerships.append(try await store.acquireShards(owner: "bench-node-\(k)", leaseDuration: 3_600, now: BenchClock.now()))
            }
        }
        let owned = ownerships.map(\.leases.count)
        guard owned.reduce(0, +) == CustomerShard.count, owned.allSatisfy({ $0 > 0 }) else {
            throw BenchError("shards did not spread over the nodes: \(owned)")
        }
        let engine = try DryRunBench.engine(options)
        var drivers: [StoreDriver] = []
        for (store, ownership) in zip(stores, ownerships) {
            drivers.append(try await StoreDriver(store: store, engine: engine, ownership: ownership, clockOffset: BenchClock.offset))
        }

        // Set-up as for SQLite (not timed): profiles applied 2 h back, so the cart events entering now
        // have their 1 h wait and settle window behind them and the reminder is decided at once.
        let n = options.postgresEvents
        let now = BenchClock.now()
        let items = (0..<n).map { StoreDriver.event($0, run: "pg-\(Int(now))", timestamp: now - 7200) }
        for start in stride(from: 0, to: n, by: 1000) {
            let profiles = StoreDriver.profiles(for: items[start..<min(n, start + 1000)], from: start, acceptedAt: now)
            _ = try await stores[start / 1000 % nodes].enqueue(profiles)
        }
        _ = try await drain(
            drivers.map {
                var d = $0
                d.clockOffset -= 7200
                return d
            })

        // Ingestion (any node accepts any customer): batches of 100 from 8 callers over the nodes.
        let batches = stride(from: 0, to: n, by: 100).map { Array(items[$0..<min(n, $0 + 100)]) }
        let enqueueStarted = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<8 {
                let store = stores[caller % nodes]
                group.addTask { for b in stride(from: caller, to: batches.count, by: 8) { _ = try await store.enqueue(batches[b]) } }
            }
            try await group.waitForAll()
        }
        let ingest = Double(n) / seconds(since: enqueueStarted)
        table.add("postgres: enqueue over \(nodes) nodes (100/batch, 8 callers)", ingest, "events/s", reference: ("pgbench -N tx/s", tps))

        // Processing: every node drains its own shards' events at the same time.
        let started = ContinuousClock.now
        let outcome = try await drain(drivers)
        let processed = Double(outcome.inputs) / seconds(since: started)
        print("  postgres: processed \(outcome.inputs) events, \(outcome.outbox) outbox rows over \(nodes) nodes (shards \(owned))")
        try expectWorkload("postgres: events processed", outcome.inputs, n)
        try expectWorkload("postgres: outbox rows (one reminder email per event)", outcome.outbox, n)
        table.add(
            name, processed, "events/s", reference: ("pgbench -N tx/s, same server", tps), target: "≥ 2× pgbench -N (#18)", met: processed >= 2 * tps)
        table.add("postgres: outbox rows per processed event", Double(outcome.outbox) / Double(n), "rows/event")

        // Ingestion with 1, 2 and 3 nodes: 8 callers per node, 10 events per request (the way
        // `POST /v1/events` batches arrive). Nothing orders insertions across nodes, so the rate
        // should grow with nodes until the server is the limit. (Left unprocessed: this is last.)
        let perRun = max(1_000, n / 2)
        for count in 1...nodes {
            let items = (0..<perRun).map { StoreDriver.event($0, run: "ingest\(count)-\(Int(now))", timestamp: now) }
            let requests = stride(from: 0, to: perRun, by: 10).map { Array(items[$0..<min(perRun, $0 + 10)]) }
            let callers = 8 * count
            let ingestStarted = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<callers {
                    let store = stores[caller % count]
                    group.addTask {
                        for r in stride(from: caller, to: requests.count, by: callers) { _ = try await store.enqueue(requests[r]) }
                    }
                }
                try await group.waitForAll()
            }
            table.add(
                "postgres: ingestion, \(count) node\(count == 1 ? "" : "s") (10/request, \(callers) callers)",
                Double(perRun) / seconds(since: ingestStarted), "events/s", reference: ("pgbench -N tx/s", tps))
        }
    }

    static func drain(_ drivers: [StoreDriver]) async throws -> StoreDriver.Outcome {
        try await withThrowingTaskGroup(of: StoreDriver.Outcome.self) { group in
            for driver in drivers { group.addTask { try await driver.drainInbox() } }
            var total = StoreDriver.Outcome()
            for try await outcome in group { total = total + outcome }
            return total
        }
    }
}
