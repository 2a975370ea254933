import JourneyEngine
import JourneyLanguage
import Testing

/// What a plan says about the customers waiting in a journey whose new version declares a
/// migration (`migrate …`): per occupied step, where the declaration moves them, with the counts.
struct DeploymentPlanMigrationTests {
    static func program(_ steps: [String], migrate: [String] = []) throws -> JourneyProgram {
        let source =
            "journey cart \"cart\"\n  trigger on event \"go\"\n  entry always\n" + migrate.map { "  " + $0 + "\n" }.joined() + "\n"
            + steps.map { "  " + $0 + "\n" }.joined()
        let compilation = JourneyCompiler.compile(sources: ["cart.journey": source])
        return try #require(compilation.catalog?.journeys.first, "\(compilation.diagnostics)")
    }

    static let liveSteps = [
        "wait 1 hour", "send webhook reminder transactional", "wait for event \"clicked\" up to 1 day", "  received -> exit \"clicked\"",
        "  timeout -> exit \"ignored\"",
    ]

    @Test func eachOccupiedStepShowsWhereTheDeclarationMovesItsCustomers() throws {
        let live = try Self.program(Self.liveSteps)
        let candidate = try Self.program(
            [
                "wait 2 hours", "send webhook reminder transactional", "wait for event \"clicked\" up to 2 days", "  received -> exit \"clicked\"",
                "  timeout -> exit \"ignored\"",
            ],
            migrate: ["migrate from wait_1_hour to wait_2_hours keep deadline", "migrate from wait_for_clicked to wait_for_clicked restart"])
        let waiting = [
            WaitingInstances(journey: "cart", version: live.version, step: "wait_1_hour", count: 380),
            WaitingInstances(journey: "cart", version: live.version, step: "wait_for_clicked", count: 32),
        ]
        let plan = DeploymentPlan(live: [live], candidate: [candidate], waiting: waiting)
        let journey = try #require(plan.journeys.first)
        #expect(!plan.refused && journey.status == .changed)
        let outcomes = Dictionary(uniqueKeysWithValues: journey.waiting.map { ($0.step, ($0.count, $0.outcome)) })
        let version = String(candidate.version.prefix(12))
        #expect(outcomes["wait_1_hour"]?.0 == 380)
        #expect(outcomes["wait_1_hour"]?.1.hasPrefix("declared (line 4): migrate to \(version) wait_2_hours, deadline kept") == true, "\(outcomes)")
        #expect(outcomes["wait_for_clicked"]?.1.hasPrefix("declared (line 5): migrate to \(version) wait_for_clicked, deadline restarted") == true)
        // In fields too: what the engine applies.
        #expect(
            journey.waiting.map(\.migration) == [
                .init(action: .move, toVersion: candidate.version, toStep: "wait_2_hours", keepDeadline: true, line: 4),
                .init(action: .move, toVersion: candidate.version, toStep: "wait_for_clicked", keepDeadline: false, line: 5),
            ])
    }

    @Test func unaccountedStepsOthersAndAChangeOfWaitKindAreNamed() throws {
        let live = try Self.program(Self.liveSteps)
        let steps = ["wait 2 hours", "send webhook reminder transactional", "wait 1 day"]
        let waiting = [
            WaitingInstances(journey: "cart", version: live.version, step: "wait_1_hour", count: 5),
            WaitingInstances(journey: "cart", version: live.version, step: "wait_for_clicked", count: 2),
        ]
        func outcomes(_ migrate: [String]) throws -> [String: String] {
            let plan = DeploymentPlan(live: [live], candidate: [try Self.program(steps, migrate: migrate)], waiting: waiting)
            return Dictionary(uniqueKeysWithValues: try #require(plan.journeys.first).waiting.map { ($0.step, $0.outcome) })
        }
        let unaccounted = try outcomes(["migrate from wait_1_hour to wait_2_hours"])
        #expect(unaccounted["wait_for_clicked"]?.hasPrefix("declared migration leaves this step unaccounted for") == true, "\(unaccounted)")
        #expect(try outcomes(["migrate others stay"])["wait_for_clicked"] == "finishes on its version (migrate others stay)")
        #expect(try outcomes(["migrate others exit"])["wait_1_hour"]?.hasPrefix("declared: exit the journey (migrate others exit)") == true)
        #expect(try outcomes(["migrate from wait_for_clicked exit"])["wait_for_clicked"]?.hasPrefix("declared (line 4): exit the journey") == true)
        let kind = try outcomes(["migrate from wait_for_clicked to wait_1_day"])["wait_for_clicked"]
        #expect(
            kind
                == "declared migration (line 4) cannot apply: `wait_for_clicked` is a wait for events and the target a timed wait; finishes on its version",
            "\(kind ?? "")")
        // Without a declaration, nothing changes in what the plan says.
        let plain = DeploymentPlan(live: [live], candidate: [try Self.program(steps)], waiting: waiting)
        #expect(plain.journeys.first?.waiting.allSatisfy { $0.outcome == "finishes on its version (new entrants start on the candidate)" } == true)
    }

    @Test func aRuleNamingAStepTheLiveVersionLacksIsFoundAtItsLine() throws {
        let live = try Self.program(Self.liveSteps)
        let candidate = try Self.program(
            ["wait 2 hours"], migrate: ["migrate from wait_1_hour to wait_2_hours", "migrate from wait_1_hours exit", "migrate from nowhere exit"])
        let problems = DeploymentPlan.unknownMigrationSteps(live: [live], candidate: [candidate])
        #expect(problems.map { "\($0.at.line):\($0.at.column)" } == ["5:3", "6:3"])
        #expect(
            problems.map(\.message) == [
                "migrate from `wait_1_hours`: the live version of journey `cart` has no step `wait_1_hours`; did you mean `wait_1_hour`?",
                "migrate from `nowhere`: the live version of journey `cart` has no step `nowhere`",
            ])
        // A journey that is new, or declares nothing, has nothing to check.
        #expect(DeploymentPlan.unknownMigrationSteps(live: [], candidate: [candidate]).isEmpty)
        #expect(DeploymentPlan.unknownMigrationSteps(live: [live], candidate: [live]).isEmpty)
    }
}
