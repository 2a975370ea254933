import Foundation
import JourneyLanguage

/// What every email transport needs besides the connection: the sender and the unsubscribe links.
public struct EmailSettings: Sendable, Hashable {
    public var from: EmailAddress
    public var replyTo: EmailAddress?
    /// The one-click unsubscribe URL for marketing mail; `{customer_id}`, `{email}` and
    /// `{message_key}` are replaced (URL-encoded).
    public var unsubscribeURL: String?
    /// A `mailto:` address for `List-Unsubscribe`.
    public var unsubscribeMailto: String?
    /// Signed engagement links (docs/engagement.md): when set, marketing mail's `List-Unsubscribe`
    /// points at the service's one-click endpoint (`/u/<token>`) unless `unsubscribeURL` is given,
    /// and with click tracking on, HTML links become signed redirects (`/c/<token>`).
    public var links: EngagementLinks?

    public init(from: EmailAddress, replyTo: EmailAddress? = nil, unsubscribeURL: String? = nil, unsubscribeMailto: String? = nil) {
        self.from = from
        self.replyTo = replyTo
        self.unsubscribeURL = unsubscribeURL
        self.unsubscribeMailto = unsubscribeMailto
    }

    /// The MIME message for `message`, or the permanent failure that prevents it.
    func mime(for message: OutgoingMessage, requireUnsubscribe: Bool, date: Date = Date()) -> Result<MIMEMessage, PermanentFailure> {
        guard case .email(var content) = message.content else {
            return .failure(PermanentFailure("the email channel got a \(message.channel) message"))
        }
        guard let address = message.recipient.email else {
            return .failure(PermanentFailure("customer \(message.recipient.customerID) has no email address"))
        }
        let to: EmailAddress
        do {
            to = try EmailAddress(address: address, name: message.recipient.name)
        } catch {
            return .failure(PermanentFailure("invalid recipient: \(error)"))
        }
        var unsubscribe: [String] = []
        if let links, links.tracksClicks, let html = content.html {
            content.html = links.trackingLinks(in: html, messageID: message.idempotencyKey, customerID: message.recipient.customerID)
        }
        if message.category == .marketing {
            if let template = unsubscribeURL {
                unsubscribe.append(Self.expand(template, message: message))
            } else if let links {
                unsubscribe.append(links.unsubscribeURL(messageID: message.idempotencyKey, customerID: message.recipient.customerID))
            }
            if let mailto = unsubscribeMailto {
                unsubscribe.append(mailto.hasPrefix("mailto:") ? mailto : "mailto:\(mailto)")
            }
            if unsubscribe.isEmpty, requireUnsubscribe {
                return .failure(
                    PermanentFailure(
                        "marketing email needs an unsubscribe link: set email.unsubscribe_url (or unsubscribe_mailto) in the channel configuration"))
            }
        }
        return .success(
            MIMEMessage(
                from: from, to: to, replyTo: replyTo, content: content, idempotencyKey: message.idempotencyKey, date: date, unsubscribe: unsubscribe))
    }

    private static func expand(_ template: String, message: OutgoingMessage) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func encode(_ value: String) -> String { value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value }
        return
            template
            .replacingOccurrences(of: "{customer_id}", with: encode(message.recipient.customerID))
            .replacingOccurrences(of: "{email}", with: encode(message.recipient.email ?? ""))
            .replacingOccurrences(of: "{message_key}", with: encode(message.idempotencyKey))
    }
}

/// Why a message can never be delivered as it is.
struct PermanentFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
