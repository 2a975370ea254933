import Crypto
import Foundation
public import JourneyLanguage

/// An engagement event a provider reported, in Herald's contract (docs/engagement.md): a name
/// `<channel>.<kind>`, the Herald message id, and the kind's properties.
public struct ProviderEngagement: Sendable, Hashable {
    /// Idempotency id (the provider's event id, prefixed with the provider).
    public var id: String
    public var messageID: String
    public var name: String
    public var properties: [String: Value]
    public var timestamp: Double

    public init(id: String, messageID: String, name: String, properties: [String: Value], timestamp: Double) {
        self.id = id
        self.messageID = messageID
        self.name = name
        var properties = properties
        properties["message_id"] = .string(messageID)
        self.properties = properties
        self.timestamp = timestamp
    }
}

/// Why a provider's webhook request was refused: `unauthorized` (unsigned, forged or stale; 401)
/// or `invalid` (signed but not understood; 400). Nothing is recorded for a refused request.
public enum ProviderWebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    case unauthorized(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .unauthorized(let text), .invalid(let text): text
        }
    }
}

/// The name of the custom variable (Mailgun `v:` variable, Twilio callback query parameter) that
/// carries Herald's message id.
public let heraldMessageIDVariable = "herald_message_id"

/// Mailgun's event webhooks: a JSON body `{"signature": {"timestamp", "token", "signature"},
/// "event-data": {…}}`, signed with the account's webhook signing key as the hex of
/// HMAC-SHA256(key, timestamp + token). Herald's message id comes back in the event's
/// `user-variables` (`herald_message_id`, sent as `X-Mailgun-Variables`).
public struct MailgunWebhook: Sendable {
    public let signingKey: String
    /// How old (or how far in the future) a signature's timestamp may be.
    public let tolerance: Double

    public init(signingKey: String, tolerance: Double = 300) {
        self.signingKey = signingKey
        self.tolerance = tolerance
    }

