import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

@testable import HeraldSimulation

/// The dry-run and the journey tests on the real example journeys and sample data.
struct DryRunTests {
    /// The package root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func catalog() throws -> JourneyCatalog {
        let compilation = JourneyCompiler.compile(directory: "\(root)/Journeys")
        return try #require(compilation.catalog, "Journeys/ does not compile: \(compilation.errors)")
    }

    static func samples() throws -> (customers: [CustomerProfile], events: LoadedEvents) {
        let loader = SampleLoader(strict: true)
        return (
            try loader.customers(at: "\(root)/Journeys/samples/customers.ndjson").customers,
            try loader.events(at: "\(root)/Journeys/samples/events.ndjson")
        )
    }

    @Test func samplesExerciseEveryExampleJourney() throws {
        let catalog = try Self.catalog()
        let (customers, events) = try Self.samples()
        // No wall-clock bound here: a debug build on a loaded 2-core machine can take any time. The
        // dry-run's speed is a benchmark row (`make bench`, "dry-run 1M customers" in BENCHMARKS.md).
        let run = DryRun(catalog: catalog).run(customers: customers, events: events.events, history: events.history)
        let report = run.report
        for journey in catalog.journeys {
            let entries = report.journeys.first { $0.journey == journey.name }?.entries ?? 0
            #expect(entries > 0, "no sample customer entered \(journey.name)")
        }
        #expect(run.customers.count >= 300)
        #expect(report.journeys.contains { !$0.experiments.isEmpty })
        #expect(report.journeys.contains { $0.conversions > 0 })
        #expect(report.journeys.contains { $0.decisions.deferred > 0 })
    }

    /// Customers are replayed and tallied on several threads: the output is the one a single
    /// thread gives, whatever the number of threads.
    @Test(arguments: [2, 3, 7])
    func outputDoesNotDependOnThreads(threads: Int) throws {
        let catalog = try Self.catalog()
        let (customers, events) = try Self.samples()
        func render(_ threads: Int) -> String {
            let options = DryRunOptions(threads: threads)
            let result = DryRun(catalog: catalog).run(customers: customers, events: events.events, history: events.history, options: options)
            return DryRunJSONRenderer(result: result).render() + DryRunTextRenderer(result: result).render()
        }
        #expect(render(threads) == render(1))
    }

    @Test func jsonOutputIsDeterministicAndValid() throws {
        let catalog = try Self.catalog()
        let (customers, events) = try Self.samples()
        let first = DryRunJSONRenderer(result: DryRun(catalog: catalog).run(customers: customers, events: events.events, history: events.history))
            .render()
        // Shuffled input order: same output.
        let second = DryRunJSONRenderer(
            result: DryRun(catalog: catalog).run(customers: customers.reversed(), events: events.events, history: events.history.reversed())
        ).render()
        #expect(first == second)
        let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
        #expect(object?["format"] as? String == "herald.dry-run/1")
        #expect((object?["customers"] as? [Any])?.count == customers.count)
    }

    @Test func seedReshufflesExperimentsOnly() throws {
        let catalog = try Self.catalog()
        let (customers, events) = try Self.samples()
        let zero = DryRun(catalog: catalog, seed: 0).run(customers: customers, events: events.events, history: events.history)
        let again = DryRun(catalog: catalog, seed: 0).run(customers: customers, events: events.events, history: events.history)
        let other = DryRun(catalog: catalog, seed: 7).run(customers: customers, events: events.events, history: events.history)
        func variants(_ r: DryRunResult) -> [String] {
            r.customers.flatMap { c in c.timeline.compactMap { if case .variantAssigned(_, let v, _, _) = $0.kind { "\(c.id)=\(v)" } else { nil } } }
        }
        #expect(variants(zero) == variants(again))
        #expect(variants(zero) != variants(other))
    }

    @Test func textOutputFiltersOneCustomer() throws {
        let catalog = try Self.catalog()
        let (customers, events) = try Self.samples()
        let result = DryRun(catalog: catalog).run(customers: customers, events: events.events, history: events.history)
        let id = try #require(result.customers.first { !$0.outbox.isEmpty }?.id)
        let text = DryRunTextRenderer(result: result, customer: id).render()
        #expect(text.contains("\n\(id) ("))
        #expect(!text.contains("\n\(id == "c001" ? "c002" : "c001") ("))
        #expect(text.contains("== Journeys =="))
        #expect(text.contains("== Stages =="))
        #expect(DecisionExplainer(result: result).explain(customer: id).contains("sent"))
    }

    @Test func unknownCustomersAndEventsOutsideTheWindow() throws {
        let journey = JourneyProgram.simple(name: "hello", trigger: "signed_up", message: "welcome")
        let catalog = JourneyCatalog(journeys: [journey], segments: [:], policy: DeliveryPolicyProgram(), schema: Schema(), messages: [:])
        let t = ScenarioFile.defaultStart
        let events = [
            CustomerEvent(id: "1", customerID: "ghost", name: "signed_up", timestamp: t),
            CustomerEvent(id: "2", customerID: "ghost", name: "signed_up", timestamp: t + 100 * 86_400),
        ]
        let result = DryRun(catalog: catalog).run(customers: [], events: events, options: DryRunOptions(from: t, until: t + 86_400))
        #expect(result.customers.map(\.id) == ["ghost"])
        // It ran with an empty profile: it entered, and the policy skipped the email (no address).
        #expect(result.customers[0].timeline.contains { if case .skipped(_, _, _, .missingContact(.email)) = $0.kind { true } else { false } })
        #expect(result.notes.count == 2)
    }

    /// The summary counts events, not customers with events (two customers, five events, one
    /// of them after the window).
    @Test func eventCountIsTheNumberOfReplayedEvents() throws {
        let journey = JourneyProgram.simple(name: "hello", trigger: "signed_up", message: "welcome")
        let catalog = JourneyCatalog(journeys: [journey], segments: [:], policy: DeliveryPolicyProgram(), schema: Schema(), messages: [:])
        let t = ScenarioFile.defaultStart
        let events = [
            CustomerEvent(id: "1", customerID: "a", name: "signed_up", timestamp: t),
            CustomerEvent(id: "2", customerID: "a", name: "viewed", timestamp: t + 60),
            CustomerEvent(id: "3", customerID: "a", name: "viewed", timestamp: t + 120),
            CustomerEvent(id: "4", customerID: "b", name: "signed_up", timestamp: t + 180),
            CustomerEvent(id: "5", customerID: "b", name: "viewed", timestamp: t + 100 * 86_400),
        ]
        let customers = [CustomerProfile(id: "a"), CustomerProfile(id: "b")]
        let result = DryRun(catalog: catalog).run(customers: customers, events: events, options: DryRunOptions(from: t, until: t + 86_400))
        #expect(result.eventCount == 4)
        #expect(result.customers.map(\.eventCount) == [3, 1])
        #expect(DryRunTextRenderer(result: result).render().contains("4 events"))
        let json = try JSONSerialization.jsonObject(with: Data(DryRunJSONRenderer(result: result).render().utf8)) as? [String: Any]
        #expect((json?["totals"] as? [String: Any])?["events"] as? Int == 4)
    }

    /// A fallback line names the channel it fell back from once, then the reason.
    @Test func fallbackReasonIsPrintedOnce() throws {
        let kind = TimelineKind.sent(
            step: "send_sms_nudge", message: "nudge", requested: .sms, channel: .email, messageID: "c1/j/1/s/email",
            notes: [.fellBack(from: .sms, because: .missingContact(channel: .sms))])
        let text = try #require(TimelineText.describe(kind))
        #expect(text == "sent email nudge [c1/j/1/s/email] — fell back from sms: no phone number for sms")
    }

    /// A customer who moves from Paris to New York while waiting until 10:00: the wait ends at
    /// 10:00 New York time, and each timeline row shows local time in the zone in force then.
    @Test func timelineShowsTheZoneInForceAtEachInstant() throws {
        let source = """
            journey hello "Hello"
              trigger on event "signed_up"
              wait until 10:00
              send email welcome

            """
        let catalog = try #require(JourneyCompiler.compile(sources: ["hello.journey": source]).catalog)
        let start = try #require(Value.parseTime("2026-03-10T06:00:00Z"))  // 07:00 in Paris
        let result = DryRun(catalog: catalog).run(
            customers: [CustomerProfile(id: "c", email: "c@x.y", timeZone: "Europe/Paris")],
            events: [CustomerEvent(id: "1", customerID: "c", name: "signed_up", timestamp: start)],
            profileUpdates: [ProfileUpdate(at: start + 3_600, profile: CustomerProfile(id: "c", timeZone: "America/New_York"))],
            options: DryRunOptions(from: start, until: start + 86_400))
        let customer = try #require(result.customers.first)
        #expect(customer.timeZone == "America/New_York")
        #expect(customer.zoneChanges.map(\.zone) == ["Europe/Paris", "America/New_York"])
        let lines = TimelineText.lines(customer)
        #expect(lines.contains { $0.hasPrefix("2026-03-10T06:00:00Z 07:00 local  hello#1  entered") })
        #expect(lines.contains { $0.hasPrefix("2026-03-10T07:00:00Z 03:00 local  hello#1  at wait_until_1000: waiting until 2026-03-10T14:00:00Z") })
        #expect(lines.contains { $0.hasPrefix("2026-03-10T14:00:00Z 10:00 local  hello#1  sent email welcome") })
    }

    /// The CSV sample is the NDJSON sample in another format (topic subscriptions included): the
    /// same customers give the same sends and the same decisions.
    @Test func csvAndNDJSONSamplesGiveTheSameResult() throws {
        let catalog = try Self.catalog()
        let (ndjson, events) = try Self.samples()
        let csv = try SampleLoader(strict: true).customers(at: "\(Self.root)/Journeys/samples/customers.csv").customers
        #expect(csv.map(\.id) == ndjson.map(\.id))
        #expect(csv.map(\.subscriptions) == ndjson.map(\.subscriptions))
        #expect(csv.contains { $0.subscriptions["topic:surveys"] == false })
        func sends(_ customers: [CustomerProfile]) -> [String] {
            let result = DryRun(catalog: catalog).run(customers: customers, events: events.events, history: events.history)
            return result.customers.flatMap { c in c.timeline.compactMap { TimelineText.line($0, timeZone: c.timeZone) } }
        }
        #expect(sends(csv) == sends(ndjson))
    }

    @Test func exampleScenariosPass() throws {
        let runner = ScenarioRunner { directory in
            let compilation = JourneyCompiler.compile(directory: directory)
            guard let catalog = compilation.catalog else { throw ScenarioError(file: directory, line: 1, message: "\(compilation.errors)") }
            return catalog
        }
        let summary = runner.run(paths: ["\(Self.root)/Journeys/tests"])
        #expect(summary.results.count >= 10)
        #expect(summary.failed == 0, "\(summary.render())")
    }
}
