import Crypto
import Foundation

/// Signed links in email: the one-click unsubscribe URL (`/u/<token>`, RFC 8058) and, when click
/// tracking is on, the tracked redirect of every link (`/c/<token>`). A token is
/// `<base64url(payload)>.<base64url(HMAC-SHA256(secret, purpose "|" payload))>`: the payload is
/// readable, and a changed byte anywhere (payload, purpose or signature) fails verification, so a
/// tracking link cannot be turned into an open redirector.
public struct EngagementLinks: Sendable, Hashable {
    /// What a token was made for: an unsubscribe token never verifies as a click token.
    public enum Purpose: String, Sendable {
        case unsubscribe = "u"
        case click = "c"
    }

    /// The service's public base URL (`https://herald.example.com`), without a trailing slash.
    public let baseURL: String
    /// Whether links in email HTML are rewritten to tracked redirects.
    public let tracksClicks: Bool
    private let secret: [UInt8]

    /// - Parameters:
    ///   - secret: the signing secret (at least 16 bytes).
    ///   - baseURL: where `/u/…` and `/c/…` are served.
    public init(secret: String, baseURL: String, tracksClicks: Bool = false) {
        self.secret = Array(secret.utf8)
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.tracksClicks = tracksClicks
    }

    /// A refused token.
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    // MARK: Tokens

    public func token(_ purpose: Purpose, payload: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data()
        let body = Self.base64url(data)
        return body + "." + Self.base64url(Data(signature(purpose, body)))
    }

    /// The payload of a token this secret signed for `purpose`.
    public func verify(_ purpose: Purpose, token: String) throws(Refused) -> [String: String] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let presented = Self.unbase64url(String(parts[1])) else {
            throw Refused(description: "the link is malformed (expected <payload>.<signature>)")
        }
        let body = String(parts[0])
        let expected = signature(purpose, body)
        // Constant time: compare every byte.
        var difference = UInt8(truncatingIfNeeded: presented.count ^ expected.count)
        for (a, b) in zip(presented, expected) { difference |= a ^ b }
        guard difference == 0, presented.count == expected.count else {
            throw Refused(description: "the link's signature does not match: it was changed or was not made by this Herald")
        }
        guard let data = Self.unbase64url(body),
            let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: String]
        else { throw Refused(description: "the link's payload is not readable") }
        return object
    }

    private func signature(_ purpose: Purpose, _ body: String) -> [UInt8] {
        Array(HMAC<Crypto.SHA256>.authenticationCode(for: Array("\(purpose.rawValue)|\(body)".utf8), using: SymmetricKey(data: secret)))
    }

    // MARK: Links

    /// The one-click unsubscribe URL of a message (`POST` it with `List-Unsubscribe=One-Click`).
    public func unsubscribeURL(messageID: String, customerID: String, topic: String? = nil) -> String {
        var payload = ["m": messageID, "c": customerID]
        if let topic { payload["t"] = topic }
        return "\(baseURL)/u/\(token(.unsubscribe, payload: payload))"
    }

    /// The tracked redirect to `url` for a message.
    public func clickURL(messageID: String, customerID: String, url: String) -> String {
        "\(baseURL)/c/\(token(.click, payload: ["m": messageID, "c": customerID, "u": url]))"
    }

    /// `html` with every `href="http(s)://…"` replaced by its tracked redirect (links to the
    /// unsubscribe endpoint, `mailto:` and fragments stay as they are).
    public func trackingLinks(in html: String, messageID: String, customerID: String) -> String {
        var out = ""
        var rest = Substring(html)
        while let range = rest.range(of: "href=\"", options: .caseInsensitive) {
            out += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            let raw = String(rest[..<end])
            let target = raw.replacingOccurrences(of: "&amp;", with: "&")
            let lower = target.lowercased()
            if (lower.hasPrefix("http://") || lower.hasPrefix("https://")) && !target.hasPrefix(baseURL + "/u/") {
                out += clickURL(messageID: messageID, customerID: customerID, url: target)
            } else {
                out += raw
            }
            rest = rest[end...]
        }
        return out + rest
    }

    // MARK: base64url

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ text: String) -> [UInt8]? {
        guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), text.allSatisfy(\.isASCII) else { return nil }
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base).map(Array.init)
    }
}
