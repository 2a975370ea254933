import Crypto
import Foundation

/// Builds the RFC 5322 / MIME text of an email: `multipart/alternative` with a plain-text and an
/// HTML part (or a single part when only one body exists), quoted-printable UTF-8 bodies,
/// RFC 2047 encoded headers, a `Message-ID` derived from the idempotency key, and
/// `List-Unsubscribe` headers for marketing mail. Lines end in CRLF.
struct MIMEMessage: Sendable {
    var from: EmailAddress
    var to: EmailAddress
    var replyTo: EmailAddress?
    var content: EmailContent
    var idempotencyKey: String
    var date: Date
    /// `https:` and `mailto:` URIs for `List-Unsubscribe` (marketing mail only).
    var unsubscribe: [String] = []

    /// `<herald.<hash of the key>@<sender domain>>`: the same for every retry of one message, so
    /// receivers that deduplicate on Message-ID see one message.
    var messageID: String {
        "<herald.\(Self.hash(idempotencyKey).prefix(32))@\(from.domain)>"
    }

    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    var bytes: [UInt8] {
        Array(text.utf8)
    }

    var text: String {
        var headers: [String] = []
        headers.append(Self.header("From", Self.mailbox(from)))
        headers.append(Self.header("To", Self.mailbox(to)))
        if let replyTo { headers.append(Self.header("Reply-To", Self.mailbox(replyTo))) }
        headers.append(Self.header("Subject", Self.encodedText(content.subject)))
        headers.append("Date: \(Self.rfc5322Date(date))")
        headers.append("Message-ID: \(messageID)")
        headers.append("MIME-Version: 1.0")
        // Herald's message id, for providers' event webhooks (Mailgun returns `v:` variables in
        // its events' `user-variables`): see docs/engagement.md.
        headers.append(Self.header("X-Mailgun-Variables", "{\"herald_message_id\": \"\(Self.jsonEscaped(idempotencyKey))\"}"))
        if !unsubscribe.isEmpty {
            headers.append(Self.header("List-Unsubscribe", unsubscribe.map { "<\($0)>" }.joined(separator: ", ")))
            if unsubscribe.contains(where: { $0.lowercased().hasPrefix("https:") }) {
                headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
            }
        }
        var parts: [(type: String, body: String)] = []
        if let text = content.text { parts.append(("text/plain", text)) }
        if let html = content.html { parts.append(("text/html", html)) }
        if parts.isEmpty { parts.append(("text/plain", "")) }

        var lines = headers
        if parts.count == 1 {
            lines.append("Content-Type: \(parts[0].type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(Self.quotedPrintable(parts[0].body))
        } else {
            let boundary = "herald-alt-\(Self.hash(idempotencyKey).prefix(24))"
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            for part in parts {
                lines.append("--\(boundary)")
                lines.append("Content-Type: \(part.type); charset=utf-8")
                lines.append("Content-Transfer-Encoding: quoted-printable")
                lines.append("")
                lines.append(Self.quotedPrintable(part.body))
            }
            lines.append("--\(boundary)--")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    // MARK: Encodings

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `Name: value`, folded before 78 characters where the value has spaces to fold at.
    static func header(_ name: String, _ value: String) -> String {
        var lines: [String] = []
        var current = "\(name):"
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            if current.count + 1 + word.count > 76, current.count > name.count + 1 {
                lines.append(current)
                current = ""
            }
            current += " " + word
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// A display name and address: the name quoted, or RFC 2047-encoded when it is not ASCII.
    static func mailbox(_ mailbox: EmailAddress) -> String {
        guard let name = mailbox.name else { return "<\(mailbox.address)>" }
        let phrase: String
        if name.allSatisfy({ $0.isASCII && !$0.isNewline }) {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            phrase = "\"\(escaped)\""
        } else {
            phrase = encodedWords(name)
        }
        return "\(phrase) <\(mailbox.address)>"
    }

    /// Unstructured header text: as is when printable ASCII, else RFC 2047 encoded words.
    static func encodedText(_ text: String) -> String {
        let text = text.replacingNewlines
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }), !text.contains("=?") {
            return text
        }
        return encodedWords(text)
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters, split between characters, separated by
    /// spaces (where the header folds).
    static func encodedWords(_ text: String) -> String {
        var words: [[UInt8]] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append(chunk)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }.joined(separator: " ")
    }

    /// Quoted-printable (RFC 2045) of UTF-8 text with CRLF line ends and soft breaks before 76
    /// characters.
    static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var output: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            var encoded = ""
            var length = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                var token: String
                switch byte {
                case 0x21...0x3c, 0x3e...0x7e: token = String(UnicodeScalar(byte))
                case 0x20, 0x09: token = isLast ? String(format: "=%02X", byte) : String(UnicodeScalar(byte))
                default: token = String(format: "=%02X", byte)
                }
                // A line must not start with "." in case a relay does not dot-stuff, nor "From ".
                if length == 0, byte == 0x2e { token = "=2E" }
                if length + token.count > 75 {
                    encoded += "=\r\n"
                    length = 0
                    if byte == 0x2e { token = "=2E" }
                }
                encoded += token
                length += token.count
            }
            output.append(encoded)
        }
        return output.joined(separator: "\r\n")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
