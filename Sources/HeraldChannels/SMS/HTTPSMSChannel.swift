import Foundation
import JourneyLanguage

/// SMS through an HTTP provider API.
///
/// - `form` (the most common shape): `application/x-www-form-urlencoded` `To`, `From`, `Body`,
///   with HTTP basic authentication (account id and auth token).
/// - `json`: `{"to", "from", "text"}` with a bearer token.
///
/// Either way the request carries an `Idempotency-Key` header and the number is checked against
/// E.164 before anything is sent.
public struct HTTPSMSChannel: DeliveryChannel {
    public enum Format: String, Sendable, Hashable, Decodable {
        case form
        case json
    }

    public struct Provider: Sendable, Hashable {
        public var url: String
        public var format: Format
        /// The sender number or alphanumeric sender id.
        public var from: String
        /// The account id for basic authentication (`form`).
        public var username: String?
        /// The auth token (basic authentication password for `form`, bearer token for `json`).
        public var authToken: Secret?
        public var caFile: String?
        public var timeout: Duration
        /// The provider's delivery-status callback (`form`: sent as `StatusCallback`), with the
        /// message's Herald id added as the `herald_message_id` query parameter so the status comes
        /// back as an engagement event (Herald's `/v1/providers/twilio`; docs/engagement.md).
        public var statusCallback: String?

        public init(
            url: String, format: Format = .form, from: String, username: String? = nil, authToken: Secret? = nil, caFile: String? = nil,
            timeout: Duration = .seconds(30), statusCallback: String? = nil
        ) {
            self.statusCallback = statusCallback
            self.url = url
            self.format = format
            self.from = from
            self.username = username
            self.authToken = authToken
            self.caFile = caFile
            self.timeout = timeout
        }
    }

    let provider: Provider
    let transport: CurlTransport

    public init(provider: Provider, transport: CurlTransport) {
        self.provider = provider
        self.transport = transport
    }

    public func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome {
        guard case .sms(let content) = message.content else {
            return .permanent(reason: "the SMS channel got a \(message.channel) message")
        }
        guard let text = message.recipient.phone else {
            return .permanent(reason: "customer \(message.recipient.customerID) has no phone number")
        }
        let phone: PhoneNumber
        do {
            phone = try PhoneNumber(text)
        } catch {
            return .permanent(reason: "invalid recipient: \(error)")
        }
        var headers: [(name: String, value: String)] = [
            ("Idempotency-Key", message.idempotencyKey),
            ("User-Agent", "Herald"),
        ]
        let body: [UInt8]
        var request: TransportRequest
        switch provider.format {
        case .form:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            var fields = [("To", phone.e164), ("From", provider.from), ("Body", content.text)]
            if let callback = provider.statusCallback {
                let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
                let id = message.idempotencyKey.addingPercentEncoding(withAllowedCharacters: allowed) ?? message.idempotencyKey
                fields.append(("StatusCallback", callback + (callback.contains("?") ? "&" : "?") + "herald_message_id=" + id))
            }
            body = Array(Self.formEncode(fields).utf8)
            request = TransportRequest(url: provider.url, payload: .http(method: "POST", headers: headers, body: body))
            request.username = provider.username
            request.password = provider.authToken
        case .json:
            headers.append(("Content-Type", "application/json"))
            if let token = provider.authToken {
                headers.append(("Authorization", "Bearer \(token.value)"))
            }
            let object = ["to": phone.e164, "from": provider.from, "text": content.text]
            body = Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
            request = TransportRequest(url: provider.url, payload: .http(method: "POST", headers: headers, body: body))
        }
        request.caFile = provider.caFile
        request.timeout = provider.timeout
        do {
            let response = try await transport.execute(request)
            return ProviderResponse.outcome(response, provider: "the SMS provider", messageID: ProviderResponse.jsonMessageID)
        } catch {
            return ProviderResponse.outcome(error, provider: "the SMS provider")
        }
    }

    static func formEncode(_ fields: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._*")
        func encode(_ value: String) -> String {
            (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value).replacingOccurrences(of: "%20", with: "+")
        }
        return fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
