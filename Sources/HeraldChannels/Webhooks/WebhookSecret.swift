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

    /// The header value for one attempt. The signed bytes are fed to the MAC as raw buffers and
    /// the signatures appended to one string (no `Data` or joined arrays): this runs once
    /// per webhook and was over 7 % of the client's CPU in herald-bench's webhook rounds.
    func signature(id: String, timestamp: Int, payload: [UInt8]) -> String {
        var prefix: [UInt8] = []
        prefix.reserveCapacity(id.utf8.count + 22)
        prefix.append(contentsOf: id.utf8)
        prefix.append(UInt8(ascii: "."))
        prefix.append(contentsOf: String(timestamp).utf8)
        prefix.append(UInt8(ascii: "."))
        var header = ""
        header.reserveCapacity(keyed.count * 48)
        for keyed in keyed {
            var mac = keyed
            prefix.withUnsafeBytes { mac.update(data: $0) }
            payload.withUnsafeBytes { mac.update(data: $0) }
            if !header.isEmpty { header.append(" ") }
            header.append("v1,")
            header.append(mac.finalize().withUnsafeBytes { Data($0).base64EncodedString() })
        }
        return header
    }
}
