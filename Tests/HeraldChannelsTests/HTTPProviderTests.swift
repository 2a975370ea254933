import Foundation
import JourneyLanguage
import Testing

@testable import HeraldChannels

/// Email and SMS through HTTP providers played by a real server on loopback.
struct HTTPProviderTests {
    static let settings = EmailSettings(
        from: try! EmailAddress(parsing: "Acme <hello@acme.example>"), unsubscribeURL: "https://acme.example/u/{customer_id}")

    func emailChannel(_ server: TestServer, _ path: String, _ transport: CurlTransport, timeout: Duration = .seconds(5)) -> HTTPEmailChannel {
        HTTPEmailChannel(
            settings: Self.settings, provider: .init(url: server.url(path), apiKey: Secret("re_test_key"), timeout: timeout), transport: transport)
    }

    @Test func emailProviderGetsTheCommonJSONShapeWithIdempotencyKey() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let outcome = await emailChannel(server, "/ok/emails", transport).attempt(
                Fixtures.email(key: "order-9", category: .marketing, subject: "Ünïcode ✓"))
            #expect(outcome == .delivered(providerMessageID: "prov-1"))
            let request = try #require(try await server.received(under: "/ok/", transport: transport).first)
            #expect(request.headers["idempotency-key"] == "order-9")
            #expect(request.headers["authorization"] == "Bearer re_test_key")
            #expect(request.headers["content-type"] == "application/json")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
            #expect(body["from"] as? String == "Acme <hello@acme.example>")
            #expect(body["to"] as? [String] == ["Ada Lovelace <ada@example.com>"])
            #expect(body["subject"] as? String == "Ünïcode ✓")
            #expect(body["html"] as? String == "<p>Hello Ada</p>")
            #expect(body["text"] as? String == "Hello Ada")
            let headers = try #require(body["headers"] as? [String: String])
            #expect(headers["List-Unsubscribe"] == "<https://acme.example/u/c42>")
            #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        }
    }

    @Test(arguments: ["/fail500x2/emails", "/hangx1/emails", "/resetx2/emails"])
    func transientFailuresAreRetriedWithTheSameKeyThenSucceed(path: String) async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            // 3 s per attempt: the hanging server holds its request for 30 s, so the first attempt still
            // times out, while a healthy attempt gets the margin a loaded 2-core machine needs (a 700 ms
            // bound could time the healthy retries out there too and use up the attempts).
            let dispatcher = MessageDispatcher(
                channels: [.email: emailChannel(server, path, transport, timeout: .seconds(3))], retryPolicy: Fixtures.quickRetry)
            let report = try await dispatcher.deliver(Fixtures.email(key: "retry-me"))
            #expect(report.isDelivered, "\(report)")
            #expect(report.attempts.dropLast().allSatisfy { if case .transient = $0 { true } else { false } })
            let requests = try await server.received(under: path, transport: transport)
            #expect(requests.count == report.attempts.count)
            #expect(Set(requests.compactMap { $0.headers["idempotency-key"] }) == ["retry-me"])
        }
    }

    @Test func rateLimitedAnswerHonoursRetryAfter() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let outcome = await emailChannel(server, "/retry429x1/emails", transport).attempt(Fixtures.email(key: "k429"))
            #expect(outcome == .transient(reason: #"the email provider answered 429: {"error": "slow down"}"#, retryAfter: .seconds(1)))
        }
    }

    @Test func clientErrorIsDeadLetteredAtOnce() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let dispatcher = MessageDispatcher(
                channels: [.email: emailChannel(server, "/bad400/emails", transport)], retryPolicy: Fixtures.quickRetry)
            let report = try await dispatcher.deliver(Fixtures.email())
            #expect(report.result == .deadLettered(reason: #"the email provider answered 400: {"error": "invalid recipient"}"#))
            #expect(report.attempts.count == 1)
            #expect(try await server.received(under: "/bad400/", transport: transport).count == 1)
        }
    }

    @Test func smsFormWithBasicAuth() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let provider = HTTPSMSChannel.Provider(
                url: server.url("/ok/Messages.json"), format: .form, from: "+14155550100", username: "AC123", authToken: Secret("tok"))
            let outcome = await HTTPSMSChannel(provider: provider, transport: transport).attempt(
                Fixtures.sms(key: "sms-1", phone: "+1 (415) 555-0123", text: "Grüße & 10% off"))
            #expect(outcome == .delivered(providerMessageID: "prov-1"))
            let request = try #require(try await server.received(under: "/ok/", transport: transport).first)
            #expect(request.headers["authorization"] == "Basic " + Data("AC123:tok".utf8).base64EncodedString())
            #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(request.headers["idempotency-key"] == "sms-1")
            #expect(request.body == "To=%2B14155550123&From=%2B14155550100&Body=Gr%C3%BC%C3%9Fe+%26+10%25+off")
        }
    }

    /// With a status callback, the form carries it with the message's Herald id, which Herald's
    /// Twilio endpoint reads back (docs/engagement.md).
    @Test func smsFormCarriesTheStatusCallbackWithTheMessageID() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let provider = HTTPSMSChannel.Provider(
                url: server.url("/ok/Messages.json"), format: .form, from: "+14155550100", username: "AC123", authToken: Secret("tok"),
                statusCallback: "https://herald.example.com/v1/providers/twilio")
            _ = await HTTPSMSChannel(provider: provider, transport: transport).attempt(
                Fixtures.sms(key: "c 1/promo/1/nudge/sms", phone: "+14155550123", text: "Hi"))
            let request = try #require(try await server.received(under: "/ok/", transport: transport).first)
            let fields = Dictionary(
                uniqueKeysWithValues: request.body.split(separator: "&").map { pair in
                    let parts = pair.split(separator: "=", maxSplits: 1).map {
                        String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                    }
                    return (parts[0], parts.count > 1 ? parts[1] : "")
                })
            let callback = try #require(fields["StatusCallback"].flatMap { URLComponents(string: $0) })
            #expect(callback.host == "herald.example.com" && callback.path == "/v1/providers/twilio")
            #expect(callback.queryItems?.first { $0.name == "herald_message_id" }?.value == "c 1/promo/1/nudge/sms")
        }
    }

    @Test func smsJSONWithBearerToken() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let provider = HTTPSMSChannel.Provider(url: server.url("/ok/sms"), format: .json, from: "Acme", authToken: Secret("tok"))
            #expect(await HTTPSMSChannel(provider: provider, transport: transport).attempt(Fixtures.sms()) == .delivered(providerMessageID: "prov-1"))
            let request = try #require(try await server.received(under: "/ok/", transport: transport).first)
            #expect(request.headers["authorization"] == "Bearer tok")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: String])
            #expect(body == ["to": "+14155550123", "from": "Acme", "text": "Your code is 1234"])
        }
    }

    @Test(arguments: ["4155550123", "+0123", "call me"])
    func invalidPhoneNumberIsPermanentWithoutARequest(phone: String) async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let provider = HTTPSMSChannel.Provider(url: "http://127.0.0.1:9/sms", from: "Acme")
        guard case .permanent(let reason) = await HTTPSMSChannel(provider: provider, transport: transport).attempt(Fixtures.sms(phone: phone)) else {
            Issue.record("expected permanent")
            return
        }
        #expect(reason.contains("E.164"))
    }
}
