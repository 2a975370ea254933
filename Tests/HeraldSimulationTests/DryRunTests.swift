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
            r.customers.flatMap { c in c.timeline.compactMap { if case .variantAssigned(_, let v, _) = $0.kind { "\(c.id)=\(v)" } else { nil } } }
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
