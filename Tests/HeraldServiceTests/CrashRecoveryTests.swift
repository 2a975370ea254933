import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Synchronization
import Testing

/// Starts the real `herald serve` binary with the journey engine and real journeys — a webhook on
/// an event, another after a timer, and a marketing one deferred by quiet hours and capped at five
/// per customer — delivering through the real webhook channel to a loopback receiver. Feeds it
/// events from several clients, `kill -9`s it at random moments while events flow, restarts it
/// each time, and then checks the service's guarantees: every acknowledged event processed exactly
/// once, every timer fired (never early), no quiet-hours send before the window ends, the cap
/// respected, and no message delivered twice except an attempt cut off by a crash.
@Suite(.serialized)
struct CrashRecoveryTests {
    static let apiKey = "test-key-0123"
    static let cap = 5
    static let laterDelay = 2.0

    /// The quiet window: from three minutes before its end, which is the first whole minute at
    /// least `lead` seconds from now (the feed ends before it, so its marketing sends are deferred).
    static func quietWindow(lead: Double) -> (text: String, end: Double) {
        let end = ((Date().timeIntervalSince1970 + lead) / 60).rounded(.up) * 60
        func clock(_ t: Double) -> String {
            let minutes = Int(t / 60) % (24 * 60)
            return String(format: "%02d:%02d", minutes / 60, minutes % 60)
        }
        return ("\(clock(end - 180)) to \(clock(end))", end)
    }

    static func fixture(quietHours: String) -> JourneyFixture {
        func webhook(_ message: String) -> String {
            #"{"customer": "{{customer.id}}", "message": "\#(message)", "seq": "{{event.seq}}"}"#
        }
        return JourneyFixture(
            journeys: [
                "policy": """
                policy
                  time zone "UTC"
                  cap webhook \(cap) per rolling 1 day
                  quiet hours \(quietHours) for webhook

                """,
                "pings": JourneyFixture.journey("pings", on: "ping", steps: ["increment customer.pings by 1", "send webhook ping transactional"]),
                "laters": JourneyFixture.journey(
                    "laters", on: "later",
                    steps: ["increment customer.laters by 1", "wait \(Int(laterDelay)) seconds", "send webhook later transactional"]),
                "quiet": JourneyFixture.journey("quiet", on: "viewed", steps: ["increment customer.viewed by 1", "send webhook quiet_note"]),
            ],
            webhooks: ["ping": webhook("ping"), "later": webhook("later"), "quiet_note": webhook("quiet_note")])
    }

    @Test func killNineWhileEventsFlow() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        // Journeys directory; channels: signed webhooks to the loopback receiver (private addresses
        // allowed for 127.0.0.0/8 only).
        let journeys = directory.appendingPathComponent("journeys")
        let quiet = Self.quietWindow(lead: 60)
        try Self.fixture(quietHours: quiet.text).write(to: journeys)
        let channels = try receiver.writeChannelsFile(in: directory)