    /// Verifies the request and maps its event (`nil`: an event Herald does not count, such as
    /// `accepted`).
    public func events(body: [UInt8], now: Double) throws(ProviderWebhookError) -> [ProviderEngagement] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw .unauthorized("the body is not a signed Mailgun webhook (expected a JSON object with `signature`)")
        }
        guard let signature = object["signature"] as? [String: Any],
            let timestampText = Self.text(signature["timestamp"]), let token = signature["token"] as? String,
            let presented = signature["signature"] as? String
        else { throw .unauthorized("the Mailgun webhook is unsigned: `signature.timestamp`, `.token` and `.signature` are required") }
        guard let timestamp = Double(timestampText) else { throw .unauthorized("`signature.timestamp` is not a number") }
        let mac = HMAC<Crypto.SHA256>.authenticationCode(for: Array((timestampText + token).utf8), using: SymmetricKey(data: Array(signingKey.utf8)))
        let expected = mac.map { String(format: "%02x", $0) }.joined()
        guard Self.constantTimeEqual(Array(expected.utf8), Array(presented.lowercased().utf8)) else {
            throw .unauthorized("the Mailgun signature does not match (check the webhook signing key in engagement.mailgun_signing_key)")
        }
        guard abs(now - timestamp) <= tolerance else {
            throw .unauthorized(
                "the Mailgun signature's timestamp is \(Int(abs(now - timestamp))) s away from now (more than \(Int(tolerance)) s): a replay or a wrong clock"
            )
        }
        guard let data = object["event-data"] as? [String: Any], let event = data["event"] as? String else {
            throw .invalid("the Mailgun webhook has no `event-data.event`")
        }
        let variables = data["user-variables"] as? [String: Any] ?? [:]
        guard let messageID = variables[heraldMessageIDVariable] as? String, !messageID.isEmpty else {
            throw .invalid("the Mailgun event carries no `user-variables.\(heraldMessageIDVariable)`: was the message sent by Herald?")
        }
        let at = (data["timestamp"] as? Double) ?? timestamp
        let id = "mailgun:" + ((data["id"] as? String) ?? "\(token):\(event)")
        var properties: [String: Value] = [:]
        let kind: String
        switch event {
        case "delivered": kind = "delivered"
        case "failed":
            kind = "bounced"
            properties["bounce"] = .string((data["severity"] as? String) == "permanent" ? "hard" : "soft")
            if let reason = data["reason"] as? String { properties["reason"] = .string(reason) }
        case "opened": kind = "opened"
        case "clicked":
            kind = "clicked"
            if let url = data["url"] as? String { properties["url"] = .string(url) }
        case "unsubscribed": kind = "unsubscribed"
        case "complained": kind = "complained"
        default: return []
        }
        return [ProviderEngagement(id: id, messageID: messageID, name: "email.\(kind)", properties: properties, timestamp: at)]
    }

    static func text(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let n = value as? NSNumber { return n.stringValue }
        return nil
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { difference |= 1 }
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// Twilio's message status callbacks: a form-encoded body, signed in `X-Twilio-Signature` as the
/// base64 of HMAC-SHA1(auth token, the full callback URL followed by every form parameter's name
/// and value, sorted by name). Herald's message id comes back as the callback URL's
/// `herald_message_id` query parameter (set it in the `StatusCallback` URL when sending).
public struct TwilioWebhook: Sendable {
    public let authToken: String

    public init(authToken: String) { self.authToken = authToken }

    /// Error codes that mean the number can never receive (a hard bounce): unreachable, unknown,
    /// landline, opted out.
    static let hardErrors: Set<String> = ["30003", "30005", "30006", "21610", "21614"]

    /// Verifies a status callback and maps it (`[]`: a status Herald does not count, such as `sent`).
    ///
    /// - Parameters:
    ///   - url: the full URL Twilio called (the configured public URL plus path and query).
    ///   - form: the decoded form parameters.
    ///   - signature: the `X-Twilio-Signature` header.
    public func events(url: String, form: [(String, String)], signature: String?, now: Double) throws(ProviderWebhookError) -> [ProviderEngagement] {
        guard let signature, !signature.isEmpty else {
            throw .unauthorized("the Twilio callback is unsigned: the X-Twilio-Signature header is missing")
        }
        var signed = url
        for (name, value) in form.sorted(by: { $0.0 < $1.0 }) { signed += name + value }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(signed.utf8), using: SymmetricKey(data: Array(authToken.utf8)))
        let expected = Data(mac).base64EncodedString()
        guard MailgunWebhook.constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            throw .unauthorized(
                "the X-Twilio-Signature does not match (check engagement.twilio_auth_token and engagement.public_url: Twilio signs the full URL it called)"
            )
        }
        let fields = Dictionary(form, uniquingKeysWith: { a, _ in a })
        guard let query = URLComponents(string: url)?.queryItems, let messageID = query.first(where: { $0.name == heraldMessageIDVariable })?.value,
            !messageID.isEmpty
        else { throw .invalid("the callback URL has no `\(heraldMessageIDVariable)` query parameter: was the message sent by Herald?") }
        guard let status = fields["MessageStatus"] ?? fields["SmsStatus"] else { throw .invalid("the Twilio callback has no MessageStatus") }
        let sid = fields["MessageSid"] ?? fields["SmsSid"] ?? messageID
        var properties: [String: Value] = [:]
        let kind: String
        switch status {
        case "delivered": kind = "delivered"
        case "undelivered", "failed":
            kind = "bounced"
            let code = fields["ErrorCode"] ?? ""
            properties["bounce"] = .string(Self.hardErrors.contains(code) ? "hard" : "soft")
            if !code.isEmpty { properties["error_code"] = .string(code) }
        default: return []
        }
        return [ProviderEngagement(id: "twilio:\(sid):\(status)", messageID: messageID, name: "sms.\(kind)", properties: properties, timestamp: now)]
    }
}
