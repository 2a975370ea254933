import Foundation
import JourneyLanguage

/// Webhooks signed as the Standard Webhooks specification says (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature`), sent to an endpoint that passed the SSRF check,
/// with no redirects followed and a bounded time per attempt.
///
/// `webhook-id` is the message's idempotency key, so it is the same on every retry and
/// receivers can deduplicate; the timestamp and signature are those of the attempt.
public struct WebhookChannel: DeliveryChannel {
    public struct Endpoint: Sendable {
        /// Where messages go unless their recipient names another URL.
        public var url: String?
        /// Active signing secrets (`whsec_…`); each signs, so receivers can rotate.
        public var secrets: [WebhookSecret]
        public var addressPolicy: AddressPolicy
        public var timeout: Duration
        public var caFile: String?

        public init(
            url: String?, secrets: [WebhookSecret], addressPolicy: AddressPolicy = .publicOnly, timeout: Duration = .seconds(10),
            caFile: String? = nil
        ) {
            self.url = url
            self.secrets = secrets
            self.addressPolicy = addressPolicy
            self.timeout = timeout
            self.caFile = caFile
        }
    }

    let endpoint: Endpoint
    let transport: CurlTransport
    private let guardian: AddressGuard
    private let signer: WebhookSigner
    private let now: @Sendable () -> Date

    public init(endpoint: Endpoint, transport: CurlTransport) {
        self.init(endpoint: endpoint, transport: transport, now: { Date() })
    }

    init(endpoint: Endpoint, transport: CurlTransport, now: @escaping @Sendable () -> Date) {
        self.endpoint = endpoint
        self.transport = transport
        self.guardian = AddressGuard(policy: endpoint.addressPolicy)
        self.signer = WebhookSigner(secrets: endpoint.secrets)
        self.now = now
    }

    public func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome {
        guard case .webhook(let content) = message.content else {
            return .permanent(reason: "the webhook channel got a \(message.channel) message")
        }
        guard let url = message.recipient.webhookURL ?? endpoint.url else {
            return .permanent(reason: "no webhook URL: set webhook.url in the channel configuration")
        }
        let target: AddressGuard.Target
        switch await guardian.check(url) {
        case .success(let checked): target = checked
        case .failure(let failure): return failure.outcome
        }
        let id = message.idempotencyKey
        let timestamp = Int(now().timeIntervalSince1970)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("User-Agent", "Herald"),
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
        ]
        if !endpoint.secrets.isEmpty {
            headers.append(("webhook-signature", signer.signature(id: id, timestamp: timestamp, payload: content.payload)))
        }
        var request = TransportRequest(url: url, payload: .http(method: "POST", headers: headers, body: content.payload))
        request.pinnedAddresses = target.pin.map { [$0] } ?? []
        request.timeout = endpoint.timeout
        request.connectTimeout = min(endpoint.timeout, .seconds(10))
        request.caFile = endpoint.caFile
        request.maxResponseBytes = 64 * 1024
        do {
            let response = try await transport.execute(request)
            return ProviderResponse.outcome(response, provider: "the webhook endpoint", messageID: { _ in id })
        } catch {
            return ProviderResponse.outcome(error, provider: "the webhook endpoint")
        }
    }
}
