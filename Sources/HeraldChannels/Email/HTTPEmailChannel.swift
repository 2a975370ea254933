import Foundation
import JourneyLanguage

/// Email through an HTTP provider API: a JSON `POST` in the shape most providers accept
/// (`from`, `to`, `reply_to`, `subject`, `html`, `text`, `headers`), with a bearer API key and an
/// `Idempotency-Key` header so that a retried request sends one email.
public struct HTTPEmailChannel: DeliveryChannel {
    public struct Provider: Sendable, Hashable {
        public var url: String
        public var apiKey: Secret
        public var caFile: String?
        public var timeout: Duration

        public init(url: String, apiKey: Secret, caFile: String? = nil, timeout: Duration = .seconds(30)) {
            self.url = url
            self.apiKey = apiKey
            self.caFile = caFile
            self.timeout = timeout
        }
    }

    let settings: EmailSettings
    let provider: Provider
    let transport: CurlTransport

    public init(settings: EmailSettings, provider: Provider, transport: CurlTransport) {
        self.settings = settings
        self.provider = provider
        self.transport = transport
    }

    public func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome {
        let mime: MIMEMessage
        switch settings.mime(for: message, requireUnsubscribe: true) {
        case .success(let built): mime = built
        case .failure(let failure): return .permanent(reason: failure.reason)
        }
        var headers: [String: String] = [
            "Message-ID": mime.messageID, "X-Mailgun-Variables": "{\"herald_message_id\": \"\(MIMEMessage.jsonEscaped(mime.idempotencyKey))\"}",
        ]
        if !mime.unsubscribe.isEmpty {
            headers["List-Unsubscribe"] = mime.unsubscribe.map { "<\($0)>" }.joined(separator: ", ")
            if mime.unsubscribe.contains(where: { $0.hasPrefix("https:") }) {
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            }
        }
        var body: [String: Any] = [
            "from": mime.from.description,
            "to": [mime.to.description],
            "subject": mime.content.subject,
            "headers": headers,
            "tags": [["name": "category", "value": message.category.rawValue]],
        ]
        if let replyTo = mime.replyTo { body["reply_to"] = replyTo.description }
        if let html = mime.content.html { body["html"] = html }
        if let text = mime.content.text { body["text"] = text }
        let json = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()

        var request = TransportRequest(
            url: provider.url,
            payload: .http(
                method: "POST",
                headers: [
                    ("Content-Type", "application/json"),
                    ("Authorization", "Bearer \(provider.apiKey.value)"),
                    ("Idempotency-Key", message.idempotencyKey),
                    ("User-Agent", "Herald"),
                ],
                body: Array(json)
            )
        )
        request.caFile = provider.caFile
        request.timeout = provider.timeout
        do {
            let response = try await transport.execute(request)
            return ProviderResponse.outcome(response, provider: "the email provider", messageID: ProviderResponse.jsonMessageID)
        } catch {
            return ProviderResponse.outcome(error, provider: "the email provider")
        }
    }
}
