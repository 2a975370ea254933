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

/// Three real `herald serve` nodes on one PostgreSQL database, running the journey engine on real
/// journeys (a webhook on an event, another after a timer, a send deferred by quiet hours) through
/// the real webhook channel to a loopback receiver. Events flow to all three — any node accepts any
/// customer — while one node is `kill -9`ed (and restarted) and another is frozen with SIGSTOP past
/// its lease and then resumed; each fault strikes while events are being acknowledged.
/// Afterwards: every acknowledged event was processed exactly once (each journey counts its events
/// on the customer), every timer fired and none early, the quiet-hours send waited for the end of
/// the window, every message was delivered and signed, a message arrived twice only when its first
/// attempt preceded a fault, and the frozen node's late writes were refused by the fencing check.
@Suite(.serialized, .timeLimit(.minutes(6)), .enabled(if: TestDatabase.required))
struct MultiNodeTests {
    static let apiKey = "cluster-key-0123"
    /// The shard lease; renewals every third of it (the default).
    static let leaseSeconds = 6.0
    static var renewSeconds: Double { leaseSeconds / 3 }
    /// A takeover is due within lease + one renewal of the fault; this much more is allowed for a
    /// loaded 2-core machine (five test suites and builds at once), where a renewal can start late.
    static let takeoverMargin = 6.0
    static let customers = (0..<30).map { "cust-\($0)" }

    /// The journeys: each counts the events it handles on the customer, so "processed exactly once"
    /// is a count per customer and kind.
    static let journeys = """
        journey ping "A webhook on an event"
          trigger on event "ping"
          entry always
          increment customer.pings
          send webhook ping transactional

        journey later "A webhook after a timer"
          trigger on event "later"
          entry always
          increment customer.laters
          wait 3 seconds
          if now - event.time < 3 seconds
            increment customer.early_timers
          increment customer.laters_fired
          send webhook later transactional

        journey quiet "A send deferred by quiet hours"
          trigger on event "quiet"
          entry always
          increment customer.quiets
          send webhook quiet in quiet hours defer

        journey viewed "Events that only count"
          trigger on event "viewed"
          entry always
          increment customer.views

        """

    /// The kind of a customer's `index`-th event: a few sends each (at most 14, so the customer's
    /// last 20 messages, which `GET /v1/customers/{id}` shows, are all of them) among many events.
    static func kind(_ index: Int) -> String {
        if index == 1 || index == 2 { return "quiet" }
        if index < 60 && index % 10 == 0 { return "ping" }
        if index < 60 && index % 10 == 5 { return "later" }
        return "viewed"
    }

    @Test func killOnePauseAnotherWhileEventsFlow() async throws {
        let database = try await TestDatabase.create(prefix: "herald_cluster_")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }

