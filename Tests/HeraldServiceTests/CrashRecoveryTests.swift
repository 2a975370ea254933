import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Synchronization
import Testing

/// Starts the real `herald serve` binary (with the probe engine, whose expected behaviour is
/// exact), feeds it events from several clients, `kill -9`s it at random moments while events flow,
/// restarts it each time, and then checks the service's guarantees:
/// every acknowledged event processed exactly once, every timer fired (never early), no message
/// delivered twice except an attempt cut off by a crash, and the per-customer cap never exceeded.
@Suite(.serialized)
struct CrashRecoveryTests {
    static let apiKey = "test-key-0123"

    @Test func killNineWhileEventsFlow() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        // Journeys directory: the probe's two messages as webhook templates; channels: signed
        // webhooks to the loopback receiver (private addresses allowed for 127.0.0.0/8 only).
        let journeys = directory.appendingPathComponent("journeys")
        for message in ["ping", "later"] {
            let folder = journeys.appendingPathComponent("messages/\(message)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try #"{"customer": "{{customer.id}}", "message": "\#(message)"}"#.write(
                to: folder.appendingPathComponent("webhook.json.mustache"), atomically: true, encoding: .utf8)
        }
        let channels = directory.appendingPathComponent("channels.yaml")
        try """
        retry: { max_attempts: 20, base_delay: 0.05, max_delay: 0.5 }
        webhook:
          transport: http
          url: http://127.0.0.1:\(receiver.port!)/hook
          secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
          allow_private_networks: ["127.0.0.0/8"]
        """.write(to: channels, atomically: true, encoding: .utf8)

        let makeServer: @Sendable (Int) -> HeraldProcess = { port in
            HeraldProcess(
                arguments: [
                    "serve", "--engine", "probe", "--port", "\(port)", "--data", directory.appendingPathComponent("data").path,
                    "--journeys", journeys.path,
                ],
                environment: [
                    "HERALD_API_KEY": Self.apiKey, "HERALD_LOG_LEVEL": "warning", "HERALD_CHANNELS_CONFIG": channels.path,
                ],
                logFile: directory.appendingPathComponent("server.log"))
        }
        let server = makeServer(0)
        try await server.start()
        let port = server.port  // restarts keep the port
        let current = Locked(server)

        // Events: per customer, "ping" (sends at once), "later" (sends when its timer fires),
        // and plain events; more sends than the cap of 5 for some customers.
        let customers = (0..<24).map { "cust-\($0)" }
        var planned: [(id: String, customer: String, body: String)] = []
        for round in 0..<40 {
            for (index, customer) in customers.enumerated() {
                let id = "ev-\(round)-\(index)"
                let name: String
                switch (round + index) % 5 {
                case 0: name = "ping"
                case 1: name = "later"
                default: name = "viewed"
                }
                let delay = Double((round * 7 + index) % 20) / 10 + 0.2
                let properties = name == "later" ? ",\"properties\":{\"delay\":\(delay)}" : ""
                planned.append((id, customer, "{\"id\":\"\(id)\",\"customer_id\":\"\(customer)\",\"name\":\"\(name)\"\(properties)}"))
            }
        }
        let plan = planned
        let batches = stride(from: 0, to: plan.count, by: 8).map { Array(plan[$0..<min($0 + 8, plan.count)]) }
        let acknowledged = Locked<Set<String>>([])
        let refused = Locked(0)
        let kills = Locked<[Double]>([])

