import Foundation
public import HeraldChannels
public import JourneyEngine
public import JourneyLanguage

/// Delivers outbox messages through HeraldChannels: renders the message's templates with the
/// context the engine recorded, then makes one attempt through the dispatcher (SMTP or HTTP email,
/// HTTP SMS, signed webhooks, or the local development outbox). The outbox message id is the
/// idempotency key (`webhook-id`, `Idempotency-Key`, the SMTP `Message-ID`).
public struct ChannelsDelivery: MessageDelivery {
    public let dispatcher: MessageDispatcher
    public let renderer: MessageRenderer

    public init(dispatcher: MessageDispatcher, renderer: MessageRenderer) {
        self.dispatcher = dispatcher
        self.renderer = renderer
    }

    public func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryOutcome {
        let customer = message.context["customer"]?.fields ?? [:]
        let context = TemplateContext(
            customer: customer, event: message.context["event"]?.fields ?? [:], journey: message.context["journey"]?.fields ?? [:],
            variant: message.context["variant"]?.fields ?? [:])
        let content: RenderedContent
        do {
            content = try renderer.render(message.message, for: message.channel, context: context)
        } catch {
            return .permanent(reason: "the \(message.message) template cannot be rendered: \(error)")
        }
        let recipient = Recipient(
            customerID: message.customerID, email: customer["email"]?.stringValue, name: customer["name"]?.stringValue,
            phone: customer["phone"]?.stringValue, webhookURL: customer["webhook_url"]?.stringValue)
        let outgoing = OutgoingMessage(
            idempotencyKey: message.id, category: message.category, recipient: recipient, content: content, messageName: message.message)
        return await dispatcher.attempt(outgoing)
    }

    /// Renders the revision's message templates (`messages/<name>/<file>`) from now on.
    public func deployed(_ files: [RevisionFile], revision: Int64) {
        var templates: [String: String] = [:]
        for file in files where file.path.hasPrefix("messages/") { templates[String(file.path.dropFirst("messages/".count))] = file.contents }
        renderer.use(files: templates, label: "revision \(revision)/messages")
    }

    public func destination(of message: OutboxMessage) -> DeliveryDestination {
        dispatcher.destination(channel: message.channel, webhookURL: message.context["customer"]?.fields?["webhook_url"]?.stringValue)
    }
}
