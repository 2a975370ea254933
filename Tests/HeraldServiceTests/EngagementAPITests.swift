import Crypto
import Foundation
import HTTPTypes
import HeraldChannels
import HeraldService
import HeraldSimulation
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// The engagement endpoints through the real server: providers' signed webhooks (forged,
/// unsigned and stale ones refused, changing nothing), the one-click unsubscribe from the URL the
/// email channel put in `List-Unsubscribe`, tracked clicks, and the per-step statistics.
struct EngagementAPITests {
    static let mailgunKey = "key-mailgun-test-0123456789"
    static let twilioToken = "twilio-auth-token-0123"
    static let linkSecret = "link-secret-0123456789abcdef"
    static let publicURL = "http://herald.test"

    static let fixture = JourneyFixture(
        journeys: [
            "policy": "policy\n  time zone \"UTC\"\n",
            "promo": JourneyFixture.journey("promo", on: "signed_up", steps: ["send webhook offer"]),
        ],
        webhooks: ["offer": #"{"customer": "{{customer.id}}", "message": "offer"}"#])

    static func withEngagementServer<T: Sendable>(
        _ body: @escaping @Sendable (_ port: Int, _ server: HeraldServer) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-engagement-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try fixture.write(to: directory)
        return try await TestServer.withServer(
            journeys: directory,
            configure: {
                $0.engagement.mailgunSigningKey = mailgunKey
                $0.engagement.twilioAuthToken = twilioToken
                $0.engagement.linkSecret = linkSecret
                $0.engagement.publicURL = publicURL
            }, body)
    }

    /// Puts customer `id` in and makes the promo send once; returns the message id.
    static func sentMessage(_ id: String, port: Int, server: HeraldServer) async throws -> String {
        let profile = #"{"email": "\#(id)@example.com", "phone": "+15550100"}"#
        #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/\(id)", body: profile).status == 200)
        let event = #"{"id": "signup-\#(id)", "customer_id": "\#(id)", "name": "signed_up"}"#
        #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: event).status == 202)
        let store = server.store
        _ = try await TestServer.eventually { try await !store.outbox(customerID: id, limit: 10).isEmpty }
        return try #require(try await store.outbox(customerID: id, limit: 10).first?.message.id)
    }

    static func mailgunBody(event: String, messageID: String, timestamp: Int, key: String = mailgunKey, extra: String = "") -> String {
        let token = "tok-\(UUID().uuidString)"
        let mac = HMAC<Crypto.SHA256>.authenticationCode(for: Array("\(timestamp)\(token)".utf8), using: SymmetricKey(data: Array(key.utf8)))
        let signature = mac.map { String(format: "%02x", $0) }.joined()
        return """
            {"signature": {"timestamp": "\(timestamp)", "token": "\(token)", "signature": "\(signature)"},
             "event-data": {"event": "\(event)", "id": "ev-\(UUID().uuidString)", "timestamp": \(timestamp), \(extra)
                            "user-variables": {"herald_message_id": "\(messageID)"}}}
            """
    }

    static func twilioSignature(url: String, form: [(String, String)], token: String = twilioToken) -> String {
        var signed = url
        for (k, v) in form.sorted(by: { $0.0 < $1.0 }) { signed += k + v }
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Array(signed.utf8), using: SymmetricKey(data: Array(token.utf8))))
            .base64EncodedString()
    }

    static func stats(_ port: Int, _ journey: String, query: String = "") async throws -> Value {
        let reply = try await HTTPCall.send(port: port, .get, "/v1/journeys/\(journey)/stats\(query)")
        #expect(reply.status == 200, "\(reply.body)")
        return try #require(reply.json)
    }

    static func customer(_ port: Int, _ id: String) async throws -> HTTPCall.Reply {
        try await HTTPCall.send(port: port, .get, "/v1/customers/\(id)")
    }

