import Foundation
import HTTPTypes
import HeraldPostgres
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Logging
import PostgresNIO
import Synchronization
import Testing

/// Three real `herald serve` nodes on one PostgreSQL database, running the probe engine (whose
/// expected behaviour is exact). Events flow to all three — any node accepts any customer — while
/// one node is `kill -9`ed and another is frozen with SIGSTOP past its lease and then resumed.
/// Afterwards: every acknowledged event was processed exactly once, every timer fired (never
/// early), no message was delivered twice, the cap was never exceeded, and the frozen node's late
/// writes were refused by the fencing check.
@Suite(.serialized, .timeLimit(.minutes(4)), .enabled(if: TestDatabase.required))
struct MultiNodeTests {
    static let apiKey = "cluster-key-0123"
    static let leaseSeconds = 3.0

    @Test func killOnePauseAnotherWhileEventsFlow() async throws {
        let database = try await TestDatabase.create(prefix: "herald_cluster_")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        // The probe's two messages as webhook templates; signed webhooks to the loopback receiver.
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
        let config = directory.appendingPathComponent("herald.yaml")
        // Delivery leases outlast the pause, so a frozen node's in-flight deliveries stay its own.
        try """
        storage:
          backend: postgres
          postgres:
            lease_seconds: \(Self.leaseSeconds)
            renew_seconds: 0.5
        delivery:
          lease_seconds: 12
        processing:
          batch_size: 64
        """.write(to: config, atomically: true, encoding: .utf8)

        let nodes = (0..<3).map { index in
            HeraldProcess(
                name: "node-\(index)",
                arguments: [
                    "serve", "--engine", "probe", "--port", "0", "--config", config.path,
                    "--data", directory.appendingPathComponent("data-\(index)").path,
                    "--journeys", journeys.path,
                ],
                environment: [
                    "HERALD_API_KEY": Self.apiKey, "HERALD_LOG_LEVEL": "notice", "HERALD_POSTGRES_URL": database.url,
                    "HERALD_CHANNELS_CONFIG": channels.path,
                ],
                logFile: directory.appendingPathComponent("node-\(index).log"))
        }
        defer {
            for node in nodes { node.terminate() }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { try await node.start() } }
            try await group.waitForAll()
        }
        let store = try await database.open(maximumConnections: 2)
        defer { store.close() }

        // The shards spread over the three nodes.
        let spread = try await Self.waitUntil(seconds: 20) {
            Set(try await store.shardLeases().map(\.owner).filter { !$0.isEmpty }).count == 3
        }
        #expect(spread, "the shards did not spread over three nodes")

        // The plan: per customer "ping" (sends at once), "later" (sends when its timer fires) and
        // plain events; more sends than the cap of 5 for every customer.
        let customers = (0..<30).map { "cust-\($0)" }
        var plan: [(id: String, customer: String, body: String)] = []
        for round in 0..<20 {
            for (index, customer) in customers.enumerated() {
                let id = "ev-\(round)-\(index)"
                let name =
                    switch (round + index) % 5 {
                    case 0: "ping"
                    case 1: "later"
                    default: "viewed"
                    }
                let delay = Double((round * 7 + index) % 20) / 10 + 0.2
                let properties = name == "later" ? ",\"properties\":{\"delay\":\(delay)}" : ""
                plan.append((id, customer, "{\"id\":\"\(id)\",\"customer_id\":\"\(customer)\",\"name\":\"\(name)\"\(properties)}"))
            }
        }
        let batches = stride(from: 0, to: plan.count, by: 6).map { Array(plan[$0..<min($0 + 6, plan.count)]) }
        // A burst sent to the node about to be frozen, so that it is busy when it stops.
        let burst = customers.map { customer in
            (
                id: "burst-\(customer)", customer: customer,
                body: "{\"id\":\"burst-\(customer)\",\"customer_id\":\"\(customer)\",\"name\":\"viewed\"}"
            )
        }
        plan += burst
        let acknowledged = Locked<Set<String>>([])
        let down = Locked<Set<Int>>([])  // nodes the feeders must not use (killed or frozen)
        let killed = nodes[1]
        let paused = nodes[2]
        let pausedPID = paused.pid
        let killedPID = killed.pid
        let killedAt = Locked<Double>(0)

