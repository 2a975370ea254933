import Crypto
import Foundation
import JourneyLanguage
import Testing

@testable import HeraldChannels

/// Webhooks to a real receiver on loopback that verifies the Standard Webhooks signature with
/// its own implementation.
struct WebhookChannelTests {
    static let loopback = AddressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!])

    func channel(
        _ server: TestServer, _ path: String, _ transport: CurlTransport, secrets: [Secret] = [Fixtures.secretA], timeout: Duration = .seconds(5)
    ) throws -> WebhookChannel {
        let endpoint = WebhookChannel.Endpoint(
            url: server.url(path), secrets: try secrets.map(WebhookSecret.init), addressPolicy: Self.loopback, timeout: timeout)
        return WebhookChannel(endpoint: endpoint, transport: transport)
    }

    @Test func signsWithEveryActiveSecret() async throws {
        try await TestServer.with("provider_server.py", ["--secret", Fixtures.secretB.value]) { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let webhook = try channel(server, "/ok/hook", transport, secrets: [Fixtures.secretA, Fixtures.secretB])
            #expect(await webhook.attempt(Fixtures.webhook(key: "msg_1")) == .delivered(providerMessageID: "msg_1"))
            let request = try #require(try await server.received(under: "/ok/", transport: transport).first)
            #expect(request.headers["webhook-id"] == "msg_1")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.body == #"{"type":"cart.reminder","data":{"customer":"c42"}}"#)
            let signature = try #require(request.signature)
            #expect(signature.valid)
            #expect(signature.offered == 2)
            #expect(signature.matched == 1)
        }
    }

    @Test func signatureWithAnUnknownSecretDoesNotVerify() async throws {
        try await TestServer.with("provider_server.py", ["--secret", Fixtures.secretB.value]) { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            _ = try await channel(server, "/ok/hook", transport, secrets: [Fixtures.secretA]).attempt(Fixtures.webhook())
            #expect(try await server.received(under: "/ok/", transport: transport).first?.signature?.valid == false)
        }
    }

    @Test(arguments: ["/fail500x2/hook", "/retry429x1/hook", "/hangx1/hook", "/resetx1/hook"])
    func retriesKeepTheWebhookIDAndSucceed(path: String) async throws {
        try await TestServer.with("provider_server.py", ["--secret", Fixtures.secretA.value]) { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            // 3 s per attempt: the hanging server holds its request for 30 s, so the first attempt still
            // times out, while a healthy attempt gets the margin a loaded 2-core machine needs (a 700 ms
            // bound could time the healthy retries out there too and use up the attempts).
            let dispatcher = MessageDispatcher(
                channels: [.webhook: try channel(server, path, transport, timeout: .seconds(3))], retryPolicy: Fixtures.quickRetry)
            let report = try await dispatcher.deliver(Fixtures.webhook(key: "msg_retry"))
            #expect(report.result == .delivered(providerMessageID: "msg_retry"), "\(report)")
            let requests = try await server.received(under: path, transport: transport)
            #expect(requests.count == report.attempts.count)
            #expect(requests.count >= 2)
            #expect(Set(requests.compactMap { $0.headers["webhook-id"] }) == ["msg_retry"])
            #expect(requests.allSatisfy { $0.signature?.valid == true })
        }
    }

    @Test(arguments: [("/bad400/hook", "answered 400"), ("/redirect/hook", "redirects are not followed")])
    func permanentAnswersAreDeadLetteredAtOnce(path: String, reason: String) async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let dispatcher = MessageDispatcher(channels: [.webhook: try channel(server, path, transport)], retryPolicy: Fixtures.quickRetry)
            let report = try await dispatcher.deliver(Fixtures.webhook())
            guard case .deadLettered(let text) = report.result else {
                Issue.record("expected dead letter")
                return
            }
            #expect(text.contains(reason))
            #expect(report.attempts.count == 1)
        }
    }

    @Test(arguments: [
        "http://127.0.0.1:{port}/ok/hook", "http://10.0.0.1/ok/hook", "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/ok/hook", "http://localhost:{port}/ok/hook", "http://[::ffff:127.0.0.1]:{port}/ok/hook",
    ])
    func ssrfGuardRefusesPrivateTargetsUnlessAllowed(url: String) async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let target = url.replacingOccurrences(of: "{port}", with: String(server.port))
            let endpoint = WebhookChannel.Endpoint(
                url: target, secrets: [try WebhookSecret(Fixtures.secretA)], addressPolicy: .publicOnly, timeout: .seconds(1))
            let outcome = await WebhookChannel(endpoint: endpoint, transport: transport).attempt(Fixtures.webhook())
            guard case .permanent(let reason) = outcome else {
                Issue.record("expected a refusal for \(target), got \(outcome)")
                return
            }
            #expect(reason.contains("webhook endpoint refused"))
            #expect(try await server.received(under: "/ok/", transport: transport).isEmpty)
        }
    }

    @Test func allowedHostnameIsPinnedToTheCheckedAddress() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let endpoint = WebhookChannel.Endpoint(
                url: "http://localhost:\(server.port)/ok/hook", secrets: [try WebhookSecret(Fixtures.secretA)], addressPolicy: Self.loopback)
            #expect(
                await WebhookChannel(endpoint: endpoint, transport: transport).attempt(Fixtures.webhook(key: "pinned"))
                    == .delivered(providerMessageID: "pinned"))
        }
    }

    @Test func fiveHundredConcurrentDeliveriesArriveExactlyOnce() async throws {
        try await TestServer.with("provider_server.py", ["--secret", Fixtures.secretA.value]) { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let dispatcher = MessageDispatcher(
                channels: [.webhook: try channel(server, "/ok/bulk", transport)],
                limits: [.webhook: ChannelLimits(maxConcurrency: 64)],
                retryPolicy: Fixtures.quickRetry)
            let reports = try await withThrowingTaskGroup(of: DeliveryReport.self) { group in
                for index in 0..<500 {
                    group.addTask { try await dispatcher.deliver(Fixtures.webhook(key: "bulk-\(index)")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.count == 500)
            #expect(reports.allSatisfy { $0.isDelivered })
            let requests = try await server.received(under: "/ok/bulk", transport: transport)
            #expect(requests.count == 500)
            #expect(Set(requests.compactMap { $0.headers["webhook-id"] }).count == 500)
            #expect(requests.allSatisfy { $0.signature?.valid == true })
        }
    }

    @Test func webhookWithoutURLIsPermanent() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let channel = WebhookChannel(endpoint: .init(url: nil, secrets: []), transport: transport)
        #expect(await channel.attempt(Fixtures.webhook()) == .permanent(reason: "no webhook URL: set webhook.url in the channel configuration"))
    }

    @Test(arguments: ["whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_***"])
    func malformedSecretsAreRejected(text: String) {
        #expect(throws: WebhookSecret.Invalid.self) { try WebhookSecret(Secret(text)) }
    }

    @Test func signatureMatchesTheSpecificationExample() throws {
        // The example of the Standard Webhooks specification's reference libraries.
        let signer = WebhookSigner(secrets: [try WebhookSecret(Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))])
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, payload: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func signaturesOfSeveralSecretsMatchAPlainHMACOfEach() throws {
        let secrets = try ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", WebhookSecret.generate().value, WebhookSecret.generate().value].map {
            try WebhookSecret(Secret($0))
        }
        let signer = WebhookSigner(secrets: secrets)
        for (id, payload) in [
            ("msg_1", ""), ("bench-0-17", #"{"type":"cart.reminder","customer":"c1"}"#), ("ü/\\ \"x\"", String(repeating: "é", count: 300)),
        ] {
            let timestamp = 1_614_265_330
            // What the specification says, computed the plain way for each secret in turn.
            let expected = secrets.map { secret in
                let mac = HMAC<Crypto.SHA256>.authenticationCode(for: Array("\(id).\(timestamp).\(payload)".utf8), using: secret.key)
                return "v1," + Data(mac).base64EncodedString()
            }.joined(separator: " ")
            #expect(signer.signature(id: id, timestamp: timestamp, payload: Array(payload.utf8)) == expected)
        }
    }
}
