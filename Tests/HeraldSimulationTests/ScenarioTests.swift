import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

@testable import HeraldSimulation

struct ScenarioTests {
    static let start = ScenarioFile.defaultStart

    @Test(arguments: [
        ("+0", 0.0), ("+1h", 3_600), ("+1h30m", 5_400), ("+2d 3h", 183_600), ("+90s", 90), ("-1d", -86_400), ("2w", 1_209_600),
        ("+15d 2m", 1_296_120),
    ])
    func relativeTimes(text: String, offset: Double) {
        #expect(ScenarioFile.parseTime(text, start: Self.start) == Self.start + offset)
    }

    @Test func absoluteAndInvalidTimes() {
        #expect(ScenarioFile.parseTime("2026-03-02T10:00:00Z", start: 0) == Self.start + 3_600)
        #expect(ScenarioFile.parseTime("+1x", start: 0) == nil)
        #expect(ScenarioFile.parseTime("soon", start: 0) == nil)
    }

    @Test(arguments: [
        (
            "send email cart_reminder to c1 at +1h",
            ScenarioExpectation.Kind.send(channel: .email, message: "cart_reminder", customer: "c1", at: start + 3_600, journey: nil, negated: false)
        ),
        ("expect send sms to c2", .send(channel: .sms, message: nil, customer: "c2", at: nil, journey: nil, negated: false)),
        ("no send to c2", .send(channel: nil, message: nil, customer: "c2", at: nil, journey: nil, negated: true)),
        (
            "no send vip_discount to c2 from cart",
            .send(channel: nil, message: "vip_discount", customer: "c2", at: nil, journey: "cart", negated: true)
        ),
        ("3 sends to c1", .sendCount(3, customer: "c1", journey: nil)),
        ("skipped sms cart_nudge to c3", .skipped(channel: .sms, message: "cart_nudge", customer: "c3")),
        ("deferred email digest to c4 until +9h", .deferred(channel: .email, message: "digest", customer: "c4", until: start + 32_400)),
        (
            "skipped email digest to c3 from news because conflict with cart",
            .skipped(channel: .email, message: "digest", customer: "c3", journey: "news", because: "conflict with cart")
        ),
        ("skipped to c3 because defer bound expired", .skipped(channel: nil, message: nil, customer: "c3", because: "defer bound expired")),
        (
            "deferred sms to c4 until +9h because quiet hours",
            .deferred(channel: .sms, message: nil, customer: "c4", until: start + 32_400, because: "quiet hours")
        ),
        ("deferred email digest to c4 from news", .deferred(channel: .email, message: "digest", customer: "c4", journey: "news")),
        ("c1 entered cart_abandonment", .entered(customer: "c1", journey: "cart_abandonment", negated: false)),
        ("c2 not entered cart_abandonment", .entered(customer: "c2", journey: "cart_abandonment", negated: true)),
        ("c1 exited by goal", .exited(customer: "c1", journey: nil, reason: "goal")),
        ("c1 exited cart by event order.completed", .exited(customer: "c1", journey: "cart", reason: "event order.completed")),
        ("c1 converted in cart", .converted(customer: "c1", journey: "cart", negated: false)),
        ("c1 not converted", .converted(customer: "c1", journey: nil, negated: true)),
        ("c3 in variant B", .variant(customer: "c3", variant: "B", split: nil)),
        ("c3 in variant B of subject", .variant(customer: "c3", variant: "B", split: "subject")),
        // A relative time of several words, as documented (`+2d 3h`), after `at` and `until`.
        (
            "send email digest to c1 at +15d 2m from news",
            .send(channel: .email, message: "digest", customer: "c1", at: start + 1_296_120, journey: "news", negated: false)
        ),
        ("deferred sms to c4 until +2d 3h", .deferred(channel: .sms, message: nil, customer: "c4", until: start + 183_600)),
        ("c1 exited by \"no answer\"", .exited(customer: "c1", journey: nil, reason: "\"no answer\"")),
    ])
    func expectationGrammar(text: String, kind: ScenarioExpectation.Kind) throws {
        #expect(try ScenarioExpectation.parse(text, start: Self.start, line: 1).kind == kind)
    }

    @Test(arguments: [
        "send email to", "send email x to c1 at soon", "c1 wandered off", "", "no send a b c to c1", "send x to c1 on monday",
        "skipped email x to c1 because", "skipped email x to c1 until +1h", "deferred email x to c1 until soon", "deferred x to c1 later",
    ])
    func badExpectations(text: String) {
        #expect(throws: (any Error).self) { try ScenarioExpectation.parse(text, start: 0, line: 1) }
    }

