import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

@testable import HeraldSimulation

/// The delivery-policy scenarios in `PolicyScenarios/` (their own journeys, policy and messages),
/// run exactly as `herald test Tests/HeraldSimulationTests/PolicyScenarios/tests` runs them.
struct PolicyScenarioTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("PolicyScenarios").path

    @Test func journeysCompileWithoutDiagnostics() {
        let compilation = JourneyCompiler.compile(directory: Self.directory)
        #expect(compilation.catalog != nil)
        #expect(compilation.diagnostics.isEmpty, "\(compilation.diagnostics)")
    }

    @Test func everyPolicyScenarioPasses() throws {
        let runner = ScenarioRunner { directory in
            let compilation = JourneyCompiler.compile(directory: directory)
            guard let catalog = compilation.catalog else { throw Message("\(directory): \(compilation.diagnostics)") }
            return catalog
        }
        let summary = runner.run(paths: [Self.directory + "/tests"])
        // One file per rule of the issue: collision, cap freed, calendar day across DST, quiet hours,
        // consent fallback, transactional bypass, defer bound expired.
        #expect(Set(summary.results.map { ($0.file as NSString).lastPathComponent }).count == 7)
        #expect(summary.results.count == 10)
        #expect(summary.failed == 0, "\(summary.render())")
        #expect(summary.results.allSatisfy { $0.expectations > 0 })
    }

    /// The `from` and `because` clauses of `skipped`/`deferred` would catch a broken rule: the same
    /// scenario with the wrong reason, journey or time fails.
    @Test func wrongReasonsFail() throws {
        let compilation = JourneyCompiler.compile(directory: Self.directory)
        let catalog = try #require(compilation.catalog)
        let yaml = """
            customers: [shopper]
            events:
              - {at: +0, name: sale.started}
            expect:
              - skipped email sale_digest to shopper from sale_digest_skip because conflict
              - skipped email sale_digest to shopper from sale_digest_skip because quiet hours
              - skipped email sale_digest to shopper from big_sale
              - deferred email sale_digest to shopper until +6m because conflict with big_sale
              - deferred email sale_digest to shopper until +5m because conflict
              - deferred email sale_digest to shopper because cap
            """
        let scenario = try #require(try ScenarioFile.parse(yaml, file: Self.directory + "/tests/inline.yaml").first)
        let result = ScenarioRunner { _ in catalog }.run(scenario, catalog: catalog)
        #expect(result.failures.map(\.expectation.line) == [6, 7, 9, 10])
        #expect(result.failures.first?.actual.contains("won the settle window") == true)
    }
}
