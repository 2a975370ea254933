import Foundation
import JourneyLanguage
import Testing

@testable import HeraldChannels

struct MIMEMessageTests {
    func mime(_ message: OutgoingMessage, settings: EmailSettings) throws -> MIMEMessage {
        try settings.mime(for: message, requireUnsubscribe: true, date: Date(timeIntervalSince1970: 0)).get()
    }

    @Test func buildsMultipartAlternativeWithEncodedHeaders() throws {
        let settings = EmailSettings(
            from: try EmailAddress(parsing: "Zoë from Acme <hello@acme.example>"), replyTo: try EmailAddress(parsing: "help@acme.example"))
        let message = Fixtures.email(key: "k-1", subject: "Grüße, Ada — 20 % off", text: "Line one\nLine two with ünïcode", html: "<p>Hi</p>")
        let text = try mime(message, settings: settings).text
        #expect(text.contains("From: =?UTF-8?B?"))
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(text.contains("Reply-To: <help@acme.example>"))
        #expect(text.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        #expect(text.contains("Content-Type: multipart/alternative; boundary="))
        #expect(text.contains("Line two with =C3=BCn=C3=AFcode"))
        #expect(!text.contains("List-Unsubscribe"))
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func messageIDIsStableForOneKeyAndDiffersBetweenKeys() throws {
        let settings = EmailSettings(from: try EmailAddress(address: "hello@acme.example"))
        let first = try mime(Fixtures.email(key: "order-7"), settings: settings).messageID
        let again = try mime(Fixtures.email(key: "order-7"), settings: settings).messageID
        let other = try mime(Fixtures.email(key: "order-8"), settings: settings).messageID
        #expect(first == again)
        #expect(first != other)
        #expect(first.hasSuffix("@acme.example>"))
    }

    @Test func marketingMailCarriesOneClickUnsubscribe() throws {
        let settings = EmailSettings(
            from: try EmailAddress(address: "hello@acme.example"), unsubscribeURL: "https://acme.example/u?c={customer_id}&k={message_key}",
            unsubscribeMailto: "unsub@acme.example")
        let text = try mime(Fixtures.email(key: "a b", category: .marketing), settings: settings).text
        #expect(text.contains("List-Unsubscribe: <https://acme.example/u?c=c42&k=a%20b>,"))
        #expect(text.contains("<mailto:unsub@acme.example>"))
        #expect(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
    }

    @Test func marketingMailWithoutUnsubscribeLinkIsRefused() throws {
        let settings = EmailSettings(from: try EmailAddress(address: "hello@acme.example"))
        let result = settings.mime(for: Fixtures.email(category: .marketing), requireUnsubscribe: true)
        #expect(throws: PermanentFailure.self) { try result.get() }
    }

    @Test(arguments: ["", "ada", "ada@", "@example.com", "ada @example.com", "ada@example.com\r\nBcc: x@y.z", "a<b>@c.d", "ada@.example.com"])
    func invalidAddressesAreRejected(address: String) {
        #expect(throws: EmailAddress.Invalid.self) { try EmailAddress(address: address) }
    }

    @Test func quotedPrintableKeepsLinesShortAndEscapesLeadingDots() {
        let encoded = MIMEMessage.quotedPrintable(String(repeating: "x", count: 200) + "\n.hidden\ntrailing ")
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.count <= 76)
        }
        #expect(encoded.contains("\r\n=2Ehidden"))
        #expect(encoded.hasSuffix("trailing=20"))
    }

    @Test func encodedWordsSplitBetweenCharacters() {
        let words = MIMEMessage.encodedWords(String(repeating: "ü", count: 60)).split(separator: " ")
        #expect(words.count == 3)
        for word in words {
            #expect(word.count <= 75)
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            #expect(Data(base64Encoded: String(base64)).flatMap { String(data: $0, encoding: .utf8) } != nil)
        }
    }
}
