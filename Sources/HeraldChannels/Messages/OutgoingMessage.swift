public import JourneyLanguage

/// A rendered message ready for a channel: what the outbox holds and the adapters deliver.
///
/// ```swift
/// let message = OutgoingMessage(
///     idempotencyKey: "welcome-c42-1",
///     category: .transactional,
///     recipient: Recipient(customerID: "c42", email: "ada@example.com"),
///     content: try renderer.render("welcome", for: .email, context: context)
/// )
/// ```
public struct OutgoingMessage: Sendable, Hashable {
    /// Identifies this message across retries: providers that honour an idempotency key send it
    /// once, the SMTP `Message-ID` and the webhook `webhook-id` derive from it.
    public var idempotencyKey: String
    public var category: MessageCategory
    public var recipient: Recipient
    public var content: RenderedContent
    /// The template's name (`Journeys/messages/<name>/`), for logs and the local outbox.
    public var messageName: String?

    public init(
        idempotencyKey: String,
        category: MessageCategory,
        recipient: Recipient,
        content: RenderedContent,
        messageName: String? = nil
    ) {
        self.idempotencyKey = idempotencyKey
        self.category = category
        self.recipient = recipient
        self.content = content
        self.messageName = messageName
    }

    /// The channel the content was rendered for.
    public var channel: Channel { content.channel }
}

/// Who a message goes to. Each channel reads the field it needs.
public struct Recipient: Sendable, Hashable {
    public var customerID: String
    /// The email address (`ada@example.com`).
    public var email: String?
    /// A display name for the `To` header.
    public var name: String?
    /// The phone number in E.164 form (`+14155550123`); spaces, dots, dashes and brackets are tolerated.
    public var phone: String?
    /// Overrides the webhook channel's configured endpoint for this message.
    public var webhookURL: String?

    public init(customerID: String, email: String? = nil, name: String? = nil, phone: String? = nil, webhookURL: String? = nil) {
        self.customerID = customerID
        self.email = email
        self.name = name
        self.phone = phone
        self.webhookURL = webhookURL
    }
}

/// What a template set rendered, per channel.
public enum RenderedContent: Sendable, Hashable {
    case email(EmailContent)
    case sms(SMSContent)
    case webhook(WebhookContent)

    public var channel: Channel {
        switch self {
        case .email: .email
        case .sms: .sms
        case .webhook: .webhook
        }
    }
}

public struct EmailContent: Sendable, Hashable {
    public var subject: String
    /// The HTML body (values were HTML-escaped when rendered).
    public var html: String?
    /// The plain-text body.
    public var text: String?

    public init(subject: String, html: String?, text: String?) {
        self.subject = subject
        self.html = html
        self.text = text
    }
}

public struct SMSContent: Sendable, Hashable {
    public var text: String
    /// How the text is encoded and how many SMS segments it takes.
    public var segments: SMSSegmentCount

    public init(text: String) {
        self.text = text
        self.segments = SMSSegmentCount(text)
    }
}

public struct WebhookContent: Sendable, Hashable {
    /// The JSON payload, exactly as it is sent and signed.
    public var payload: [UInt8]

    public init(payload: [UInt8]) {
        self.payload = payload
    }
}