        try await withThrowingTaskGroup(of: Void.self) { group in
            // Three feeders; a batch goes to the next node up and is retried (same ids) until acknowledged.
            for feeder in 0..<3 {
                group.addTask {
                    var target = feeder
                    for (index, batch) in batches.enumerated() where index % 3 == feeder {
                        let body = "[" + batch.map(\.body).joined(separator: ",") + "]"
                        var attempts = 0
                        while true {
                            attempts += 1
                            target = (target + 1) % nodes.count
                            if down.withLock({ $0.contains(target) }) { continue }
                            if let reply = try? await HTTPCall.send(
                                port: nodes[target].port, .post, "/v1/events", body: body, apiKey: Self.apiKey),
                                reply.status == 202
                            {
                                acknowledged.withLock { set in for event in batch { set.insert(event.id) } }
                                break
                            }
                            if attempts >= 200 {
                                Issue.record("a batch was never acknowledged")
                                return
                            }
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        try await Task.sleep(for: .milliseconds(40))
                    }
                }
            }
            // The faults: kill -9 one node, then freeze another past its lease and let it go on.
            group.addTask {
                try await Task.sleep(for: .milliseconds(1_500))
                down.withLock { _ = $0.insert(1) }
                killed.kill()
                killedAt.withLock { $0 = Date().timeIntervalSince1970 }
                try await Task.sleep(for: .milliseconds(1_500))
                // Freeze it only while it holds shards (on a loaded machine leases can churn).
                let holds = try await Self.waitUntil(seconds: 20) {
                    try await store.shardLeases().contains { $0.owner.contains("/\(pausedPID)/") }
                }
                #expect(holds, "the node to freeze never held a shard")
                let body = "[" + burst.map(\.body).joined(separator: ",") + "]"
                let reply = try? await HTTPCall.send(port: paused.port, .post, "/v1/events", body: body, apiKey: Self.apiKey)
                down.withLock { _ = $0.insert(2) }
                paused.freeze()
                if reply?.status == 202 {
                    acknowledged.withLock { set in for event in burst { set.insert(event.id) } }
                } else {
                    // Not acknowledged: send it to the survivor instead.
                    let again = try await HTTPCall.send(port: nodes[0].port, .post, "/v1/events", body: body, apiKey: Self.apiKey)
                    #expect(again.status == 202)
                    acknowledged.withLock { set in for event in burst { set.insert(event.id) } }
                }
                try await Task.sleep(for: .seconds(Self.leaseSeconds * 2 + 1))
                paused.thaw()
                down.withLock { _ = $0.remove(2) }
            }
            try await group.waitForAll()
        }
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count == plan.count)

        // Wait until every customer has seen its events, fired its timers and had its messages delivered.
        let survivor = nodes[0]
        var states: [String: Value] = [:]
        _ = try await Self.waitUntil(seconds: 90) {
            var done = true
            for customer in customers {
                guard
                    let reply = try? await HTTPCall.send(
                        port: survivor.port, .get, "/v1/customers/\(customer)", apiKey: Self.apiKey),
                    reply.status == 200, let json = reply.json
                else {
                    done = false
                    continue
                }
                let attributes = json["profile"]["attributes"]
                states[customer] = attributes
                let seen = Set(attributes["probe_seen"].array.compactMap(\.string))
                let expected = Set(plan.filter { $0.customer == customer }.map(\.id))
                let reserved = attributes["probe_reserved"].number ?? 0
                let delivered = attributes["probe_delivered"].number ?? 0
                if !expected.isSubset(of: seen) || !attributes["probe_timers"].array.isEmpty || delivered < reserved {
                    done = false
                }
            }
            return done
        }

        for customer in customers {
            let attributes = try #require(states[customer], "no state for \(customer)")
            // Exactly once.
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
                #expect((timer["fired"].number ?? 0) >= (timer["due"].number ?? 0), "\(customer): a timer fired early")
            }
            // The cap (5 per customer) held across the handovers; every reserved message was delivered.
            #expect((attributes["probe_reserved"].number ?? 0) == 5)
            #expect((attributes["probe_delivered"].number ?? 0) == (attributes["probe_reserved"].number ?? -1))
        }

        // Deliveries at the loopback receiver, counted by `webhook-id`: every reserved message
        // arrived, signed; one arrived twice only if the kill -9 cut off its first attempt between
        // the send and the record of its success (at-least-once with the key: the receiver's
        // dedup key), so the first arrival precedes the kill and the second follows it.
        let deliveries = receiver.arrivals.withLock { $0 }
        let kill = killedAt.withLock { $0 }
        #expect(deliveries["missing"] == nil, "every webhook carries a webhook-id")
        #expect(deliveries.count == customers.count * 5, "\(deliveries.count) distinct messages delivered")
        #expect(receiver.signed.withLock { $0 } >= customers.count * 5, "every webhook is signed")
        for (id, times) in deliveries where times.count > 1 {
            let sorted = times.sorted()
            #expect(
                sorted.count == 2 && sorted[0] <= kill + 0.5 && sorted[1] >= kill,
                "\(id) arrived \(times.count) times (at \(sorted.map { $0 - kill }) s from the kill) without a crash to explain it")
        }
        let duplicates = deliveries.values.filter { $0.count > 1 }.count

        // The frozen node came back with lapsed leases: its late writes were refused by fencing.
        let fenced = try await store.fencedWrites()
        let fencedPaused = fenced.filter { $0.node.contains("/\(pausedPID)/") }
        #expect(
            !fencedPaused.isEmpty,
            "the paused node (pid \(pausedPID)) had no late writes refused; refusals by \(Set(fenced.map { "\($0.node) \($0.operation)" }))")
        // Its lease renewals always are (the epochs moved on); batches it was in the middle of
        // committing are too, when it had any.
        #expect(fencedPaused.contains { $0.operation == "renew" })
        let pausedCommits = fencedPaused.filter { $0.operation == "commit" }.count
        let pausedLog = (try? String(contentsOf: paused.logFile, encoding: .utf8)) ?? ""
        #expect(pausedLog.contains("shard leases lost: taken over while this node was not renewing"))
        // The survivors own every shard between them; the killed node owns none.
        let owners = try await store.shardLeases().map(\.owner)
        #expect(!owners.contains { $0.contains("/\(killedPID)/") })
        print(
            "cluster: \(acked.count) events, \(deliveries.count) messages, \(duplicates) redelivered after kill -9, "
                + "\(fenced.count) fenced writes (\(fencedPaused.count) by the paused node, \(pausedCommits) of them commits)")

        for node in nodes { node.terminate() }
        try? FileManager.default.removeItem(at: directory)
        await database.drop()
    }

    static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return try await condition()
    }
}
