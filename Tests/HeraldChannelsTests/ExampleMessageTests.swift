import Foundation
import JourneyLanguage
import Testing

@testable import HeraldChannels

/// The example message shipped with the tests renders for the example customer on every channel.
struct ExampleMessageTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test(arguments: Channel.allCases)
    func welcomeRendersOnEveryChannel(channel: Channel) throws {
        let renderer = MessageRenderer(journeysDirectory: Self.fixtures.appendingPathComponent("Journeys").path)
        let customer = try JSONDecoder().decode(Value.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("customer.json")))
        guard case .object(let profile) = customer else {
            Issue.record("customer.json is not an object")
            return
        }
        let content = try renderer.render(
            "welcome", for: channel,
            context: TemplateContext(
                customer: profile, event: ["coupon": ["code": "HELLO10", "percent": 10]], journey: ["name": "welcome", "version": 1, "step": "intro"])
        )
        #expect(content.channel == channel)
        #expect(try renderer.variableNames(for: "welcome").contains("customer.first_name"))
    }
}
