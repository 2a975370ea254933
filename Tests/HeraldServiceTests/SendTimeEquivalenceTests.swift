import Foundation
import HTTPTypes
import HeraldService
import HeraldSimulation
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// `at best time within …` chooses the same instant, for the same reason, in the service (its
/// store, counters and processors on a clock the test moves) as in the dry-run: the customer's
/// own hour, the journey's audience-wide hour learnt from other customers' engagement on earlier
/// days, and the fallbacks.
struct SendTimeEquivalenceTests {
    static let start = ServiceDryRunEquivalenceTests.start  // a Sunday afternoon in November 2026
    static let day = 86_400.0

    static let journeyFiles: [String: String] = [
        "policy.journey": "policy\n  cap marketing 5 per day\n  quiet hours 22:00 to 08:00\n",
        "weekly.journey": """
        journey weekly
          trigger on event "digest.ready"
          send email weekly at best time within 24 hours

        """,
    ]

    static let profiles: [CustomerProfile] = [
        CustomerProfile(id: "own", email: "own@example.com", timeZone: "Europe/Berlin"),
        CustomerProfile(id: "few", email: "few@example.com", timeZone: "Asia/Tokyo"),
        CustomerProfile(id: "new", email: "new@example.com", timeZone: "America/New_York"),
        CustomerProfile(id: "a1", email: "a1@example.com", timeZone: "America/Chicago"),
        CustomerProfile(id: "a2", email: "a2@example.com", timeZone: "Europe/London"),
        CustomerProfile(id: "a3", email: "a3@example.com", timeZone: "Asia/Kolkata"),
    ]

    /// The local instant `hh:mm` in `zone` on day `n` after the start's UTC day.
    static func local(_ zone: String, day n: Int, _ hour: Int, _ minute: Int) -> Double {
        let tz = TimeZone(identifier: zone)!
        let midnightUTC = (start / day).rounded(.down) * day + Double(n) * day
        let guess = midnightUTC + Double(hour * 3_600 + minute * 60)
        return guess - Double(tz.secondsFromGMT(for: Date(timeIntervalSince1970: guess)))
    }

    static var events: [CustomerEvent] {
        var events: [CustomerEvent] = []
        func add(_ customer: String, _ name: String, _ at: Double, message: String? = nil) {
            let properties: [String: Value] = message.map { ["message_id": .string($0)] } ?? [:]
            events.append(CustomerEvent(id: "e\(events.count)", customerID: customer, name: name, properties: properties, timestamp: at))
        }
        // Days 1–4: the audience opens and clicks the journey's messages around 10:00 local time;
        // `own` clicks its own at 19:00; `few` clicks twice at 23:00.
        for n in 1...4 {
            for (customer, profile) in [("a1", 3), ("a2", 4), ("a3", 5)] {
                let zone = profiles[profile].timeZone!
                add(
                    customer, n % 2 == 0 ? "email.opened" : "email.clicked", local(zone, day: n, 10, 5 * n),
                    message: "\(customer)/weekly/1/send_email_weekly/email")
            }
            add("own", "email.clicked", local("Europe/Berlin", day: n, 19, 10 + n), message: "own/weekly/1/send_email_weekly/email")
        }
        add("few", "email.clicked", local("Asia/Tokyo", day: 2, 23, 0))
        add("few", "sms.clicked", local("Asia/Tokyo", day: 3, 23, 30))
        // Day 6: the digest is ready for everyone at once.
        let ready = local("UTC", day: 6, 5, 0)
        for (k, customer) in ["own", "few", "new", "a1"].enumerated() { add(customer, "digest.ready", ready + Double(k)) }
        return events.sorted { $0.timestamp < $1.timestamp }
    }

    static let expectedReasons: [String: String] = [
        "own": "best hour 19:00 local, from 4 clicks",
        "few": "too little history (2 engagements): journey's best hour 10:00",
        "new": "no history: journey's best hour 10:00",
        "a1": "best hour 10:00 local, from 2 opens and 2 clicks",
    ]

