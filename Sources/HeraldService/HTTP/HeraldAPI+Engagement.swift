import Foundation
import HTTPTypes
import HeraldChannels
import Hummingbird
import JourneyEngine
import JourneyLanguage

/// Engagement endpoints (docs/engagement.md): Herald's own inbound shape (`POST /v1/engagement`,
/// API key), providers' signed webhooks (`POST /v1/providers/mailgun`, `/v1/providers/twilio`),
/// the one-click unsubscribe (`/u/<token>`), tracked clicks (`GET /c/<token>`) and the per-step
/// statistics (`GET /v1/journeys/{name}/stats`). Every inbound engagement becomes an ordinary
/// customer event named `<channel>.<kind>` with `message_id`, processed by the engine like any other.
extension HeraldAPI {
    func registerEngagement(on router: Router<BasicRequestContext>) {
        router.post("/v1/engagement") { request, _ in try await self.postEngagement(request) }
        router.get("/v1/journeys/:name/stats") { request, context in try await self.stats(request, context) }
        router.post("/v1/providers/mailgun") { request, _ in try await self.mailgun(request) }
        router.post("/v1/providers/twilio") { request, _ in try await self.twilio(request) }
        router.get("/u/:token") { _, context in try self.unsubscribePage(context) }
        router.post("/u/:token") { request, context in try await self.unsubscribe(request, context) }
        router.get("/c/:token") { _, context in try await self.click(context) }
    }

    /// The customer a Herald message id belongs to: the id is `<customer>/<journey>/<entry>/<step>/<channel>`
    /// and only the customer id may hold slashes.
    static func customerID(ofMessage id: String) -> String? {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 5, Channel(rawValue: String(parts[parts.count - 1])) != nil, Int(parts[parts.count - 3]) != nil else {
            return nil
        }
        let customer = parts.dropLast(4).joined(separator: "/")
        return customer.isEmpty ? nil : customer
    }

    // MARK: Herald's own shape

    /// `POST /v1/engagement`: a JSON object, a JSON array, `{"events": [...]}` or NDJSON (one object
    /// per line) of `{"id", "event": "<channel>.<kind>", "message_id", "timestamp"?, "customer_id"?,
    /// "properties"?}`. Idempotent by `id`.
    func postEngagement(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let now = clock.now()
        let bytes = try await rawBody(request)
        // One JSON document (an object, an array, or {"events": [...]}), else NDJSON: one object per line.
        let items: [Value]
        var listed = true
        let document: Value
        do {
            document = try RequestPayloads.parseJSON(bytes)
        } catch {
            let lines = bytes.split(separator: UInt8(ascii: "\n")).filter { !$0.allSatisfy { $0 == 32 || $0 == 13 || $0 == 9 } }
            guard lines.count > 1 else { throw error }
            document = .list(try lines.map { try RequestPayloads.parseJSON(Array($0)) })
        }
        switch document {
        case .list(let list): items = list
        case .object(let fields) where fields["events"] != nil:
            guard case .list(let list)? = fields["events"] else {
                throw APIError.invalid([ValidationProblem(path: "events", message: "must be an array of engagement events")])
            }
            items = list
        case let other:
            items = [other]
            listed = false
        }
        var problems: [ValidationProblem] = []
        var events: [Value] = []
        for (k, item) in items.enumerated() {
            let path = listed ? "[\(k)]" : ""
            func at(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }
            guard case .object(var fields) = item else {
                problems.append(ValidationProblem(path: path.isEmpty ? "$" : path, message: "must be an object"))
                continue
            }
            for key in fields.keys.sorted() where !["id", "event", "message_id", "customer_id", "timestamp", "properties"].contains(key) {
                problems.append(ValidationProblem(path: at(key), message: "unknown field"))
            }
            guard case .string(let id)? = fields["id"], !id.isEmpty else {
                problems.append(ValidationProblem(path: at("id"), message: "must be the event's idempotency id (a non-empty string)"))
                continue
            }
            guard case .string(let name)? = fields["event"], EngagementEvent(name: name, properties: [:]) != nil else {
                problems.append(
                    ValidationProblem(
                        path: at("event"),
                        message:
                            "must be `<channel>.<kind>`: channel email, sms or webhook; kind delivered, bounced, opened, clicked, complained, unsubscribed or replied"
                    ))
                continue
            }
            guard case .string(let messageID)? = fields["message_id"], !messageID.isEmpty else {
                problems.append(ValidationProblem(path: at("message_id"), message: "must be the Herald message id the event is about"))
                continue
            }
            if fields["customer_id"] == nil {
                guard let customer = Self.customerID(ofMessage: messageID) else {
                    problems.append(
                        ValidationProblem(
                            path: at("message_id"),
                            message: "is not a Herald message id (`<customer>/<journey>/<entry>/<step>/<channel>`); give `customer_id` too"))
                    continue
                }
                fields["customer_id"] = .string(customer)
            }
            var properties: [String: Value] = [:]
            if let given = fields["properties"] {
                guard case .object(let object) = given else {
                    problems.append(ValidationProblem(path: at("properties"), message: "must be an object"))
                    continue
                }
                properties = object
            }
            properties["message_id"] = .string(messageID)
            fields["properties"] = .object(properties)
            fields["name"] = .string(name)
            fields["event"] = nil
            fields["message_id"] = nil
            events.append(.object(fields))
        }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        let parsed = try RequestPayloads.events(from: .list(events), maxBatch: limits.maxBatchEvents, now: now)
        return try await accept(parsed, started: started, now: now)
    }

