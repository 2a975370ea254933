import Foundation
import JourneyEngine
import Testing

@testable import HeraldSimulation

/// The experiment statistics against values worked out by hand (and the formulas' edge cases).
struct ExperimentStatisticsTests {
    @Test func wilsonInterval() throws {
        // 10 of 40: p = 0.25, interval ≈ [0.1419, 0.4020].
        let interval = try #require(ExperimentStatistics.wilson(10, 40))
        #expect(abs(interval.lowerBound - 0.1419) < 0.001)
        #expect(abs(interval.upperBound - 0.4020) < 0.001)
        // Never outside [0, 1], even at 0 and n of n.
        #expect(try #require(ExperimentStatistics.wilson(0, 20)).lowerBound == 0)
        #expect(try #require(ExperimentStatistics.wilson(20, 20)).upperBound <= 1)
        #expect(ExperimentStatistics.wilson(0, 0) == nil)
    }

    @Test func twoProportionTest() throws {
        // 30/100 against 20/100: pooled 0.25, z ≈ 1.633, p ≈ 0.1025.
        let p = try #require(ExperimentStatistics.pValue((30, 100), (20, 100)))
        #expect(abs(p - 0.1025) < 0.001)
        #expect(ExperimentStatistics.pValue((5, 50), (5, 50)) == 1)
        #expect(try #require(ExperimentStatistics.pValue((300, 1_000), (200, 1_000))) < 0.001)
        // The difference interval contains the difference and, here, zero.
        let d = try #require(ExperimentStatistics.difference((30, 100), (20, 100)))
        #expect(d.contains(0.1) && d.contains(0))
        #expect(!(try #require(ExperimentStatistics.difference((300, 1_000), (200, 1_000)))).contains(0))
    }

    @Test(arguments: [((30, 100), (20, 100), true), ((3, 20), (2, 20), false), ((1, 100), (20, 100), false), ((97, 100), (90, 100), false)])
    func enoughData(a: (Int, Int), b: (Int, Int), enough: Bool) {
        #expect(ExperimentStatistics.enoughData(a, b) == enough)
    }

    /// The report on the samples carries the statistics, in text and JSON.
    @Test func reportShowsTheStatistics() throws {
        let catalog = try DryRunTests.catalog()
        let (customers, events) = try DryRunTests.samples()
        let result = DryRun(catalog: catalog).run(customers: customers, events: events.events, history: events.history)
        let experiment = try #require(result.report.journeys.first { $0.journey == "win_back" }?.experiments.first)
        let variant = try #require(experiment.variants.first { !$0.isControl && $0.entries > 0 })
        #expect(variant.rateInterval != nil)
        #expect(variant.pValue != nil)
        // Per-variant counts at every step after the split, in step order.
        let first = try #require(variant.steps.first)
        #expect(first.step.hasPrefix("send_email_winback_"))
        #expect(first.reached == variant.entries)
        #expect(variant.steps.last?.step.hasPrefix("completed") == true)
        #expect(zip(variant.steps, variant.steps.dropFirst()).allSatisfy { $0.reached >= $1.reached })
        let text = DryRunTextRenderer(result: result, showTimelines: false).render()
        #expect(text.contains(" · p = "))
        #expect(text.contains("too few to tell"))
        #expect(text.contains("      steps: send_email_winback_discount "))
        let json = DryRunJSONRenderer(result: result).render()
        #expect(
            json.contains("\"p_value\"") && json.contains("\"rate_interval\"") && json.contains("\"enough_data\"")
                && json.contains("\"reached\": 19"))
    }
}
