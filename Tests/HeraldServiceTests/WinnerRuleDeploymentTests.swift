import Foundation
import HTTPTypes
import HeraldService
import HeraldSimulation
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// Winner rules in the service: it decides a split's winner from its per-variant counters at the
/// rule's time, with the dry-run's rule and test (``WinnerVerdict``), records it in the store and
/// sends later entrants to it. The same customers and events through the dry-run and the service
/// give the same winner (variant, instant, evidence), the same sends and the same timeline words;
/// below the minimum sample, or without a significant difference, neither decides a winner.
struct WinnerRuleDeploymentTests {
    static let start = 1_795_000_000.0
    static let day = 86_400.0

    static func fixture(rule: String) -> JourneyFixture {
        JourneyFixture(
            journeys: [
                "policy": "policy\n  time zone \"UTC\"\n  cap marketing 5 per day\n",
                "promo": """
                journey promo
                  trigger on event "signed_up"
                  goal event "order.completed" within 7 days
                  split offer
                    \(rule)
                    variant a 45%
                      send webhook offer_a
                    variant b 45%
                      send webhook offer_b
                    control 10%

                """,
            ],
            webhooks: ["offer_a": #"{"v": "a"}"#, "offer_b": #"{"v": "b"}"#])
    }

    /// 120 customers sign up in the first 10 hours, converting an hour later by a fixed pattern
    /// (`percentA` of variant a's, `percentB` of variant b's); 30 more sign up a day and two hours
    /// after the first, once a winner can be decided.
    static func sample(catalog: JourneyCatalog, percentA: Int, percentB: Int) -> (customers: [CustomerProfile], events: [CustomerEvent]) {
        let customers = (0..<150).map { CustomerProfile(id: "w\($0)") }
        let signups = customers.enumerated().map { n, customer in
            let at = n < 120 ? start + 60 + Double(n) * 300 : start + day + 7_200 + Double(n - 120) * 60
            return CustomerEvent(id: "s\(n)", customerID: customer.id, name: "signed_up", timestamp: at)
        }
        // The customers' own variants (what the split assigns without a winner).
        var own: [String: String] = [:]
        for c in DryRun(catalog: catalog).run(customers: customers, events: Array(signups.prefix(120))).customers {
            for r in c.timeline { if case .variantAssigned("offer", let v, _, _) = r.kind { own[c.id] = v } }
        }
        var events = signups
        var seen: [String: Int] = [:]
        for signup in signups.prefix(120) {
            let variant = own[signup.customerID] ?? "control"
            let k = seen[variant, default: 0]
            seen[variant] = k + 1
            let percent = variant == "a" ? percentA : variant == "b" ? percentB : 0
            if k % 10 < percent / 10 {
                events.append(
                    CustomerEvent(
                        id: "o-\(signup.customerID)", customerID: signup.customerID, name: "order.completed", timestamp: signup.timestamp + 3_600))
            }
        }
        return (customers, events.sorted { ($0.timestamp, $0.id) < ($1.timestamp, $1.id) })
    }

    @Test(
        arguments: [
            // rule, percent of a converting, of b: a winner (a) / none: below the minimum / none: no significant difference
            ("winner after 1 day by conversion min 30 per variant", 60, 10, "a"),
            ("winner after 1 day by conversion min 100 per variant", 60, 10, nil),
            ("winner after 1 day by conversion min 30 per variant", 30, 30, nil),
        ] as [(String, Int, Int, String?)])
    func theServiceDecidesTheDryRunsWinnerAndSendsLaterEntrantsToIt(rule: String, percentA: Int, percentB: Int, winner: String?) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-winner-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.fixture(rule: rule).write(to: directory)
        let catalog = try #require(JourneyCompiler.compile(directory: directory.path).catalog, "the fixture compiles")
        let (customers, events) = Self.sample(catalog: catalog, percentA: percentA, percentB: percentB)
        let until = Self.start + 3 * Self.day
        let dryRun = DryRun(catalog: catalog).run(customers: customers, events: events, options: DryRunOptions(from: Self.start, until: until))
        #expect(dryRun.winners.map(\.variant) == (winner.map { [$0] } ?? []), "the dry-run's winner: \(dryRun.notes)")
        let expectedSends = Set(dryRun.customers.flatMap(\.outbox).map(ServiceDryRunEquivalenceTests.describe))
        // The first look at the rule: a day after the split's first entrant other than the control.
        let firstEntrant = try #require(
            dryRun.customers.flatMap(\.timeline).compactMap { r -> Double? in
                if case .variantAssigned("offer", _, false, _) = r.kind { r.at } else { nil }
            }.min())
        let look = firstEntrant + Self.day
        if let decided = dryRun.winners.first { #expect(decided.since == look) }
        let lateWords = dryRun.customers.filter { $0.id == "w149" }.flatMap(TimelineText.lines).filter { $0.contains("split offer:") }

        let clock = Locked(Self.start)
        try await TestServer.withClockedServer(journeys: directory.path, clock: clock) { port, server, settle in
            for customer in customers {
                #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(customer.id)", body: "{}").status == 200)
            }
            try await settle()
            var lookedAt = false
            for event in events {
                if !lookedAt && event.timestamp > look {
                    // The rule's look: housekeeping decides (or not) at this instant.
                    lookedAt = true
                    clock.withLock { $0 = look }
                    try await settle()
                    if winner != nil {
                        #expect(try await TestServer.eventually { try await !server.store.splitWinners().isEmpty }, "the service decided")
                    } else {
                        try await Task.sleep(for: .seconds(12))  // two housekeeping passes (every 5 s) look at the rule
                    }
                }
                clock.withLock { $0 = event.timestamp }
                try await settle()
                let body = try String(decoding: JSONEncoder().encode(ServiceDryRunEquivalenceTests.body(event)), as: UTF8.self)
                #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: body).status == 202)
                try await settle()
            }
            #expect(lookedAt)
            clock.withLock { $0 = until }
            try await settle()

            let recorded = try await server.store.splitWinners()
            #expect(recorded == dryRun.winners, "the same winner, instant and evidence in both worlds")
            #expect(server.registry.current?.winners == dryRun.winners, "the engine runs with it")
            var sends: Set<String> = []
            for customer in customers {
                for status in try await server.store.outbox(customerID: customer.id, limit: 100) {
                    sends.insert(ServiceDryRunEquivalenceTests.describe(status.message))
                }
            }
            #expect(
                sends == expectedSends,
                "service only: \(sends.subtracting(expectedSends).sorted()); dry-run only: \(expectedSends.subtracting(sends).sorted())")
            // A later entrant's timeline says the same in both worlds.
            let log = try await server.store.customerLog(customerID: "w149", limit: 50).map(\.summary).filter { $0.contains("split offer:") }
            #expect(log.count == 1 && lateWords.count == 1 && lateWords[0].hasSuffix(log[0]), "service \(log) vs dry-run \(lateWords)")
            if let winner {
                #expect(log.first?.contains("variant \(winner) (winner since") == true || log.first?.contains("(control)") == true)
                // The console's map shows the decided winner on the split.
                let session = try await ConsoleTests.signIn(port: port)
                let map = try await ConsoleTests.call(port: port, .get, "/console/journeys/promo", cookie: session.cookie)
                #expect(map.body.contains("winner: \(winner) since "), "the split shows its winner")
            }
        }
    }
}
