import Foundation
import GRDB
import HTTPTypes
import HeraldTestSupport
import Testing

/// The delivery guarantee under kill -9, end to end: the real `herald serve` runs real journeys (a
/// webhook on an event, and one after a timer) through the real webhook channel to a loopback
/// receiver, and is killed at random moments while events flow and timers fire. After each kill,
/// before the restart, the test reads which attempts were in flight (claimed, outcome not recorded).
/// At the end the receiver's log is checked against the outbox:
///
/// - every message was delivered, and arrived;
/// - a message arrived again only if its attempt was in flight at a kill: arrivals − 1 ≤ the kills
///   that cut one of its attempts off;
/// - every attempt is counted: arrivals ≤ attempts ≤ arrivals + those kills.
///
/// It runs on SQLite, and on PostgreSQL where one is available (`make test` starts one).
/// `make test` runs it at a size that fits CI (3 kills, 3,000 events). The full size (20 kills,
/// 50,000 events): `HERALD_CRASH_LOOP=full swift test --filter DeliveryCrashLoopTests` (see
/// docs/service.md); `HERALD_CRASH_LOOP_EVENTS` and `HERALD_CRASH_LOOP_KILLS` set other sizes.
@Suite(.serialized)
struct DeliveryCrashLoopTests {
    static let apiKey = "test-key-0123"

    struct Size {
        var events: Int
        var kills: Int

        static var configured: Size {
            let environment = ProcessInfo.processInfo.environment
            var size = environment["HERALD_CRASH_LOOP"] == "full" ? Size(events: 50_000, kills: 20) : Size(events: 3_000, kills: 3)
            if let events = environment["HERALD_CRASH_LOOP_EVENTS"].flatMap(Int.init) { size.events = events }
            if let kills = environment["HERALD_CRASH_LOOP_KILLS"].flatMap(Int.init) { size.kills = kills }
            return size
        }
    }

    static let journeys = [
        "hook_now.journey": """
        journey hook_now "A webhook on an event"
          stage awareness
          trigger on event "ping"
          entry always

          send webhook ping_hook transactional
        """,
        "hook_later.journey": """
        journey hook_later "A webhook after a timer"
          stage awareness
          trigger on event "later"
          entry always

          wait 2 seconds
          send webhook later_hook transactional
        """,
    ]