    @Test func forgedUnsignedAndStaleProviderWebhooksAreRefusedAndChangeNothing() async throws {
        try await Self.withEngagementServer { port, server in
            let messageID = try await Self.sentMessage("mg1", port: port, server: server)
            let now = Int(Date().timeIntervalSince1970)
            let stranger = "nobody/promo/1/offer/email"  // a customer these requests would create
            let refused: [(String, String)] = [
                ("forged", Self.mailgunBody(event: "opened", messageID: stranger, timestamp: now, key: "not-the-key")),
                ("stale", Self.mailgunBody(event: "opened", messageID: stranger, timestamp: now - 3_600)),
                ("unsigned", #"{"event-data": {"event": "opened", "user-variables": {"herald_message_id": "\#(stranger)"}}}"#),
                ("not json", "opened"),
            ]
            for (what, body) in refused {
                let reply = try await HTTPCall.send(port: port, .post, "/v1/providers/mailgun", body: body, apiKey: nil)
                #expect(reply.status == 401, "\(what): \(reply.status) \(reply.body)")
                #expect(reply.json?["error"]["code"].string == "invalid_signature", "\(what): \(reply.body)")
            }
            // Twilio: unsigned and forged.
            let path = "/v1/providers/twilio?herald_message_id=\(stranger.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            let form = [("MessageSid", "SM1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30005")]
            let formBody = form.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            let unsigned = try await HTTPCall.send(port: port, .post, path, body: formBody, apiKey: nil)
            #expect(unsigned.status == 401, "\(unsigned.body)")
            var forged = HTTPFields()
            forged[HTTPField.Name("X-Twilio-Signature")!] = Self.twilioSignature(url: Self.publicURL + path, form: form, token: "wrong")
            let forgedReply = try await HTTPCall.send(port: port, .post, path, body: formBody, apiKey: nil, headers: forged)
            #expect(forgedReply.status == 401, "\(forgedReply.body)")
            #expect(forgedReply.json?["error"]["message"].string?.contains("X-Twilio-Signature does not match") == true)
            // Nothing reached the engine: the stranger does not exist.
            #expect(try await Self.customer(port, "nobody").status == 404)

            // Correctly signed ones are accepted and counted against the step.
            let delivered = Self.mailgunBody(event: "delivered", messageID: messageID, timestamp: now)
            let accepted = try await HTTPCall.send(port: port, .post, "/v1/providers/mailgun", body: delivered, apiKey: nil)
            #expect(accepted.status == 202, "\(accepted.body)")
            let twilioPath = "/v1/providers/twilio?herald_message_id=\(messageID.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            var signed = HTTPFields()
            let opened = [("MessageSid", "SM2"), ("MessageStatus", "failed"), ("ErrorCode", "30005")]
            signed[HTTPField.Name("X-Twilio-Signature")!] = Self.twilioSignature(url: Self.publicURL + twilioPath, form: opened)
            let twilio = try await HTTPCall.send(
                port: port, .post, twilioPath, body: opened.map { "\($0.0)=\($0.1)" }.joined(separator: "&"), apiKey: nil, headers: signed)
            #expect(twilio.status == 202, "\(twilio.body)")
            let counted = try await TestServer.eventually {
                let total = try await Self.stats(port, "promo")["total"]
                return total["delivered"].number == 1 && total["bounced"].number == 1
            }
            let table = try await Self.stats(port, "promo")
            #expect(counted, "\(table)")
        }
    }

    @Test func heraldsOwnShapeIsIdempotentAndValidated() async throws {
        try await Self.withEngagementServer { port, server in
            let messageID = try await Self.sentMessage("own1", port: port, server: server)
            let ndjson = """
                {"id": "x1", "event": "webhook.delivered", "message_id": "\(messageID)"}
                {"id": "x2", "event": "webhook.clicked", "message_id": "\(messageID)", "properties": {"url": "https://example.com"}}

                """
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson"
            let first = try await HTTPCall.send(port: port, .post, "/v1/engagement", body: ndjson, headers: headers)
            #expect(first.status == 202 && first.json?["accepted"].number == 2, "\(first.body)")
            let again = try await HTTPCall.send(port: port, .post, "/v1/engagement", body: ndjson, headers: headers)
            #expect(again.json?["duplicates"].number == 2, "\(again.body)")
            let unauthenticated = try await HTTPCall.send(port: port, .post, "/v1/engagement", body: ndjson, apiKey: nil, headers: headers)
            #expect(unauthenticated.status == 401)
            let bad = try await HTTPCall.send(
                port: port, .post, "/v1/engagement", body: #"[{"id": "x3", "event": "email.read", "message_id": "\#(messageID)"}]"#)
            #expect(bad.status == 422 && bad.body.contains("[0].event"), "\(bad.body)")
            let counted = try await TestServer.eventually {
                let total = try await Self.stats(port, "promo")["total"]
                return total["delivered"].number == 1 && total["clicked"].number == 1 && total["sent"].number == 1
            }
            let table = try await Self.stats(port, "promo")
            #expect(counted, "\(table)")
            // The days bound the table; a bad day is refused.
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            #expect(try await Self.stats(port, "promo", query: "?since=2000-01-01&until=2000-01-02")["steps"].array.isEmpty)
            #expect(try await Self.stats(port, "promo", query: "?since=\(today)")["total"]["sent"].number == 1)
            #expect(try await HTTPCall.send(port: port, .get, "/v1/journeys/promo/stats?since=yesterday").status == 422)
            #expect(try await HTTPCall.send(port: port, .get, "/v1/journeys/nope/stats").status == 404)
        }
    }

    /// Renders `message` through the local outbox channel with signed links pointing at the running
    /// server, and returns the `.eml` text.
    static func email(
        _ messageID: String, customer: String, port: Int, tracksClicks: Bool, html: String
    ) async throws -> (eml: String, links: EngagementLinks) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-eml-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = EmailSettings.development
        // https, as the public URL is in production (behind a TLS proxy): RFC 8058's one-click
        // header is for https links only. The test posts the link's path to the plain-HTTP server.
        let links = EngagementLinks(secret: linkSecret, baseURL: "https://127.0.0.1:\(port)", tracksClicks: tracksClicks)
        settings.links = links
        let channel = LocalOutboxChannel(directory: folder.path, email: settings)
        let message = OutgoingMessage(
            idempotencyKey: messageID, category: .marketing, recipient: Recipient(customerID: customer, email: "\(customer)@example.com"),
            content: .email(EmailContent(subject: "Offer", html: html, text: "Offer")))
        guard case .delivered(let path?) = await channel.attempt(message) else {
            Issue.record("the local outbox did not write the email")
            return ("", links)
        }
        return (try String(contentsOfFile: path, encoding: .utf8), links)
    }

    /// A header's value, unfolded.
    static func header(_ name: String, in eml: String) -> String? {
        let head = eml.components(separatedBy: "\r\n\r\n").first ?? eml
        let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
        for line in unfolded.components(separatedBy: "\r\n") where line.lowercased().hasPrefix(name.lowercased() + ":") {
            return String(line.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    @Test func oneClickUnsubscribeWorksFromTheListUnsubscribeHeader() async throws {
        try await Self.withEngagementServer { port, server in
            let messageID = try await Self.sentMessage("u1", port: port, server: server)
            let (eml, _) = try await Self.email(messageID, customer: "u1", port: port, tracksClicks: false, html: "<p>Hi</p>")
            #expect(Self.header("List-Unsubscribe-Post", in: eml) == "List-Unsubscribe=One-Click")
            let value = try #require(Self.header("List-Unsubscribe", in: eml), "\(eml)")
            let url = try #require(
                value.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " <>")) }.first {
                    $0.hasPrefix("http")
                })
            let path = try #require(URLComponents(string: url)?.path)
            #expect(path.hasPrefix("/u/"))
            // A changed token is refused, and so is a POST without the one-click body.
            var tampered = Array(path)
            tampered[5] = tampered[5] == "A" ? "B" : "A"
            let refused = try await HTTPCall.send(port: port, .post, String(tampered), body: "List-Unsubscribe=One-Click", apiKey: nil)
            #expect(refused.status == 403, "\(refused.body)")
            #expect(try await HTTPCall.send(port: port, .post, path, body: "", apiKey: nil).status == 400)
            #expect(try await HTTPCall.send(port: port, .get, path, apiKey: nil).body.contains("List-Unsubscribe"))
            var profile = try await Self.customer(port, "u1").json?["profile"]
            #expect(profile?["subscriptions"]["email"] == .null, "nothing changed yet")
            // The one-click POST, with no API key.
            let done = try await HTTPCall.send(port: port, .post, path, body: "List-Unsubscribe=One-Click", apiKey: nil)
            #expect(done.status == 200, "\(done.body)")
            let unsubscribed = try await TestServer.eventually {
                try await Self.customer(port, "u1").json?["profile"]["subscriptions"]["email"] == .bool(false)
            }
            profile = try await Self.customer(port, "u1").json?["profile"]
            #expect(unsubscribed, "\(String(describing: profile))")
        }
    }

