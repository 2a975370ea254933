import Foundation
import HeraldService
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// The service does not decide winners in this version: it refuses to deploy a journey with a
/// winner rule (one clear error at the rule's line) rather than run it differently from the dry-run.
struct WinnerRuleDeploymentTests {
    static func fixture(rule: Bool) -> JourneyFixture {
        JourneyFixture(
            journeys: [
                "policy": "policy\n  time zone \"UTC\"\n  cap marketing 5 per day\n",
                "promo": """
                journey promo
                  trigger on event "signed_up"
                  goal event "order.completed" within 7 days
                  split offer
                \(rule ? "    winner after 14 days by conversion min 500 per variant\n" : "")    variant a 50%
                      send webhook offer_a
                    variant b 50%
                      send webhook offer_b

                """,
            ],
            webhooks: ["offer_a": #"{"v": "a"}"#, "offer_b": #"{"v": "b"}"#])
    }

    @Test func aJourneyWithAWinnerRuleIsRefusedAndTheRunningDeploymentStays() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-winner-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.fixture(rule: true).write(to: directory)
        let registry = JourneyRegistry(directory: directory.path, store: MemoryJourneyStore(), clock: .system)
        do {
            try await registry.reload(source: "startup")
            Issue.record("a winner rule was deployed")
        } catch let refused as JourneyRegistry.Refused {
            #expect(refused.diagnostics.count == 1, "\(refused.diagnostics)")
            let diagnostic = try #require(refused.diagnostics.first)
            #expect(diagnostic.message == "winner rules run in the dry-run only in this version; remove it to deploy")
            #expect(diagnostic.severity == "error")
            #expect(diagnostic.file.hasSuffix("promo.journey"))
            #expect(diagnostic.line == 5 && diagnostic.column == 5)
        }
        #expect(registry.current == nil)

        // Without the rule it deploys; putting the rule back is refused and the deployment stays.
        try Self.fixture(rule: false).write(to: directory)
        let deployed = try await registry.reload(source: "startup")
        #expect(deployed.journeys.map(\.name) == ["promo"])
        let version = registry.current?.catalog.journey(named: "promo")?.version
        try Self.fixture(rule: true).write(to: directory)
        await #expect(throws: JourneyRegistry.Refused.self) { try await registry.reload() }
        #expect(registry.current?.catalog.journey(named: "promo")?.version == version)
    }
}