    // MARK: Providers

    private func providerEvents(_ engagements: [ProviderEngagement]) throws -> [CustomerEvent] {
        try engagements.map { e in
            guard let customer = Self.customerID(ofMessage: e.messageID) else {
                throw APIError(.badRequest, code: "unknown_message", message: "`\(e.messageID)` is not a Herald message id")
            }
            return CustomerEvent(id: e.id, customerID: customer, name: e.name, properties: e.properties, timestamp: e.timestamp)
        }
    }

    private static func refused(_ error: ProviderWebhookError, provider: String) -> APIError {
        switch error {
        case .unauthorized(let text): APIError(.unauthorized, code: "invalid_signature", message: "\(provider) webhook refused: \(text)")
        case .invalid(let text): APIError(.badRequest, code: "invalid_webhook", message: "\(provider) webhook refused: \(text)")
        }
    }

    private func notConfigured(_ key: String, _ provider: String) -> APIError {
        APIError(.notFound, code: "provider_not_configured", message: "\(provider) webhooks are off: set engagement.\(key) in the configuration file")
    }

    /// `POST /v1/providers/mailgun`: Mailgun event webhooks, signed with the webhook signing key.
    func mailgun(_ request: Request) async throws -> Response {
        guard let key = engagement.mailgunSigningKey else { throw notConfigured("mailgun_signing_key", "Mailgun") }
        let started = ContinuousClock.now
        let now = clock.now()
        let bytes = try await rawBody(request)
        let engagements: [ProviderEngagement]
        do {
            engagements = try MailgunWebhook(signingKey: key, tolerance: engagement.timestampToleranceSeconds).events(body: bytes, now: now)
        } catch {
            throw Self.refused(error, provider: "Mailgun")
        }
        if engagements.isEmpty { return JSONResponse.make(.ok, .object(["accepted": .number(0), "ignored": .bool(true)])) }
        return try await accept(try providerEvents(engagements), started: started, now: now)
    }

    /// `POST /v1/providers/twilio`: Twilio message status callbacks, signed in `X-Twilio-Signature`.
    func twilio(_ request: Request) async throws -> Response {
        guard let token = engagement.twilioAuthToken else { throw notConfigured("twilio_auth_token", "Twilio") }
        guard let base = engagement.publicURL else {
            throw APIError(
                .notFound, code: "provider_not_configured", message: "Twilio webhooks need engagement.public_url (Twilio signs the full URL)")
        }
        let started = ContinuousClock.now
        let now = clock.now()
        let form = Self.formFields(try await rawBody(request))
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let url = trimmed + request.uri.description
        let engagements: [ProviderEngagement]
        do {
            engagements = try TwilioWebhook(authToken: token).events(
                url: url, form: form, signature: request.headers[HTTPField.Name("X-Twilio-Signature")!], now: now)
        } catch {
            throw Self.refused(error, provider: "Twilio")
        }
        if engagements.isEmpty { return JSONResponse.make(.ok, .object(["accepted": .number(0), "ignored": .bool(true)])) }
        return try await accept(try providerEvents(engagements), started: started, now: now)
    }

    /// `application/x-www-form-urlencoded` fields, in order.
    static func formFields(_ bytes: [UInt8]) -> [(String, String)] {
        let text = String(decoding: bytes, as: UTF8.self)
        func decode(_ s: Substring) -> String {
            s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
        }
        return text.split(separator: "&").map { pair in
            if let eq = pair.firstIndex(of: "=") { return (decode(pair[..<eq]), decode(pair[pair.index(after: eq)...])) }
            return (decode(pair), "")
        }
    }

    // MARK: Links

    private func links() throws -> EngagementLinks {
        guard let secret = engagement.linkSecret, let base = engagement.publicURL else {
            throw APIError(.notFound, code: "links_not_configured", message: "signed links are off: set engagement.link_secret and public_url")
        }
        return EngagementLinks(secret: secret, baseURL: base, tracksClicks: engagement.clickTracking)
    }