        // Quiet hours for webhooks that end at a minute boundary at least 40 s from now (so the
        // quiet sends are deferred across the faults) and began two hours earlier.
        let now = Date().timeIntervalSince1970
        let quietEnd = ((now + 40) / 60).rounded(.up) * 60
        func clock(_ time: Double) -> String {
            let minutes = Int(time / 60) % (24 * 60)
            return String(format: "%02d:%02d", minutes / 60, minutes % 60)
        }
        let journeys = directory.appendingPathComponent("journeys")
        try JourneyFixture(
            journeys: [
                "policy": """
                policy
                  time zone "UTC"
                  quiet hours \(clock(quietEnd - 7_200)) to \(clock(quietEnd)) for webhook
                """,
                "cluster": Self.journeys,
            ],
            webhooks: Dictionary(
                uniqueKeysWithValues: ["ping", "later", "quiet"].map { message in
                    (message, #"{"customer": "{{customer.id}}", "message": "\#(message)", "journey": "{{journey.name}}"}"#)
                })
        ).write(to: journeys)
        let channels = try receiver.writeChannelsFile(in: directory)
        let config = directory.appendingPathComponent("herald.yaml")
        // Delivery leases outlast the freeze (three leases), so a frozen node's in-flight
        // deliveries stay its own.
        try """
        storage:
          backend: postgres
          postgres:
            lease_seconds: \(Self.leaseSeconds)
        delivery:
          lease_seconds: 30
        processing:
          batch_size: 64
        """.write(to: config, atomically: true, encoding: .utf8)

        let nodes = (0..<3).map { index in
            HeraldProcess(
                name: "node-\(index)",
                arguments: [
                    "serve", "--port", "0", "--config", config.path,
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
            for node in nodes { node.killWithoutWaiting() }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { try await node.start() } }
            try await group.waitForAll()
        }
        let store = try await database.open(maximumConnections: 2)
        defer { store.close() }

        // The shards spread over the three nodes.
        let spread = try await Self.waitUntil(seconds: 30) {
            Set(try await store.shardLeases().map(\.owner).filter { !$0.isEmpty }).count == 3
        }
        #expect(spread, "the shards did not spread over three nodes")

        let feed = Feed(nodes: nodes.count)
        let killed = nodes[1]
        let paused = nodes[2]
        let pausedPID = paused.pid
        let killedPID = killed.pid
        let killedAt = Locked<Double>(0)
        let frozenAt = Locked<Double>(0)
        let thawedAt = Locked<Double>(0)
        /// Seconds from each fault until no shard is owned by the node it struck.
        let takeovers = Locked<[String: Double]>([:])
        /// The most shards the frozen node held at once after it resumed.
        let heldAfterThaw = Locked(0)

        try await withThrowingTaskGroup(of: Void.self) { group in
            // Three feeders: each takes the next batch of the plan and sends it to the next node up,
            // retrying (same ids) on the next one until it is acknowledged, until the faults are over.
            for feeder in 0..<3 {
                group.addTask { try await feed.run(feeder: feeder, nodes: nodes) }
            }
            // The faults, each while events are being acknowledged: kill -9 one node (and start it
            // again), then freeze another past its lease and let it go on.
            group.addTask {
                defer { feed.stop() }
                try await feed.waitForAcknowledgements(by: 1, count: 5)
                feed.markDown(1)
                await killed.kill()
                let kill = Date().timeIntervalSince1970
                killedAt.withLock { $0 = kill }
                try await feed.waitForAcknowledgements(count: 10)  // still flowing to the others
                let killTakeover = try await Self.waitForTakeover(of: killedPID, store: store, seconds: 60)
                takeovers.withLock { $0["kill"] = killTakeover.map { $0 - kill } }
                try await killed.start()
                feed.markUp(1)

                // Freeze node 2 only while it holds shards and is acknowledging events, for three
                // lease lengths; the others take its shards over meanwhile.
                let holds = try await Self.waitUntil(seconds: 30) {
                    try await store.shardLeases().contains { $0.owner.contains("/\(pausedPID)/") }
                }
                #expect(holds, "the node to freeze never held a shard")
                try await feed.waitForAcknowledgements(by: 2, count: 5)
                feed.markDown(2)
                paused.freeze()
                let freeze = Date().timeIntervalSince1970
                frozenAt.withLock { $0 = freeze }
                try await feed.waitForAcknowledgements(count: 10)
                let freezeTakeover = try await Self.waitForTakeover(of: pausedPID, store: store, seconds: Self.leaseSeconds * 3)
                takeovers.withLock { $0["freeze"] = freezeTakeover.map { $0 - freeze } }
                let resume = freeze + Self.leaseSeconds * 3
                if resume > Date().timeIntervalSince1970 {
                    try await Task.sleep(for: .seconds(resume - Date().timeIntervalSince1970))
                }
                paused.thaw()
                thawedAt.withLock { $0 = Date().timeIntervalSince1970 }
                feed.markUp(2)
                // Back, it is fenced, never takes every shard, and settles at its share of three.
                let share = (CustomerShard.count + 2) / 3
                let settled = try await Self.waitUntil(seconds: 60) {
                    let owners = try await store.shardLeases().map(\.owner)
                    let held = owners.count { $0.contains("/\(pausedPID)/") }
                    heldAfterThaw.withLock { $0 = max($0, held) }
                    return held >= share - 2 && held <= share && Set(owners.filter { !$0.isEmpty }).count == 3
                }
                #expect(settled, "the shards never settled at three equal shares after the freeze")
                try await feed.waitForAcknowledgements(by: 2, count: 5)
            }
            try await group.waitForAll()
        }
        let acked = feed.acknowledged.withLock { $0 }
        #expect(feed.unacknowledged.withLock { $0 } == 0, "batches were never acknowledged")

        // The other nodes went on acknowledging through both faults: no request to a node that
        // was up failed or timed out (the client gives up after 15 s).
        let failures = feed.healthyFailures.withLock { $0 }
        #expect(failures.isEmpty, "requests to healthy nodes failed: \(failures.prefix(5))")
        // The struck node's shards were taken over within lease + one renewal (plus the margin).
        let taken = takeovers.withLock { $0 }
        for fault in ["kill", "freeze"] {
            let seconds = try #require(taken[fault], "after the \(fault), the node's shards were never all taken over")
            #expect(
                seconds <= Self.leaseSeconds + Self.renewSeconds + Self.takeoverMargin,
                "after the \(fault), its shards were taken over in \(seconds) s")
        }
        // After the freeze the node came back to a share, never to every shard: at most half of
        // them — its share of two live nodes, when on a loaded machine another node's heartbeat
        // is late at its first renewal — and it settled at a third (above).
        let half = (CustomerShard.count + 1) / 2
        #expect(heldAfterThaw.withLock { $0 } <= half, "the resumed node held \(heldAfterThaw.withLock { $0 }) shards")

        // What each customer must show: one count per acknowledged event of each kind.
        var expected: [String: [String: Int]] = [:]
        for event in acked.values { expected[event.customer, default: [:]][event.kind, default: 0] += 1 }

        // Wait until every customer has seen its events, fired its timers and had its messages delivered.
        let survivor = nodes[0]
        var views: [String: Value] = [:]
        _ = try await Self.waitUntil(seconds: 180) {
            var done = true
            for customer in Self.customers {
                guard
                    let reply = try? await HTTPCall.send(
                        port: survivor.port, .get, "/v1/customers/\(customer)", apiKey: Self.apiKey),
                    reply.status == 200, let json = reply.json
                else {
                    done = false
                    continue
                }
                views[customer] = json
                let attributes = json["profile"]["attributes"]
                let counts = expected[customer] ?? [:]
                let sends = (counts["ping"] ?? 0) + (counts["later"] ?? 0) + (counts["quiet"] ?? 0)
                let messages = json["messages"].array
                if (attributes["views"].number ?? 0) < Double(counts["viewed"] ?? 0)
                    || (attributes["laters_fired"].number ?? 0) < Double(counts["later"] ?? 0)
                    || (attributes["quiets"].number ?? 0) < Double(counts["quiet"] ?? 0)
                    || messages.count < sends || messages.contains(where: { $0["state"].string != "delivered" })
                {
                    done = false
                }
            }
            return done
        }

        let deliveries = receiver.arrivals.withLock { $0 }
        var messageCount = 0
        for customer in Self.customers {
            let json = try #require(views[customer], "no state for \(customer)")
            let attributes = json["profile"]["attributes"]
            let counts = expected[customer] ?? [:]
            // Every acknowledged event processed exactly once.
            for (attribute, kind) in [("pings", "ping"), ("laters", "later"), ("quiets", "quiet"), ("views", "viewed")] {
                #expect(
                    (attributes[attribute].number ?? 0) == Double(counts[kind] ?? 0),
                    "\(customer): \(attribute) is \(attributes[attribute].number ?? 0), \(counts[kind] ?? 0) acknowledged")
            }
            // Every timer fired, none early.
            #expect((attributes["laters_fired"].number ?? 0) == Double(counts["later"] ?? 0), "\(customer): timers that never fired")
            #expect(attributes["early_timers"] == .null, "\(customer): a timer fired early")
            // Every message was delivered, once per event; the quiet-hours ones after the window.
            let messages = json["messages"].array
            let names = messages.compactMap { $0["message"].string }
            #expect(names.count(where: { $0 == "ping" }) == counts["ping"] ?? 0, "\(customer): ping messages \(names)")
            #expect(names.count(where: { $0 == "later" }) == counts["later"] ?? 0, "\(customer): later messages \(names)")
            #expect(names.count(where: { $0 == "quiet" }) == counts["quiet"] ?? 0, "\(customer): quiet messages \(names)")
            for message in messages {
                let id = try #require(message["id"].string)
                #expect(message["state"].string == "delivered", "\(customer): \(id) is \(message["state"]): \(message["last_error"])")
                let arrivals = deliveries[id] ?? []
                #expect(!arrivals.isEmpty, "\(customer): \(id) never reached the receiver")
                if message["message"].string == "quiet" {
                    #expect(arrivals.allSatisfy { $0 >= quietEnd }, "\(customer): \(id) was sent in quiet hours")
                }
                messageCount += 1
            }
        }