    @Test func reasonsMatchTheirRuleOrWording() {
        let cap = DecisionReason.capReached(cap: "sms_per_day", count: 1, limit: 1, freesAt: Self.start + 54_000)
        let expired = DecisionReason.deferBoundExpired(bound: 7_200, blockedBy: cap)
        #expect(ScenarioExpectation.reason(expired, matches: "defer bound expired"))
        #expect(ScenarioExpectation.reason(expired, matches: "cap"))
        #expect(ScenarioExpectation.reason(expired, matches: "cap sms_per_day"))
        #expect(ScenarioExpectation.reason(expired, matches: "within the 2h defer bound"))
        #expect(!ScenarioExpectation.reason(expired, matches: "conflict"))
        #expect(!ScenarioExpectation.reason(cap, matches: "defer bound expired"))
        let conflict = DecisionReason.conflict(winner: "cart", winnerPriority: 80)
        #expect(ScenarioExpectation.reason(conflict, matches: "Conflict"))
        #expect(ScenarioExpectation.reason(conflict, matches: "conflict with cart"))
        #expect(ScenarioExpectation.reason(conflict, matches: "journey cart (priority 80) won the settle window"))
        #expect(ScenarioExpectation.reason(conflict, matches: "journey `cart` (priority 80) won"))
        #expect(!ScenarioExpectation.reason(conflict, matches: "conflict with news"))
        #expect(
            ScenarioExpectation.reason(
                .fallbackBlocked(from: .sms, because: .noConsent(channel: .sms, topic: nil), fallback: .email, blockedBy: conflict),
                matches: "conflict"))
    }

    @Test func scenarioFileErrorsCarryTheLine() throws {
        let yaml = """
            scenario: broken
            customers: [c1]
            events:
              - {at: +0, name: cart.updated}
              - {at: later, name: cart.updated}
            expect:
              - no send to c1
            """
        let error = try #require(throws: ScenarioError.self) { try ScenarioFile.parse(yaml, file: "Journeys/tests/x.yaml") }
        #expect(error.line == 5)
        #expect(error.description.hasPrefix("Journeys/tests/x.yaml:5: error: an event needs `at`"))
    }

    /// `by "no answer"`, `by no answer` and `by exit "no answer"` all name an `exit "no answer"` step.
    @Test(arguments: ["\"no answer\"", "no answer", "exit \"no answer\""])
    func explicitExitReasonsMatchWithOrWithoutQuotes(reason: String) {
        #expect(ScenarioExpectation.exitReason(.explicit("no answer"), matches: reason))
        #expect(!ScenarioExpectation.exitReason(.explicit("no answer at all"), matches: reason))
        #expect(!ScenarioExpectation.exitReason(.goal, matches: reason))
    }

    @Test func exitedByNothingSaysWhatAReasonIs() throws {
        let error = try #require(throws: (any Error).self) { try ScenarioExpectation.parse("c1 exited by", start: 0, line: 1) }
        #expect("\(error)".contains("`by` needs a reason"))
    }

    /// One unreadable case fails alone; the other cases of the file still run.
    @Test func aBadCaseFailsOnlyItself() throws {
        let journey = JourneyProgram.simple(name: "hello", trigger: "signed_up", message: "welcome")
        let catalog = JourneyCatalog(journeys: [journey], segments: [:], policy: DeliveryPolicyProgram(), schema: Schema(), messages: [:])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cases-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cases.yaml")
        try """
        scenarios:
          - scenario: good before
            customers: [c1]
            events: [{at: +0, name: signed_up}]
            expect: [send email welcome to c1]
          - scenario: misspelt
            customers: [c1]
            events: [{at: +0, name: signed_up}]
            expect: [c1 wandered off]
          - scenario: good after
            customers: [c1]
            events: [{at: +0, name: signed_up}]
            expect: [c1 entered hello]
        """.write(to: file, atomically: true, encoding: .utf8)
        let summary = ScenarioRunner { _ in catalog }.run(paths: [file.path])
        #expect(summary.results.map(\.name) == ["good before", "misspelt", "good after"])
        #expect(summary.results.map(\.passed) == [true, false, true])
        #expect(summary.results[1].error?.contains("cases.yaml:9: error: cannot read expectation \"c1 wandered off\"") == true)
        #expect(summary.render().hasSuffix("2 passed, 1 failed\n"))
    }

    /// A journey longer than the default horizon: the failure says where the replay stopped,
    /// why, and who was still waiting.
    @Test func aFailureSaysWhereTheReplayStopped() throws {
        let source = """
            journey slow "Slow"
              trigger on event "signed_up"
              wait 20 days
              send email welcome

            """
        let catalog = try #require(JourneyCompiler.compile(sources: ["slow.journey": source]).catalog)
        let yaml = """
            customers: [c1]
            events: [{at: +0, name: signed_up}]
            expect: [send email welcome to c1]
            """
        let scenario = try #require(try ScenarioFile.parse(yaml, file: "t.yaml").first)
        let result = ScenarioRunner { _ in catalog }.run(scenario, catalog: catalog)
        #expect(result.failures.count == 1)
        #expect(result.notes.first?.contains("the replay stopped at 2026-03-16T09:00:00Z (+14d, the default") == true)
        #expect(result.notes.contains("c1 was still in slow at wait_20_days until 2026-03-22T09:00:00Z"))
        #expect(TestSummary(results: [result]).render().contains("note: the replay stopped at"))
        // With `until` far enough, it passes.
        let longer = try #require(try ScenarioFile.parse(yaml + "\nuntil: +21d", file: "t.yaml").first)
        #expect(ScenarioRunner { _ in catalog }.run(longer, catalog: catalog).passed)
    }

    @Test func scenarioFileDefaults() throws {
        let yaml = """
            start: 2026-03-02T08:00:00Z
            scenarios:
              - scenario: one
                customers:
                  - c1
                  - {id: c2, phone: null, attributes: {ltv: 5, vip: true, name: "007"}}
                events:
                  - {at: +1h, customer: c2, name: signed_up, properties: {source: ads}}
                  - {at: +2h, customer: c2, profile: {subscriptions: {email: false}}}
                  - {at: -90d, customer: c1, name: order.completed, history: true}
                expect:
                  - no send to c1
            """
        let scenarios = try ScenarioFile.parse(yaml, file: "Journeys/tests/x.yaml")
        let s = try #require(scenarios.first)
        #expect(s.journeys == "Journeys")
        #expect(s.start == Self.start - 3_600)
        #expect(s.customers.map(\.email) == ["c1@example.com", "c2@example.com"])
        #expect(s.customers[1].phone == nil)
        #expect(s.customers[1].attributes == ["ltv": .number(5), "vip": .bool(true), "name": .string("007")])
        #expect(s.events.map(\.timestamp) == [Self.start])
        #expect(s.history.count == 1)
        #expect(s.profileUpdates.first?.profile.subscriptions == ["email": false])
    }

    @Test func runnerReportsExpectedAndActualWithTheTimeline() throws {
        let journey = JourneyProgram.simple(name: "hello", trigger: "signed_up", message: "welcome")
        let catalog = JourneyCatalog(journeys: [journey], segments: [:], policy: DeliveryPolicyProgram(), schema: Schema(), messages: [:])
        let yaml = """
            customers: [c1, c2]
            events:
              - {at: +0, customer: c1, name: signed_up}
            expect:
              - send email welcome to c1 at +0
              - send email welcome to c2
              - c2 not entered hello
            """
        let scenario = try #require(try ScenarioFile.parse(yaml, file: "t.yaml").first)
        let runner = ScenarioRunner { _ in catalog }
        let result = runner.run(scenario, catalog: catalog)
        #expect(result.failures.count == 1)
        let failure = try #require(result.failures.first)
        #expect(failure.expectation.text == "send email welcome to c2")
        #expect(failure.actual == "no sends")
        let summary = TestSummary(results: [result]).render()
        #expect(summary.hasSuffix("0 passed, 1 failed\n"))
        #expect(summary.contains("t.yaml:6: expected: send email welcome to c2"))
    }
}

extension JourneyProgram {
    /// `trigger on event <trigger>` → `send email <message>` → end.
    static func simple(name: String, trigger: String, message: String) -> JourneyProgram {
        let here = SourceLocation(file: "\(name).journey", line: 1, column: 1)
        return JourneyProgram(
            name: name, title: name, version: "v1", location: here, stage: .awareness, priority: 50, trigger: .event(name: trigger, filter: nil),
            entry: .oneAtATime, exits: [], goal: nil, timeZone: nil, caps: [],
            states: [
                JourneyState(
                    id: 0, label: "send_\(message)", stage: nil, location: here,
                    kind: .send(Send(channel: .email, message: message, category: .marketing), next: 1)),
                JourneyState(id: 1, label: "end", stage: nil, location: here, kind: .exit(.completed)),
            ], initial: 0)
    }
}
