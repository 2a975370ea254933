import Crypto
import Foundation
import JourneyLanguage

/// The development channel: instead of sending, writes each message to a folder — an `.eml`
/// file per email (open it in any mail client), a JSON file per SMS and per webhook. It checks
/// recipients as the real channels do, so a message that would fail in production fails here.
///
/// File names derive from the idempotency key, so a retried message overwrites its own file and
/// the folder never holds two copies of one message.
public struct LocalOutboxChannel: DeliveryChannel {
    public let directory: String
    let email: EmailSettings
    let smsFrom: String
    let webhookURL: String?
    let webhookSigner: WebhookSigner

    /// - Parameters:
    ///   - directory: the folder to write to (created when missing).
    ///   - email: the sender settings the `.eml` files show.
    ///   - smsFrom: the sender the SMS files show.
    ///   - webhookURL: the endpoint the webhook files name; `webhookSecrets` sign them as a real
    ///     delivery would.
    public init(
        directory: String,
        email: EmailSettings = .development,
        smsFrom: String = "Herald",
        webhookURL: String? = nil,
        webhookSecrets: [WebhookSecret] = []
    ) {
        self.directory = directory
        self.email = email
        self.smsFrom = smsFrom
        self.webhookURL = webhookURL
        self.webhookSigner = WebhookSigner(secrets: webhookSecrets)
    }

    public func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome {
        let name = "\(message.channel)-\(Self.fileName(for: message.idempotencyKey))"
        let contents: [UInt8]
        let path: String
        switch message.content {
        case .email:
            switch email.mime(for: message, requireUnsubscribe: false) {
            case .success(let mime):
                contents = mime.bytes
                path = (directory as NSString).appendingPathComponent(name + ".eml")
            case .failure(let failure):
                return .permanent(reason: failure.reason)
            }
        case .sms(let sms):
            guard let phone = message.recipient.phone else {
                return .permanent(reason: "customer \(message.recipient.customerID) has no phone number")
            }
            let number: PhoneNumber
            do {
                number = try PhoneNumber(phone)
            } catch {
                return .permanent(reason: "invalid recipient: \(error)")
            }
            contents = Self.json([
                "channel": "sms",
                "idempotency_key": message.idempotencyKey,
                "category": message.category.rawValue,
                "message": message.messageName ?? NSNull(),
                "to": number.e164,
                "from": smsFrom,
                "text": sms.text,
                "encoding": sms.segments.encoding.rawValue,
                "segments": sms.segments.segments,
            ])
            path = (directory as NSString).appendingPathComponent(name + ".json")
        case .webhook(let webhook):
            let timestamp = Int(Date().timeIntervalSince1970)
            var headers: [String: String] = [
                "content-type": "application/json",
                "webhook-id": message.idempotencyKey,
                "webhook-timestamp": String(timestamp),
            ]
            if !webhookSigner.secrets.isEmpty {
                headers["webhook-signature"] = webhookSigner.signature(id: message.idempotencyKey, timestamp: timestamp, payload: webhook.payload)
            }
            let payload = (try? JSONSerialization.jsonObject(with: Data(webhook.payload), options: [.fragmentsAllowed])) ?? NSNull()
            contents = Self.json([
                "channel": "webhook",
                "idempotency_key": message.idempotencyKey,
                "category": message.category.rawValue,
                "message": message.messageName ?? NSNull(),
                "url": (message.recipient.webhookURL ?? webhookURL).map { $0 as Any } ?? NSNull(),
                "headers": headers,
                "payload": payload,
            ])
            path = (directory as NSString).appendingPathComponent(name + ".json")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(contents).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            return .permanent(reason: "cannot write \(path): \(error.localizedDescription)")
        }
        return .delivered(providerMessageID: path)
    }

    /// The key itself when it is a safe file name, else a safe prefix and a hash.
    static func fileName(for key: String) -> String {
        let safe = String(key.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" })
        if safe == key, key.count <= 80, !key.hasPrefix(".") { return key }
        let digest = SHA256.hash(data: Array(key.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return String(safe.prefix(60)).trimmingCharacters(in: CharacterSet(charactersIn: ".")) + "-" + digest
    }

    private static func json(_ object: [String: Any]) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data) + [0x0a]
    }
}

extension EmailSettings {
    /// `Herald <herald@localhost>`: the sender of the local outbox when none is configured.
    public static let development = EmailSettings(from: try! EmailAddress(address: "herald@localhost", name: "Herald"))
}
