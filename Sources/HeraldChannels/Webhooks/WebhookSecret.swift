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

    func signature(id: String, timestamp: Int, payload: [UInt8]) -> String {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: payload)
        return secrets.map { secret in
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: secret.key)
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }
}