    @Test func aTrackedLinkRedirectsAndCountsAndATamperedOneIsRefused() async throws {
        try await Self.withEngagementServer { port, server in
            let messageID = try await Self.sentMessage("k1", port: port, server: server)
            let target = "https://shop.example.com/cart?x=1&y=2"
            let (eml, links) = try await Self.email(
                messageID, customer: "k1", port: port, tracksClicks: true, html: #"<a href="https://shop.example.com/cart?x=1&amp;y=2">Cart</a>"#)
            let rewritten = links.trackingLinks(in: #"<a href="https://shop.example.com/cart?x=1&amp;y=2">"#, messageID: messageID, customerID: "k1")
            let link = try #require(rewritten.split(separator: "\"").map(String.init).first { $0.contains("/c/") })
            // The channel wrote the same link (quoted-printable: soft breaks and `=3D` undone).
            let body = eml.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
            #expect(body.contains(link) && !body.contains("href=\"\(target)"), "\(eml)")
            let path = try #require(URLComponents(string: link)?.path)
            var tampered = Array(path)
            tampered[tampered.count - 3] = tampered[tampered.count - 3] == "x" ? "y" : "x"
            let refused = try await HTTPCall.send(port: port, .get, String(tampered), apiKey: nil)
            #expect(refused.status == 403 && refused.headers[.location] == nil, "\(refused.status) \(refused.body)")
            // An unsubscribe token is not a click token.
            let unsubscribePath = try #require(URLComponents(string: links.unsubscribeURL(messageID: messageID, customerID: "k1"))?.path)
            #expect(try await HTTPCall.send(port: port, .get, "/c/" + unsubscribePath.dropFirst(3), apiKey: nil).status == 403)
            let redirect = try await HTTPCall.send(port: port, .get, path, apiKey: nil)
            #expect(redirect.status == 302 && redirect.headers[.location] == target, "\(redirect.status) \(redirect.body)")
            let counted = try await TestServer.eventually {
                try await Self.stats(port, "promo")["total"]["clicked"].number == 1
            }
            let table = try await Self.stats(port, "promo")
            #expect(counted, "\(table)")
        }
    }

    /// Through the service: a hard bounce reported to `/v1/engagement` suppresses the address, and
    /// the next email is skipped with the bounce named in the customer's recent decisions.
    @Test func aHardBounceSuppressesTheNextEmailInTheService() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bounce-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try JourneyFixture(
            journeys: [
                "policy": "policy\n  time zone \"UTC\"\n",
                "mail": JourneyFixture.journey("mail", on: "signed_up", steps: ["send email offer_mail"]),
            ], webhooks: [:]
        ).write(to: directory)
        let folder = directory.appendingPathComponent("messages/offer_mail")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "An offer".write(to: folder.appendingPathComponent("subject.mustache"), atomically: true, encoding: .utf8)
        try "Hello {{customer.id}}".write(to: folder.appendingPathComponent("body.txt.mustache"), atomically: true, encoding: .utf8)
        try await TestServer.withServer(journeys: directory) { port, server in
            let messageID = try await Self.sentMessage("b1", port: port, server: server)
            let bounce = #"{"id": "bounce-1", "event": "email.bounced", "message_id": "\#(messageID)", "properties": {"bounce": "hard"}}"#
            #expect(try await HTTPCall.send(port: port, .post, "/v1/engagement", body: bounce).status == 202)
            let again = #"{"id": "signup-b1-again", "customer_id": "b1", "name": "signed_up"}"#
            #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: again).status == 202)
            let wanted = "email address suppressed after hard bounce of message \(messageID)"
            let skipped = try await TestServer.eventually {
                try await Self.customer(port, "b1").json?["recent_decisions"].array.contains { $0["summary"].string?.contains(wanted) == true }
                    == true
            }
            let decisions = try await Self.customer(port, "b1").json?["recent_decisions"].array.compactMap { $0["summary"].string }
            #expect(skipped, "\(decisions ?? [])")
            #expect(try await server.store.outbox(customerID: "b1", limit: 10).count == 1, "no second email")
        }
    }
}