    /// The store `herald serve` runs on.
    enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite, postgres
        var testDescription: String { rawValue }
        static var available: [Backend] { TestDatabase.required ? [.sqlite, .postgres] : [.sqlite] }
    }

    /// Outbox rows of the SQLite file: id → (status, attempts).
    static func outbox(_ database: URL, inFlightOnly: Bool) throws -> [String: (status: Int, attempts: Int)] {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: database.path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            let filter = inFlightOnly ? "WHERE status = 0 AND lease_until IS NOT NULL" : ""
            var rows: [String: (status: Int, attempts: Int)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, status, attempts FROM outbox \(filter)") {
                rows[row["id"]] = (row["status"], row["attempts"])
            }
            return rows
        }
    }

    @Test(arguments: Backend.available)
    func killNineNeverRepeatsARecordedDelivery(_ backend: Backend) async throws {
        let postgres = backend == .postgres ? try await TestDatabase.create() : nil
        do {
            try await crashLoop(postgres: postgres)
        } catch {
            await postgres?.drop()
            throw error
        }
        await postgres?.drop()
    }

    func crashLoop(postgres: TestDatabase?) async throws {
        let size = Size.configured
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-crash-loop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }

        let journeys = directory.appendingPathComponent("journeys")
        for (name, text) in Self.journeys {
            try FileManager.default.createDirectory(at: journeys, withIntermediateDirectories: true)
            try text.write(to: journeys.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        for message in ["ping_hook", "later_hook"] {
            let folder = journeys.appendingPathComponent("messages/\(message)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try #"{"customer": "{{customer.id}}", "message": "\#(message)"}"#.write(
                to: folder.appendingPathComponent("webhook.json.mustache"), atomically: true, encoding: .utf8)
        }
        let channels = try receiver.writeChannelsFile(in: directory, timeout: 30)
        let data = directory.appendingPathComponent("data")
        let database = data.appendingPathComponent("herald.sqlite")
        var environment = ["HERALD_API_KEY": Self.apiKey, "HERALD_LOG_LEVEL": "error", "HERALD_CHANNELS_CONFIG": channels.path]
        var arguments = ["--data", data.path, "--journeys", journeys.path]
        if let postgres {
            // Short shard leases: a restarted node takes over its dead predecessor's shards soon.
            let config = directory.appendingPathComponent("herald.yaml")
            // Shorter delivery leases too (30 s, not 60): an attempt a kill cut off after its webhook
            // arrived is retried (and its outcome recorded) once the lease lapses — on PostgreSQL the
            // restarted node is a new node, so it cannot tell that the claim was its predecessor's
            // until then. Not much shorter: on a loaded machine a live attempt and the record of its
            // outcome can take seconds, and an attempt that outlives its lease is sent again.
            try "storage: { backend: postgres, postgres: { lease_seconds: 2, renew_seconds: 0.5 } }\ndelivery: { lease_seconds: 30 }".write(
                to: config, atomically: true, encoding: .utf8)
            environment["HERALD_POSTGRES_URL"] = postgres.url
            arguments += ["--config", config.path]
        }
        let outbox: @Sendable (_ inFlightOnly: Bool) async throws -> [String: (status: Int, attempts: Int)] = { inFlightOnly in
            if let postgres { return try await postgres.outboxRows(inFlightOnly: inFlightOnly) }
            return try Self.outbox(database, inFlightOnly: inFlightOnly)
        }
        let makeServer: @Sendable (Int) -> HeraldProcess = { [environment, arguments] port in
            HeraldProcess(
                arguments: ["serve", "--port", "\(port)"] + arguments, environment: environment,
                logFile: directory.appendingPathComponent("server.log"))
        }
        let first = makeServer(0)
        try await first.start()
        let port = first.port
        let current = Locked(first)

        // The events: many customers, one webhook per event (two in three at once, one after a timer).
        let customers = max(50, size.events / 10)
        let events = (0..<size.events).map { index in
            let name = index % 3 == 2 ? "later" : "ping"
            return #"{"id":"ev-\#(index)","customer_id":"c-\#(index % customers)","name":"\#(name)"}"#
        }
        let batches = stride(from: 0, to: events.count, by: 25).map { Array(events[$0..<min($0 + 25, events.count)]) }
        let feeders = 4
        // Spread the feeding over the kills, so they strike while events flow and timers fire.
        let pause = Double(size.kills) * 1.6 / Double(max(1, batches.count / feeders))
        let acknowledged = Locked(0)
        let inFlightAtKill = Locked<[String: Int]>([:])
        let killTimes = Locked<[Double]>([])

        try await withThrowingTaskGroup(of: Void.self) { group in
            for feeder in 0..<feeders {
                group.addTask {
                    for (index, batch) in batches.enumerated() where index % feeders == feeder {
                        let body = "[" + batch.joined(separator: ",") + "]"
                        var attempts = 0
                        while true {
                            attempts += 1
                            if let reply = try? await HTTPCall.send(port: port, .post, "/v1/events", body: body, apiKey: Self.apiKey),
                                reply.status == 202
                            {
                                acknowledged.withLock { $0 += batch.count }
                                break
                            }
                            #expect(attempts < 600, "a batch was never acknowledged")
                            if attempts >= 600 { return }
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
                    }
                }
            }
            group.addTask {
                for _ in 0..<size.kills {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 600...1_800)))
                    await current.withLock { $0 }.kill()
                    killTimes.withLock { $0.append(Date().timeIntervalSince1970) }
                    // What was in flight at the kill: claimed, its outcome not recorded.
                    let inFlight = try await outbox(true)
                    inFlightAtKill.withLock { counts in for id in inFlight.keys { counts[id, default: 0] += 1 } }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 50...300)))
                    let restarted = makeServer(port)
                    try await restarted.start()
                    current.withLock { $0 = restarted }
                }
            }
            try await group.waitForAll()
        }
        #expect(acknowledged.withLock { $0 } == size.events)

        // Every event's webhook arrives (the timers included).
        let deadline = Date().addingTimeInterval(size.events > 10_000 ? 1_800 : 180)
        while Date() < deadline, receiver.arrivals.withLock({ $0.count }) < size.events {
            try await Task.sleep(for: .milliseconds(200))
        }
        // And every outcome is recorded: an attempt that a kill cut off after its webhook arrived
        // is sent again (once its lease, or its node's heartbeat, lapsed) and recorded then.
        while Date() < deadline, try await outbox(false).values.contains(where: { $0.status == 0 }) {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(await current.withLock { $0 }.terminate() == 0, "graceful shutdown on SIGTERM")

        let rows = try await outbox(false)
        let arrivals = receiver.arrivals.withLock { $0 }
        let cutOff = inFlightAtKill.withLock { $0 }
        #expect(rows.count == size.events, "\(rows.count) messages for \(size.events) events")
        #expect(Set(arrivals.keys) == Set(rows.keys), "the receiver's webhook-ids and the outbox differ")
        var undelivered = 0
        var repeated = 0
        var violations: [String] = []
        for (id, row) in rows {
            if row.status != 1 { undelivered += 1 }
            let received = arrivals[id]?.count ?? 0
            let kills = cutOff[id] ?? 0
            if received > 1 { repeated += 1 }
            // Sent again only after a crash cut an attempt of it off.
            if received - 1 > kills { violations.append("\(id): arrived \(received) times, in flight at \(kills) kills") }
            // Every attempt counted before it started, and none counted that neither arrived nor was cut off.
            if row.attempts < received || row.attempts > received + kills {
                violations.append("\(id): \(row.attempts) attempts counted, \(received) arrivals, in flight at \(kills) kills")
            }
        }
        #expect(undelivered == 0, "\(undelivered) messages not delivered")
        #expect(violations.isEmpty, "\(violations.count) violations, e.g. \(violations.prefix(5))")
        #expect(killTimes.withLock { $0.count } == size.kills)
        print(
            "crash loop (\(postgres == nil ? "sqlite" : "postgres")): \(size.events) events, \(size.kills) kills, \(rows.count) webhooks, \(repeated) repeated (each in flight at a kill), \(cutOff.count) attempts cut off"
        )
    }
}
