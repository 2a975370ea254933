import Foundation
import HeraldTestSupport
import Testing

/// `herald send-test`: render one message for one customer and deliver it through a channel —
/// the local outbox by default, a real loopback receiver with `--config`.
struct SendTestCommandTests {
    static let ada = #"{"id":"c1","email":"ada@example.com","first_name":"Ada","phone":"+14155550123"}"#

    @Test func withoutAConfigurationTheMessageLandsInTheLocalOutbox() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let result = try await herald(
            "send-test", "--journeys", Paths.journeys.path, "--message", "welcome", "--customer", Self.ada, "--key", "k-welcome",
            in: scratch.url)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("message welcome → email (transactional), key k-welcome"), "\(result)")
        #expect(result.stdout.contains("attempt 1:"))
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.file("outbox"))
        let eml = try #require(files.first { $0.hasSuffix(".eml") }, "no .eml in \(files)")
        let mail = try scratch.read("outbox/\(eml)")
        #expect(mail.contains("ada@example.com"))
    }

    @Test func aSignedWebhookVerifiesAtAStandardWebhooksReceiver() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.write(
            "channels.yaml",
            """
            webhook:
              transport: http
              url: http://127.0.0.1:\(receiver.port!)/hook
              secrets: ["\(WebhookReceiver.testSecret)"]
              allow_private_networks: ["127.0.0.0/8"]
            """)
        let result = try await herald(
            "send-test", "--journeys", Paths.journeys.path, "--message", "low_rating_alert", "--customer", Self.ada, "--config", config,
            "--key", "k-hook")
        #expect(result.status == 0, "\(result)")
        #expect(receiver.rejected.withLock { $0 }.isEmpty, "\(receiver.rejected.withLock { $0 })")
        #expect(receiver.signed.withLock { $0 } == 1)
        let body = try #require(receiver.bodies.withLock { $0["k-hook"] })
        #expect(body.contains(#""customer": "c1""#), "\(body)")
    }

    /// The receiver's check can fail: signed with another secret, the webhook is refused with 401,
    /// which Herald treats as permanent (dead-lettered, exit 1).
    @Test func aWebhookSignedWithAnotherSecretIsRefused() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.write(
            "channels.yaml",
            """
            webhook:
              transport: http
              url: http://127.0.0.1:\(receiver.port!)/hook
              secrets: ["whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="]
              allow_private_networks: ["127.0.0.0/8"]
            """)
        let result = try await herald(
            "send-test", "--journeys", Paths.journeys.path, "--message", "low_rating_alert", "--customer", Self.ada, "--config", config,
            "--key", "k-bad")
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("401"), "\(result)")
        let rejected = receiver.rejected.withLock { $0 }
        #expect(rejected.count == 1)
        #expect(rejected.first?.id == "k-bad")
        #expect(receiver.signed.withLock { $0 } == 0)
    }

    @Test func anSMSThroughAnHTTPProvider() async throws {
        let provider = try await PythonServer.start("provider_server.py")
        defer { provider.stop() }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.write(
            "channels.yaml",
            """
            sms:
              transport: http
              from: "+14155550100"
              http:
                url: \(provider.url("/ok/sms"))
                format: json
                auth_token: test-token
            """)
        let result = try await herald(
            "send-test", "--journeys", Paths.journeys.path, "--message", "order_receipt", "--customer", Self.ada, "--config", config,
            "--key", "k-sms")
        #expect(result.status == 0, "\(result)")
        let requests = try await provider.received()
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        let body = request["body"] as? String ?? ""
        #expect(body.contains("+14155550123"), "\(body)")
        #expect((request["headers"] as? [String: String])?["idempotency-key"] == "k-sms")
    }

    @Test func anUnknownMessageDoesNotRender() async throws {
        let result = try await herald("send-test", "--message", "no_such_message", "--customer", Self.ada)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("no_such_message"), "\(result)")
    }

    @Test func anInvalidConfigurationNamesTheFileAndExits78() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.write("channels.yaml", "email:\n  tranport: smtp\n")
        let result = try await herald("send-test", "--message", "welcome", "--customer", Self.ada, "--config", config)
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains(config), "\(result)")
        let missing = try await herald("send-test", "--message", "welcome", "--customer", Self.ada, "--config", "/nonexistent/channels.yaml")
        #expect(missing.status == 78, "\(missing)")
        #expect(missing.stderr.contains("/nonexistent/channels.yaml"), "\(missing)")
    }

    @Test(arguments: [
        ["send-test", "--message", "welcome", "--customer", "{not json"],
        ["send-test", "--message", "welcome", "--customer", "/nonexistent/customer.json"],
        ["send-test", "--message", "welcome", "--customer", "[1, 2]"],
        ["send-test", "--message", "welcome", "--customer", #"{"id":"c1"}"#, "--channel", "fax"],
        ["send-test", "--message", "welcome", "--customer", #"{"id":"c1"}"#, "--category", "urgent"],
        ["send-test", "--customer", #"{"id":"c1"}"#],
    ])
    func badInputIsAUsageError(arguments: [String]) async throws {
        let result = try await HeraldCommand.run(arguments)
        #expect(result.status == 2, "\(result)")
        #expect(!result.stderr.isEmpty)
    }
}