        // Deliveries at the loopback receiver, counted by `webhook-id`: every message arrived,
        // signed; one arrived twice only if a fault cut off its first attempt between the send and
        // the record of its success (at-least-once with the key: the receiver's dedup key), so
        // its first arrival precedes the kill or the freeze and the second follows it.
        let kill = killedAt.withLock { $0 }
        let freeze = frozenAt.withLock { $0 }
        #expect(deliveries["missing"] == nil, "every webhook carries a webhook-id")
        #expect(deliveries.count == messageCount, "\(deliveries.count) distinct messages delivered, \(messageCount) expected")
        #expect(receiver.signed.withLock { $0 } >= messageCount, "every webhook is signed")
        // The receiver stamps an arrival once it has read the whole request, which on a loaded
        // machine can be a moment after the sender wrote it: a request that a node sent just before
        // it froze or died can be stamped just after. Arrivals that close to a fault count as before it.
        let stampLag = 2.0
        for (id, times) in deliveries where times.count > 1 {
            let sorted = times.sorted()
            let explained = sorted.count == 2 && [kill, freeze].contains { sorted[0] <= $0 + stampLag && sorted[1] >= $0 }
            #expect(
                explained,
                "\(id) arrived \(times.count) times (at \(sorted.map { $0 - kill }) s from the kill; the freeze at \(freeze - kill) s) without a fault to explain it"
            )
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
        // The killed process owns nothing (its restart runs under a new node id).
        let owners = try await store.shardLeases().map(\.owner)
        #expect(!owners.contains { $0.contains("/\(killedPID)/") })
        let latency = feed.latencies(during: [(0, kill), (kill, freeze), (freeze, thawedAt.withLock { $0 })])
        print(
            "cluster: \(acked.count) events, \(messageCount) messages, \(duplicates) delivered twice, "
                + "\(fenced.count) fenced writes (\(fencedPaused.count) by the paused node, \(pausedCommits) of them commits); "
                + "takeover after kill \(taken["kill"] ?? -1) s, after freeze \(taken["freeze"] ?? -1) s; "
                + "the resumed node held at most \(heldAfterThaw.withLock { $0 }) shards; "
                + "acknowledgement latency p50/p99/max (ms) before the kill \(latency[0]), after it \(latency[1]), "
                + "during the freeze \(latency[2])")

