import Foundation

/// How provider answers map to outcomes, shared by the HTTP adapters.
enum ProviderResponse {
    /// 2xx delivered; 408, 425, 429 and 5xx transient (with `Retry-After`); redirects and other
    /// 4xx permanent.
    static func outcome(_ response: TransportResponse, provider: String, messageID: (TransportResponse) -> String?) -> DeliveryOutcome {
        let status = response.status
        let retryAfter = response.retryAfterSeconds.map { Duration.seconds($0) }
        switch status {
        case 200..<300:
            return .delivered(providerMessageID: messageID(response))
        case 300..<400:
            let location = response.header("Location").map { " to \($0)" } ?? ""
            return .permanent(reason: "\(provider) answered \(status) (redirect\(location)); redirects are not followed")
        case 408, 425, 429, 500..<600:
            return .transient(reason: "\(provider) answered \(status)\(snippet(response))", retryAfter: retryAfter)
        default:
            return .permanent(reason: "\(provider) answered \(status)\(snippet(response))")
        }
    }

    /// Transport failures are transient, except those no retry can fix.
    static func outcome(_ error: any Error, provider: String) -> DeliveryOutcome {
        guard let error = error as? TransportError else {
            return .transient(reason: "\(provider): \(error)", retryAfter: nil)
        }
        switch error.kind {
        case .invalidRequest, .authentication:
            return .permanent(reason: "\(provider): \(error.message)")
        case .timeout:
            return .transient(reason: "\(provider) timed out: \(error.message)", retryAfter: nil)
        default:
            return .transient(reason: "\(provider): \(error.message)", retryAfter: nil)
        }
    }

    /// The id a provider gave the message: `id`, `message_id`, `MessageID`, `sid` or
    /// `messages[0].id` / `message-id` in a JSON body.
    static func jsonMessageID(_ response: TransportResponse) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return nil }
        for key in ["id", "message_id", "messageId", "MessageID", "sid"] {
            if let value = object[key] as? String { return value }
            if let value = object[key] as? Int { return String(value) }
        }
        if let messages = object["messages"] as? [[String: Any]], let first = messages.first {
            return (first["id"] ?? first["message-id"] ?? first["message_id"]) as? String
        }
        return nil
    }

    private static func snippet(_ response: TransportResponse) -> String {
        let text = String(decoding: response.body.prefix(200), as: UTF8.self).replacingNewlines.trimmed
        return text.isEmpty ? "" : ": \(text)"
    }
}
