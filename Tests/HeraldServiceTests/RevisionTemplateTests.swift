import Foundation
import HTTPTypes
import HeraldChannels
import HeraldService
import HeraldTestSupport
import HummingbirdTesting
import JourneyEngine
import Logging
import Testing

/// A deployed revision renders its own message templates: after a restore, a message has the
/// restored revision's text, not the text the journeys directory holds now.
struct RevisionTemplateTests {
    typealias Call = HTTPCall

    static func fixture(_ text: String, steps: [String] = ["send webhook hello transactional"]) -> JourneyFixture {
        JourneyFixture(
            journeys: ["policy": "policy\n  time zone \"UTC\"\n", "greet": JourneyFixture.journey("greet", on: "go", steps: steps)],
            webhooks: ["hello": #"{"text": "\#(text)", "customer": "{{customer.id}}"}"#])
    }

    @Test func aRestoredRevisionRendersItsOwnTemplatesNotTheOnesOnDisk() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("herald-templates-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let journeys = root.appendingPathComponent("journeys"), outbox = root.appendingPathComponent("outbox")
        try Self.fixture("first text").write(to: journeys)
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configuration.apiKeys = [TestServer.apiKey]
        configuration.journeys = journeys.path
        configuration.limits.syncWaitSeconds = 60
        var logger = Logger(label: "herald-test")
        logger.logLevel = .warning
        let delivery = ChannelsDelivery(
            dispatcher: MessageDispatcher(configuration: .local(directory: outbox.path)),
            renderer: MessageRenderer(journeysDirectory: journeys.path))
        let server = try await HeraldServer.make(
            configuration: configuration, store: try TestServer.openStore(in: root), delivery: delivery, logger: logger)

        /// The `text` of the message delivered to `customer` (waits for it).
        @Sendable func text(of customer: String) throws -> String? {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? [] where name.hasPrefix("webhook-\(customer)_") {
                let data = try Data(contentsOf: outbox.appendingPathComponent(name))
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                if let text = (object?["payload"] as? [String: Any])?["text"] as? String { return text }
            }
            return nil
        }
        @Sendable func delivered(to customer: String) async throws -> String? {
            _ = try await TestServer.eventually(timeout: 60) { try text(of: customer) != nil }
            return try text(of: customer)
        }

        try await server.application.test(.live) { client in
            let port = client.port!
            func enter(_ customer: String) async throws {
                let reply = try await Call.send(
                    port: port, .post, "/v1/events", body: #"{"id": "go-\#(customer)", "customer_id": "\#(customer)", "name": "go"}"#)
                #expect(reply.status == 202)
            }
            try await enter("a")
            #expect(try await delivered(to: "a") == "first text")

            // Revision 2: the template says something else (and is deployed by a reload).
            try Self.fixture("second text").write(to: journeys)
            let reloaded = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload").json)
            #expect(reloaded["revision"]["number"].number == 2)
            try await enter("b")
            #expect(try await delivered(to: "b") == "second text")

            // The file on disk changes again, without a reload: the deployed revision's text stays.
            try Self.fixture("third text, never deployed").write(to: journeys)
            try await enter("c")
            #expect(try await delivered(to: "c") == "second text")

            // Restore revision 1: its own text, not the directory's.
            let restored = try #require(try await Call.send(port: port, .post, "/v1/revisions/1/restore").json)
            #expect(restored["revision"]["number"].number == 3 && restored["revision"]["restored_from"].number == 1)
            try await enter("d")
            #expect(try await delivered(to: "d") == "first text")
        }
    }
}