        let makeServer: @Sendable (Int) -> HeraldProcess = { port in
            HeraldProcess(
                arguments: [
                    "serve", "--port", "\(port)", "--data", directory.appendingPathComponent("data").path,
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

        // Events: per customer, "ping" (a webhook at once), "later" (one when its timer fires),
        // and "viewed" (a marketing webhook, deferred to the end of the quiet hours, at most five).
        let customers = (0..<24).map { "cust-\($0)" }
        var planned: [(id: String, customer: String, name: String, body: String)] = []
        for round in 0..<40 {
            for (index, customer) in customers.enumerated() {
                let id = "ev-\(round)-\(index)"
                let name: String
                switch (round + index) % 5 {
                case 0: name = "ping"
                case 1: name = "later"
                default: name = "viewed"
                }
                planned.append(
                    (id, customer, name, "{\"id\":\"\(id)\",\"customer_id\":\"\(customer)\",\"name\":\"\(name)\",\"properties\":{\"seq\":\"\(id)\"}}")
                )
            }
        }
        let plan = planned
        let batches = stride(from: 0, to: plan.count, by: 8).map { Array(plan[$0..<min($0 + 8, plan.count)]) }
        let acknowledged = Locked<Set<String>>([])
        let firstSent = Locked<[String: Double]>([:])  // event id → when its batch was first posted
        let refused = Locked(0)
        let kills = Locked<[Double]>([])

        // Four feeders; a batch is retried (same ids) until it is acknowledged.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for feeder in 0..<4 {
                group.addTask {
                    for (index, batch) in batches.enumerated() where index % 4 == feeder {
                        let body = "[" + batch.map(\.body).joined(separator: ",") + "]"
                        var attempts = 0
                        let posted = Date().timeIntervalSince1970
                        firstSent.withLock { for event in batch { $0[event.id] = posted } }
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
                    await server.kill()
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

        #expect(Date().timeIntervalSince1970 < quiet.end, "the feed ended inside the quiet hours, so its marketing sends were deferred")

        // What must arrive: one webhook per ping and per later event, and per customer as many
        // quiet-hours notes as the cap allows.
        func count(_ customer: String, _ name: String) -> Int { plan.filter { $0.customer == customer && $0.name == name }.count }
        let expectedWebhooks = customers.reduce(0) { $0 + count($1, "ping") + count($1, "later") + min(Self.cap, count($1, "viewed")) }
        // Wait until the quiet hours are over and every expected webhook arrived, and every
        // customer's messages are recorded as delivered.
        let deadline = Date().addingTimeInterval(max(0, quiet.end - Date().timeIntervalSince1970) + 90)
        var states: [String: Value] = [:]
        while Date() < deadline {
            var done = receiver.arrivals.withLock { $0.count } >= expectedWebhooks
            for customer in customers where done {
                guard let reply = try? await HTTPCall.send(port: port, .get, "/v1/customers/\(customer)", apiKey: Self.apiKey),
                    reply.status == 200, let json = reply.json
                else {
                    done = false
                    continue
                }
                states[customer] = json
                let messages = json["messages"].array
                if messages.contains(where: { $0["state"].string != "delivered" }) { done = false }
            }
            if done { break }
            try await Task.sleep(for: .milliseconds(250))
        }

        // Deliveries at the receiver, by `webhook-id`, with what each says (message and event).
        let arrivals = receiver.arrivals.withLock { $0 }
        let bodies = receiver.bodies.withLock { $0 }
        struct Sent {
            var message: String
            var customer: String
            var seq: String
            var times: [Double]
        }
        var sent: [String: Sent] = [:]
        for (id, times) in arrivals {
            guard let data = bodies[id]?.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
                let message = object["message"], let customer = object["customer"], let seq = object["seq"]
            else {
                Issue.record("webhook \(id) has an unexpected body: \(bodies[id] ?? "none")")
                continue
            }
            sent[id] = Sent(message: message, customer: customer, seq: seq, times: times)
        }
        #expect(arrivals["missing"] == nil, "every webhook carries a webhook-id")
        #expect(receiver.signed.withLock { $0 } >= arrivals.count, "every webhook is signed")

        for customer in customers {
            let json = try #require(states[customer], "no state for \(customer)")
            let attributes = json["profile"]["attributes"]
            // Exactly once: every acknowledged event handled once (the journeys count them).
            for (name, attribute) in [("ping", "pings"), ("later", "laters"), ("viewed", "viewed")] {
                #expect(
                    Int(attributes[attribute].number ?? 0) == count(customer, name),
                    "\(customer) handled \(attributes[attribute].number ?? 0) of \(count(customer, name)) \(name) events")
            }
            let mine = sent.values.filter { $0.customer == customer }
            for message in ["ping", "later"] {
                let seqs = mine.filter { $0.message == message }.map(\.seq)
                let events = plan.filter { $0.customer == customer && $0.name == message }.map(\.id)
                #expect(seqs.sorted() == events.sorted(), "\(customer): one \(message) webhook per event, none twice")
            }
            // Every timer fired, never early: a later webhook arrives at least the wait after its
            // event was first posted.
            for later in mine where later.message == "later" {
                let posted = firstSent.withLock { $0[later.seq] } ?? .infinity
                #expect(later.times[0] >= posted + Self.laterDelay, "\(customer): the timer of \(later.seq) fired early")
            }
            // The cap, and the quiet hours: at most five marketing notes, none before the window ended.
            let notes = mine.filter { $0.message == "quiet_note" }
            #expect(notes.count == min(Self.cap, count(customer, "viewed")), "\(customer): \(notes.count) quiet-hours notes")
            #expect(Set(notes.map(\.seq)).count == notes.count, "\(customer): a note sent twice for one event")
            for note in notes {
                #expect(note.times[0] >= quiet.end, "\(customer): a note arrived \(quiet.end - note.times[0]) s inside the quiet hours")
            }
        }

        // A message arrived twice only if a crash cut off its attempt before the success was
        // recorded (at-least-once with the idempotency key — a receiver honouring the key sees it once).
        let killTimes = kills.withLock { $0 }
        // Recorded attempts per message (a timed-out attempt is recorded as a retry).
        var attempts: [String: Int] = [:]
        for json in states.values {
            for message in json["messages"].array {
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
        #expect(await finalServer.terminate() == 0, "graceful shutdown on SIGTERM")
    }
}