        for node in nodes { await node.terminate() }
        try? FileManager.default.removeItem(at: directory)
        await database.drop()
    }

    /// Waits until no shard is owned by the process `pid`; returns when (nil if not within `seconds`).
    static func waitForTakeover(of pid: Int32, store: PostgresJourneyStore, seconds: Double) async throws -> Double? {
        let owned = try await waitUntil(seconds: seconds, pollMilliseconds: 100) {
            try await !store.shardLeases().contains { $0.owner.contains("/\(pid)/") }
        }
        return owned ? Date().timeIntervalSince1970 : nil
    }

    static func waitUntil(
        seconds: Double, pollMilliseconds: Int = 250, _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(pollMilliseconds))
        }
        return try await condition()
    }
}

/// The load: feeders take batches of the plan (each customer's events in turn, of the kinds
/// ``MultiNodeTests/kind(_:)`` gives) and send each to a node that is up until one acknowledges
/// it; the fault script waits on the acknowledgements to strike while events flow.
final class Feed: Sendable {
    struct Event: Sendable {
        var customer: String
        var kind: String
    }

    /// Event id → event, for every acknowledged event.
    let acknowledged = Locked<[String: Event]>([:])
    /// Acknowledged batches per node.
    let acknowledgedBy: Locked<[Int]>
    let unacknowledged = Locked(0)
    /// Requests to a node that was up from start to end and still failed (or timed out).
    let healthyFailures = Locked<[String]>([])
    /// (when, seconds) of every acknowledged request.
    let acknowledgements = Locked<[(at: Double, seconds: Double)]>([])
    private let down = Locked<Set<Int>>([])
    /// Bumped whenever a node goes down or comes up, to tell whether a request overlapped it.
    private let changes = Locked(0)
    private let next = Locked(0)
    private let stopped = Atomic<Bool>(false)