    @Test func theServiceChoosesTheSameTimeForTheSameReasonAsTheDryRun() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-send-time-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("messages/weekly"), withIntermediateDirectories: true)
        for (name, text) in Self.journeyFiles { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        try "This week".write(to: directory.appendingPathComponent("messages/weekly/subject.mustache"), atomically: true, encoding: .utf8)
        try "Hello {{customer.id}}".write(
            to: directory.appendingPathComponent("messages/weekly/body.txt.mustache"), atomically: true, encoding: .utf8)
        let compiled = JourneyCompiler.compile(directory: directory.path)
        let catalog = try #require(compiled.catalog, "\(compiled.diagnostics)")

        let events = Self.events
        let until = Self.start + 9 * Self.day
        let dryRun = DryRun(catalog: catalog).run(customers: Self.profiles, events: events, options: DryRunOptions(from: Self.start, until: until))
        var dryReasons: [String: String] = [:]
        for customer in dryRun.customers {
            for record in customer.timeline {
                if case .sendTimeChosen(_, _, _, let choice) = record.kind { dryReasons[customer.id] = choice.description }
            }
        }
        #expect(dryReasons == Self.expectedReasons)
        let expected = Set(dryRun.customers.flatMap(\.outbox).map(ServiceDryRunEquivalenceTests.describe))
        #expect(expected.count == 4, "\(expected.sorted())")
        // `own` hears at 19:00 Berlin time, the others at 10:00 in their own zones.
        let sentAt = Dictionary(dryRun.customers.flatMap(\.outbox).map { ($0.customerID, $0.at) }, uniquingKeysWith: { a, _ in a })
        #expect(sentAt["own"] == Self.local("Europe/Berlin", day: 6, 19, 0))
        #expect(sentAt["new"] == Self.local("America/New_York", day: 6, 10, 0))

        let clock = Locked(Self.start)
        let (actual, logs) = try await TestServer.withClockedServer(journeys: directory.path, clock: clock) { port, server, settle in
            for profile in Self.profiles {
                let body = try String(decoding: JSONEncoder().encode(ServiceDryRunEquivalenceTests.body(profile)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(profile.id)", body: body).status == 200)
            }
            try await settle()
            for event in events {
                clock.withLock { $0 = event.timestamp }
                try await settle()
                let body = try String(decoding: JSONEncoder().encode(ServiceDryRunEquivalenceTests.body(event)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: body).status == 202)
                try await settle()
            }
            clock.withLock { $0 = until }
            try await settle()
            var sends: Set<String> = []
            var logs: [String: String] = [:]
            for profile in Self.profiles {
                for status in try await server.store.outbox(customerID: profile.id, limit: 1_000) {
                    sends.insert(ServiceDryRunEquivalenceTests.describe(status.message))
                }
                logs[profile.id] = try await HTTPCall.send(port: port, .get, "/v1/customers/\(profile.id)").body
            }
            return (sends, logs)
        }
        #expect(actual == expected, "service only: \(actual.subtracting(expected).sorted()); dry-run only: \(expected.subtracting(actual).sorted())")
        for (customer, reason) in Self.expectedReasons {
            #expect(logs[customer]?.contains(reason) == true, "\(customer): \(logs[customer] ?? "no log")")
        }
        // The customer API shows the choice as a `send_time` line with the chosen instant.
        let own = try #require(logs["own"].flatMap { try? JSONDecoder().decode(Value.self, from: Data($0.utf8)) })
        guard case .list(let lines) = own[path: ["recent_decisions"]] else {
            Issue.record("no recent_decisions in \(own)")
            return
        }
        let line = try #require(lines.first { $0[path: ["kind"]] == .string("send_time") })
        #expect(line[path: ["message"]] == .string("weekly"))
        #expect(line[path: ["until"]] == .string(Value.formatTime(Self.local("Europe/Berlin", day: 6, 19, 0))))
    }
}
