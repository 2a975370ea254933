import Testing

@testable import JourneyLanguage

/// The journeys shipped in `Journeys/` compile cleanly and cover the lifecycle.
struct ExampleJourneysTests {
    @Test func compileWithoutErrorsOrWarnings() throws {
        let result = JourneyCompiler.compile(directory: PackagePaths.journeys)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))")
        let catalog = try #require(result.catalog)
        #expect(catalog.journeys.count >= 7)
        #expect(!catalog.policy.caps.isEmpty)
        #expect(!catalog.schema.customerAttributes.isEmpty)
        #expect(catalog.messages.count >= 15)
    }

    @Test(arguments: [
        "welcome_series", "browse_abandonment", "cart_abandonment", "post_purchase", "win_back", "referral_programme", "order_confirmation",
    ])
    func journeyExists(name: String) throws {
        let catalog = try #require(JourneyCompiler.compile(directory: PackagePaths.journeys).catalog)
        let program = try #require(catalog.journey(named: name))
        #expect(!program.states.isEmpty)
    }

    @Test func everyStageIsUsed() throws {
        let catalog = try #require(JourneyCompiler.compile(directory: PackagePaths.journeys).catalog)
        let stages = Set(catalog.journeys.flatMap { $0.states.compactMap(\.stage) })
        #expect(stages == Set(Stage.allCases))
    }

    @Test func winBackHasAControlGroup() throws {
        let program = try #require(JourneyCompiler.compile(directory: PackagePaths.journeys).catalog?.journey(named: "win_back"))
        let split = program.states.compactMap { state -> Split? in
            if case .split(let split) = state.kind { return split }
            return nil
        }.first
        #expect(split?.variants.contains { $0.isControl } == true)
        #expect(split?.variants.reduce(0) { $0 + $1.weight } == 100)
    }

    @Test func orderConfirmationIsTransactional() throws {
        let program = try #require(JourneyCompiler.compile(directory: PackagePaths.journeys).catalog?.journey(named: "order_confirmation"))
        for state in program.states {
            if case .send(let send, _) = state.kind { #expect(send.category == .transactional) }
        }
    }
}
