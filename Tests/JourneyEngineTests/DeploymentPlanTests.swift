import JourneyEngine
import JourneyLanguage
import Testing

/// The structural difference a plan reports, step by step (identified by label).
struct DeploymentPlanTests {
    static func program(_ steps: [String], name: String = "cart", priority: Int = 50) throws -> JourneyProgram {
        let source =
            "journey \(name) \"\(name)\"\n  priority \(priority)\n  trigger on event \"go\"\n  entry always\n\n"
            + steps.map { "  " + $0 + "\n" }.joined()
        let compilation = JourneyCompiler.compile(sources: ["\(name).journey": source])
        return try #require(compilation.catalog?.journeys.first, "\(compilation.diagnostics)")
    }

    @Test func stepsAddedRemovedChangedAndMoved() throws {
        let live = try Self.program([
            "wait 1 hour", "send webhook reminder transactional", "wait 1 day", "send webhook nudge transactional",
        ])
        let candidate = try Self.program(
            [
                "wait 1 hour", "send webhook reminder transactional", "send webhook survey transactional", "wait 1 day",
            ], priority: 80)
        let waiting = [
            WaitingInstances(journey: "cart", version: live.version, step: "wait_1_hour", count: 7),
            WaitingInstances(journey: "cart", version: live.version, step: "wait_1_day", count: 3),
            WaitingInstances(journey: "cart", version: "older", step: "wait_1_day", count: 2),
        ]
        let plan = DeploymentPlan(live: [live], candidate: [candidate], waiting: waiting)
        #expect(!plan.refused)
        let journey = try #require(plan.journeys.first)
        #expect(journey.status == .changed)
        #expect(journey.settings == ["priority 50 → 80"])
        let changes = Dictionary(uniqueKeysWithValues: journey.steps.map { ($0.step, $0.change) })
        #expect(changes["send_webhook_survey"] == .added)
        #expect(changes["send_webhook_nudge"] == .removed)
        // The reminder now leads to the survey, and the day's wait to the end: same content, moved.
        #expect(changes["send_webhook_reminder"] == .moved)
        #expect(changes["wait_1_day"] == .moved)
        #expect(changes["wait_1_hour"] == nil, "unchanged steps are not listed")
        #expect(journey.waitingTotal == 12)
        #expect(journey.waiting.filter(\.live).map(\.count).reduce(0, +) == 10)
        #expect(journey.waiting.allSatisfy { $0.outcome.hasPrefix("finishes on its version") })
    }

    @Test func aChangedStepAndJourneysAddedOrRemoved() throws {
        let live = try Self.program(["send webhook reminder transactional"])
        let candidate = try Self.program(["send webhook other transactional"])
        let gone = try Self.program(["wait 1 day"], name: "gone")
        let new = try Self.program(["wait 1 day"], name: "fresh")
        let plan = DeploymentPlan(live: [live, gone], candidate: [candidate, new], waiting: [])
        #expect(plan.journeys.map(\.name) == ["cart", "fresh", "gone"])
        #expect(plan.journeys.map(\.status) == [.changed, .added, .removed])
        let steps = plan.journeys[0].steps.map { "\($0.step) \($0.change)" }.sorted()
        #expect(steps == ["send_webhook_other added", "send_webhook_reminder removed"])
        let unchanged = DeploymentPlan(live: [live], candidate: [live], waiting: [])
        #expect(unchanged.journeys.map(\.status) == [.unchanged] && !unchanged.hasChanges)
    }

    @Test func aCandidateThatDoesNotCheckIsRefused() throws {
        let live = try Self.program(["wait 1 day"])
        let waiting = [WaitingInstances(journey: "cart", version: live.version, step: "wait_1_day", count: 4)]
        let plan = DeploymentPlan(live: [live], candidate: nil, waiting: waiting, reasons: ["cart.journey:5:3: error: bad"])
        #expect(plan.refused && plan.reasons == ["cart.journey:5:3: error: bad"])
        #expect(plan.journeys.map(\.status) == [.unchanged])
        #expect(plan.journeys[0].waiting.first?.outcome.contains("refused") == true)
    }
}
