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

    /// Every message shipped in Journeys/messages renders on each of its channels for a customer who
    /// gave no first name (templates are strict: an unguarded `{{customer.first_name}}` would
    /// dead-letter a transactional order confirmation), and greets a customer who did by name.
    @Test func shippedMessagesRenderWithAndWithoutAFirstName() throws {
        let messages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Journeys/messages")
        let renderer = MessageRenderer(messagesDirectory: messages.path)
        let names = try FileManager.default.contentsOfDirectory(atPath: messages.path).sorted()
        try #require(names.contains("order_confirmation"))
        for name in names {
            // Every other variable the message reads gets a value (a number renders in text and JSON alike).
            var root: [String: Value] = ["customer": .object([:]), "event": .object([:]), "journey": .object([:])]
            for variable in try renderer.variableNames(for: name) where variable != "customer.first_name" {
                let path = variable.split(separator: ".").map(String.init)
                root = Self.setting(path, to: .number(1), in: root)
            }
            func context(_ root: [String: Value]) -> TemplateContext {
                func object(_ key: String) -> [String: Value] {
                    if case .object(let value) = root[key] { return value }
                    return [:]
                }
                return TemplateContext(
                    customer: object("customer"), event: object("event"), journey: object("journey"), variant: object("variant"))
            }
            let named = Self.setting(["customer", "first_name"], to: .string("Ada"), in: root)
            for channel in try renderer.channels(for: name) {
                let anonymous = try renderer.render(name, for: channel, context: context(root))
                #expect(!String(describing: anonymous).contains("Ada"))
                let greeted = try renderer.render(name, for: channel, context: context(named))
                if try renderer.variableNames(for: name).contains("customer.first_name") {
                    #expect(String(describing: greeted).contains("Ada"), "\(name) on \(channel) does not greet by name")
                }
            }
        }
    }

    /// The newsletter is one message with two versions (a subject-line test): the engine puts the
    /// customer's variant in the context and the subject template picks its line by it.
    @Test(arguments: [
        ("question", "What is new at Herald Shop this month, Ada?"), ("statement", "This month at Herald Shop: new arrivals and best sellers"),
    ])
    func theNewsletterSubjectFollowsTheVariant(variant: String, subject: String) throws {
        let messages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Journeys/messages")
        let renderer = MessageRenderer(messagesDirectory: messages.path)
        let context = TemplateContext(
            customer: ["first_name": .string("Ada"), "email": .string("ada@example.com")],
            variant: ["name": .string(variant), variant: .bool(true)])
        let rendered = try renderer.render("newsletter", for: .email, context: context)
        #expect(String(describing: rendered).contains(subject), "\(rendered)")
        let other = variant == "question" ? "This month at" : "What is new"
        #expect(!String(describing: rendered).contains(other))
    }

    static func setting(_ path: [String], to value: Value, in object: [String: Value]) -> [String: Value] {
        guard let first = path.first else { return object }
        var object = object
        if path.count == 1 {
            object[first] = value
        } else {
            var inner: [String: Value] = [:]
            if case .object(let existing) = object[first] { inner = existing }
            object[first] = .object(setting(Array(path.dropFirst()), to: value, in: inner))
        }
        return object
    }
}