        // Four feeders; a batch is retried (same ids) until it is acknowledged.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for feeder in 0..<4 {
                group.addTask {
                    for (index, batch) in batches.enumerated() where index % 4 == feeder {
                        let body = "[" + batch.map(\.body).joined(separator: ",") + "]"
                        var attempts = 0
                        while true {
                            attempts += 1
                            if let reply = try? await HTTPCall.send(port: port, .post, "/v1/events", body: body, apiKey: Self.apiKey),
                                reply.status == 202
                            {
                                acknowledged.withLock { set in for event in batch { set.insert(event.id) } }
                                break
                            }
                            refused.withLock { $0 += 1 }
                            #expect(attempts < 400, "a batch was never acknowledged")
                            if attempts >= 400 { return }
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        try await Task.sleep(for: .milliseconds(40))
                    }
                }
            }
            // The killer: four crashes at random moments while the feeders run.
            group.addTask {
                for _ in 0..<4 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 300...900)))
                    let server = current.withLock { $0 }
                    server.kill()
                    kills.withLock { $0.append(Date().timeIntervalSince1970) }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 50...300)))
                    let restarted = makeServer(port)
                    try await restarted.start()
                    current.withLock { $0 = restarted }
                }
            }
            try await group.waitForAll()
        }
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count == plan.count)
        // The kills happened while events flowed: some requests found the server down.
        #expect(refused.withLock { $0 } > 0)

        // Wait until every customer has seen all its acknowledged events, fired its timers and had
        // its messages delivered.
        let deadline = Date().addingTimeInterval(60)
        var states: [String: Value] = [:]
        while Date() < deadline {
            var done = true
            for customer in customers {
                guard let reply = try? await HTTPCall.send(port: port, .get, "/v1/customers/\(customer)", apiKey: Self.apiKey),
                    reply.status == 200, let json = reply.json
                else {
                    done = false
                    continue
                }
                let attributes = json["profile"]["attributes"]
                states[customer] = attributes
                let seen = Set(attributes["probe_seen"].array.compactMap(\.string))
                let expected = Set(plan.filter { $0.customer == customer && acked.contains($0.id) }.map(\.id))
                let pendingTimers = attributes["probe_timers"].array.count
                let reserved = attributes["probe_reserved"].number ?? 0
                let delivered = attributes["probe_delivered"].number ?? 0
                if !expected.isSubset(of: seen) || pendingTimers > 0 || delivered < reserved { done = false }
            }
            if done { break }
            try await Task.sleep(for: .milliseconds(250))
        }

        // Exactly once: every acknowledged event in `probe_seen`, none twice.
        for customer in customers {
            let attributes = try #require(states[customer], "no state for \(customer)")
            let seen = attributes["probe_seen"].array.compactMap(\.string)
            let expected = Set(plan.filter { $0.customer == customer }.map(\.id))
            #expect(Set(seen) == expected, "\(customer) processed \(Set(seen).count) of \(expected.count) events")
            #expect(seen.count == Set(seen).count, "\(customer) processed an event twice")
            // Every timer fired, never early.
            #expect(attributes["probe_timers"].array.isEmpty, "\(customer) has timers that never fired")
            let laters = plan.filter { $0.customer == customer && $0.body.contains("\"later\"") }
            let fired = attributes["probe_fired"].array
            #expect(fired.count == laters.count, "\(customer): \(fired.count) of \(laters.count) timers fired")
            for timer in fired {
                let due = timer["due"].number ?? 0
                let at = timer["fired"].number ?? 0
                #expect(at >= due, "\(customer): a timer fired early")
            }
            // The cap (5 per customer) was never exceeded.
            #expect((attributes["probe_reserved"].number ?? 0) <= 5)
            #expect((attributes["probe_delivered"].number ?? 0) == (attributes["probe_reserved"].number ?? -1))
        }

        // Deliveries at the receiver, counted by `webhook-id`: every reserved message arrived; one
        // arrived twice only if a crash cut off its attempt before the success was recorded
        // (at-least-once with the idempotency key — a receiver honouring the key sees it once).
        let arrivals = receiver.arrivals.withLock { $0 }
        let reservedTotal = states.values.reduce(0) { $0 + Int($1["probe_reserved"].number ?? 0) }
        #expect(arrivals.count == reservedTotal)
        #expect(arrivals["missing"] == nil, "every webhook carries a webhook-id")
        #expect(receiver.signed.withLock { $0 } >= reservedTotal, "every webhook is signed")
        let killTimes = kills.withLock { $0 }
        // Recorded attempts per message (a timed-out attempt is recorded as a retry).
        var attempts: [String: Int] = [:]
        for customer in customers {
            let reply = try await HTTPCall.send(port: port, .get, "/v1/customers/\(customer)", apiKey: Self.apiKey)
            for message in reply.json?["messages"].array ?? [] {
                if let id = message["id"].string { attempts[id] = Int(message["attempts"].number ?? 0) }
                #expect(message["state"].string == "delivered")
            }
        }
        var repeated = 0
        for (id, times) in arrivals where times.count > 1 {
            repeated += 1
            // Every extra arrival is explained by a recorded failed attempt (a timeout after the
            // receiver got it) or by a crash that cut an attempt off before its outcome was recorded.
            // (The receiver timestamps a request when its handler runs; in a loaded test process that
            // can be seconds after the killed server sent it, hence the slack before the first.)
            let crashes = killTimes.filter { $0 >= times.first! - 5 && $0 <= times.last! }.count
            let recordedRetries = (attempts[id] ?? 1) - 1
            #expect(
                times.count - 1 <= recordedRetries + crashes,
                "\(id) arrived \(times.count) times with \(recordedRetries) recorded retries and \(crashes) crashes in between: sent again after its success was recorded"
            )
        }
        print(
            "crash test: \(plan.count) events, \(refused.withLock { $0 }) refused requests, \(arrivals.count) webhooks, \(repeated) redelivered after a crash cut off their attempt"
        )

        let finalServer = current.withLock { $0 }
        #expect(finalServer.terminate() == 0, "graceful shutdown on SIGTERM")
    }
}
