import Foundation
import JourneyLanguage
import Testing

@testable import HeraldChannels

struct LocalOutboxTests {
    @Test func writesEmailAsEMLAndOtherChannelsAsJSON() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outbox = LocalOutboxChannel(
            directory: directory.path, webhookURL: "https://hooks.example/x", webhookSecrets: [try WebhookSecret(Fixtures.secretA)])

        #expect(await outbox.attempt(Fixtures.email(key: "e1")) == .delivered(providerMessageID: directory.file("email-e1.eml")))
        let eml = try String(contentsOfFile: directory.file("email-e1.eml"), encoding: .utf8)
        #expect(eml.contains("Subject: Welcome, Ada\r\n"))
        #expect(eml.contains("From: \"Herald\" <herald@localhost>"))

        #expect(await outbox.attempt(Fixtures.sms(key: "s1", text: "Grüße")) == .delivered(providerMessageID: directory.file("sms-s1.json")))
        let sms = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file("sms-s1.json")))) as? [String: Any])
        #expect(sms["to"] as? String == "+14155550123")
        #expect(sms["encoding"] as? String == "GSM-7")

        _ = await outbox.attempt(Fixtures.webhook(key: "w/1"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let webhookFile = try #require(files.first { $0.hasPrefix("webhook-") })
        let webhook = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file(webhookFile)))) as? [String: Any])
        #expect(webhook["url"] as? String == "https://hooks.example/x")
        #expect((webhook["headers"] as? [String: String])?["webhook-signature"]?.hasPrefix("v1,") == true)
        #expect((webhook["payload"] as? [String: Any])?["type"] as? String == "cart.reminder")
    }

    @Test func aRetriedMessageOverwritesItsOwnFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outbox = LocalOutboxChannel(directory: directory.path)
        _ = await outbox.attempt(Fixtures.sms(key: "same"))
        _ = await outbox.attempt(Fixtures.sms(key: "same"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["sms-same.json"])
    }

    @Test(arguments: [(Fixtures.sms(phone: "12345"), "E.164"), (Fixtures.email(to: "nope"), "not a valid email address")])
    func invalidRecipientsFailAsTheyWouldInProduction(message: OutgoingMessage, reason: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        guard case .permanent(let text) = await LocalOutboxChannel(directory: directory.path).attempt(message) else {
            Issue.record("expected permanent")
            return
        }
        #expect(text.contains(reason))
    }

    @Test func dispatcherFromEmptyConfigurationWritesToTheOutbox() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dispatcher = MessageDispatcher(configuration: .local(directory: directory.path))
        let report = try await dispatcher.deliver(Fixtures.email(key: "cfg"))
        #expect(report.result == .delivered(providerMessageID: directory.file("email-cfg.eml")))
    }
}