    private func verified(_ purpose: EngagementLinks.Purpose, _ context: BasicRequestContext) throws -> [String: String] {
        let token = try context.parameters.require("token")
        do {
            return try links().verify(purpose, token: token)
        } catch let refused as EngagementLinks.Refused {
            throw APIError(.forbidden, code: "invalid_link", message: "the link was refused: \(refused.description)")
        }
    }

    /// `GET /u/<token>`: a small page confirming what the one-click `POST` does, with a button.
    func unsubscribePage(_ context: BasicRequestContext) throws -> Response {
        let payload = try verified(.unsubscribe, context)
        let what = payload["t"].map { "the “\(Self.html($0))” emails" } ?? "marketing email"
        let page = """
            <!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>
            <h1>Unsubscribe</h1><p>Stop receiving \(what)?</p>
            <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>
            </body></html>
            """
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// `POST /u/<token>` with `List-Unsubscribe=One-Click` (RFC 8058): records `email.unsubscribed`.
    func unsubscribe(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let payload = try verified(.unsubscribe, context)
        let form = Self.formFields(try await rawBody(request))
        guard form.contains(where: { $0.0 == "List-Unsubscribe" && $0.1 == "One-Click" }) else {
            throw APIError(.badRequest, code: "invalid_request", message: "a one-click unsubscribe posts the body `List-Unsubscribe=One-Click`")
        }
        guard let messageID = payload["m"], let customer = payload["c"] else {
            throw APIError(.forbidden, code: "invalid_link", message: "the link names no message")
        }
        var properties: [String: Value] = ["message_id": .string(messageID), "source": .string("one-click")]
        if let topic = payload["t"] { properties["topic"] = .string(topic) }
        let now = clock.now()
        let event = CustomerEvent(
            id: "unsubscribe:\(messageID)", customerID: customer, name: "email.unsubscribed", properties: properties, timestamp: now)
        _ = try await accept([event], started: .now, now: now)
        let page =
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head><body><p>You are unsubscribed.</p></body></html>"
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// `GET /c/<token>`: records `email.clicked` and redirects (302) to the link's own URL. A
    /// changed link is refused (403) and redirects nowhere.
    func click(_ context: BasicRequestContext) async throws -> Response {
        let payload = try verified(.click, context)
        guard let messageID = payload["m"], let customer = payload["c"], let url = payload["u"],
            url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://")
        else { throw APIError(.forbidden, code: "invalid_link", message: "the link names no message or no http(s) URL") }
        let now = clock.now()
        let event = CustomerEvent(
            id: "click:\(messageID):\(String(StableHash.fnv1a64(url), radix: 16))", customerID: customer, name: "email.clicked",
            properties: ["message_id": .string(messageID), "url": .string(url)], timestamp: now)
        _ = try await accept([event], started: .now, now: now)
        return Response(status: .found, headers: [.location: url])
    }

    static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    // MARK: Statistics

    /// `GET /v1/journeys/{name}/stats?since=YYYY-MM-DD&until=YYYY-MM-DD`: the per-step engagement
    /// table from the journey counters (no customer is read).
    func stats(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try Self.pathParameter(context, "name")
        var problems: [ValidationProblem] = []
        func day(_ key: String) -> String? {
            guard let text = request.uri.queryParameters.get(key) else { return nil }
            let day = String(text.prefix(10))
            let parts = day.split(separator: "-")
            guard day.count == 10, parts.count == 3, parts.allSatisfy({ Int($0) != nil }), let m = Int(parts[1]), (1...12).contains(m),
                let d = Int(parts[2]), (1...31).contains(d)
            else {
                problems.append(ValidationProblem(path: key, message: "must be a UTC day `YYYY-MM-DD` (or an RFC 3339 instant, whose day is used)"))
                return nil
            }
            return day
        }
        let since = day("since")
        let until = day("until")
        if let since, let until, since > until { problems.append(ValidationProblem(path: "since", message: "must not be after `until`")) }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        let counters = try await store.journeyCounters()
        let known = registry.current?.catalog.journeys.contains { $0.name == name } ?? false
        guard known || counters.keys.contains(where: { $0.journey == name }) else {
            throw APIError(.notFound, code: "unknown_journey", message: "no journey is named \(name)")
        }
        let table = EngagementStats(journey: name, counters: counters, since: since, until: until)
        return JSONResponse.make(.ok, Self.statsValue(table))
    }

    static func statsValue(_ table: EngagementStats) -> Value {
        let rows = table.rowValues
        return .object([
            "journey": .string(table.journey), "since": table.since.map(Value.string) ?? .null, "until": table.until.map(Value.string) ?? .null,
            "steps": .list(Array(rows.dropLast())), "total": rows.last ?? .null,
        ])
    }
}
