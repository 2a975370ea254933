import Crypto
import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 of 24 to 64 random bytes.
/// Its description is redacted.
public struct WebhookSecret: Sendable, CustomStringConvertible {
    let key: SymmetricKey

    /// - Throws: ``WebhookSecret/Invalid`` when `secret` is not `whsec_<base64>`.
    public init(_ secret: Secret) throws(Invalid) {
        let text = secret.value
        guard text.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(text.dropFirst(6))), !bytes.isEmpty else {
            throw Invalid()
        }
        key = SymmetricKey(data: bytes)
    }

    public var description: String { "whsec_<redacted>" }

    /// A new random secret in `whsec_` form (32 bytes).
    public static func generate() -> Secret {
        Secret("whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() })
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String {
            "a webhook secret must be `whsec_` followed by base64 (the value is not shown)"
        }
    }
}

/// Signs webhook requests as the Standard Webhooks specification says:
/// `webhook-signature: v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`, one
/// space-separated signature per active secret, so that receivers can rotate secrets.
struct WebhookSigner: Sendable {
    let secrets: [WebhookSecret]
    /// One HMAC per secret with its key already absorbed: each signature starts from a copy, so
    /// the key schedule (two hash blocks) is not computed again for every message.
    private let keyed: [HMAC<SHA256>]

    init(secrets: [WebhookSecret]) {
        self.secrets = secrets
        self.keyed = secrets.map { HMAC<SHA256>(key: $0.key) }
    }

    func signature(id: String, timestamp: Int, payload: [UInt8]) -> String {
        let prefix = Array("\(id).\(timestamp).".utf8)
        return keyed.map { keyed in
            var mac = keyed
            mac.update(data: prefix)
            mac.update(data: payload)
            return "v1," + Data(mac.finalize()).base64EncodedString()
        }.joined(separator: " ")
    }
}