    init(nodes: Int) { acknowledgedBy = Locked(Array(repeating: 0, count: nodes)) }

    func stop() { stopped.store(true, ordering: .relaxed) }
    func markDown(_ node: Int) {
        changes.withLock { $0 += 1 }
        down.withLock { _ = $0.insert(node) }
    }
    func markUp(_ node: Int) {
        down.withLock { _ = $0.remove(node) }
        changes.withLock { $0 += 1 }
    }

    /// p50/p99/max acknowledgement latency in milliseconds of the requests in each period.
    func latencies(during periods: [(Double, Double)]) -> [String] {
        let all = acknowledgements.withLock { $0 }
        return periods.map { from, to in
            let sorted = all.filter { $0.at >= from && $0.at < to }.map(\.seconds).sorted()
            guard !sorted.isEmpty else { return "-" }
            func ms(_ q: Double) -> Int { Int(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] * 1000) }
            return "\(ms(0.5))/\(ms(0.99))/\(Int(sorted.last! * 1000))"
        }
    }

    /// The next batch of 6 events of the plan.
    private func nextBatch() -> [(id: String, event: Event, body: String)] {
        let start = next.withLock { n in
            defer { n += 6 }
            return n
        }
        let customers = MultiNodeTests.customers
        return (start..<start + 6).map { n in
            let customer = customers[n % customers.count]
            let index = n / customers.count
            let kind = MultiNodeTests.kind(index)
            let id = "ev-\(index)-\(customer)"
            return (id, Event(customer: customer, kind: kind), "{\"id\":\"\(id)\",\"customer_id\":\"\(customer)\",\"name\":\"\(kind)\"}")
        }
    }

    func run(feeder: Int, nodes: [HeraldProcess]) async throws {
        var target = feeder
        while !stopped.load(ordering: .relaxed) {
            let batch = nextBatch()
            let body = "[" + batch.map(\.body).joined(separator: ",") + "]"
            var attempts = 0
            while true {
                attempts += 1
                target = (target + 1) % nodes.count
                if down.withLock({ $0.contains(target) }) { continue }
                let before = changes.withLock { $0 }
                let started = Date().timeIntervalSince1970
                let reply: HTTPCall.Reply?
                var failure = ""
                do {
                    reply = try await HTTPCall.send(
                        port: nodes[target].port, .post, "/v1/events", body: body, apiKey: MultiNodeTests.apiKey)
                } catch {
                    reply = nil
                    failure = "\(error)"
                }
                let finished = Date().timeIntervalSince1970
                if let reply, reply.status == 202 {
                    acknowledged.withLock { set in for event in batch { set[event.id] = event.event } }
                    acknowledgedBy.withLock { $0[target] += 1 }
                    acknowledgements.withLock { $0.append((finished, finished - started)) }
                    break
                }
                if changes.withLock({ $0 }) == before {
                    let what = reply.map { "HTTP \($0.status) \($0.body.prefix(200))" } ?? failure
                    healthyFailures.withLock { $0.append("node-\(target) after \(finished - started) s: \(what)") }
                }
                if attempts >= 200 {
                    unacknowledged.withLock { $0 += 1 }
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until `node` (or all nodes together) acknowledged `count` more batches than now.
    func waitForAcknowledgements(by node: Int? = nil, count: Int) async throws {
        func total() -> Int { acknowledgedBy.withLock { counts in node.map { counts[$0] } ?? counts.reduce(0, +) } }
        let target = total() + count
        while total() < target {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
