import Foundation
public import HeraldChannels
public import JourneyEngine
import JourneyLanguage

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

    /// The retry schedule the channel configuration asks for.
    public var retrySchedule: RetrySchedule {
        let policy = dispatcher.retryPolicy
        return RetrySchedule(
            base: policy.baseDelay.seconds, cap: policy.maxDelay.seconds, maxAttempts: policy.maxAttempts)
    }

    public func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryAttempt {
        guard let kind = ChannelKind(rawValue: message.channel.rawValue) else {
            return .permanent(reason: "unknown channel \(message.channel.rawValue)")
        }
        let customer = Self.fields(message.context["customer"])
        let context = TemplateContext(
            customer: customer.mapValues(Self.template),
            event: Self.fields(message.context["event"]).mapValues(Self.template),
            journey: Self.fields(message.context["journey"]).mapValues(Self.template))
        let content: RenderedContent
        do {
            content = try renderer.render(message.message, for: kind, context: context)
        } catch {
            return .permanent(reason: "the \(message.message) template cannot be rendered: \(error)")
        }
        let recipient = Recipient(
            customerID: message.customerID, email: customer["email"]?.text, name: customer["name"]?.text,
            phone: customer["phone"]?.text, webhookURL: customer["webhook_url"]?.text)
        let outgoing = OutgoingMessage(
            idempotencyKey: message.id, category: message.category == .marketing ? .marketing : .transactional,
            recipient: recipient, content: content, messageName: message.message)
        switch await dispatcher.attempt(outgoing) {
        case .delivered(let providerID):
            return .delivered(detail: providerID.map { "provider id \($0)" } ?? "delivered")
        case .transient(let reason, let retryAfter):
            return .transient(reason: reason, retryAfter: retryAfter?.seconds)
        case .permanent(let reason):
            return .permanent(reason: reason)
        }
    }

    public func destination(of message: OutboxMessage) -> DeliveryDestination {
        guard let kind = ChannelKind(rawValue: message.channel.rawValue) else {
            return DeliveryDestination(key: message.channel.rawValue, maxConcurrency: 1)
        }
        return dispatcher.destination(channel: kind, webhookURL: Self.fields(message.context["customer"])["webhook_url"]?.text)
    }

    static func fields(_ value: Value?) -> [String: Value] {
        if case .object(let fields)? = value { return fields }
        return [:]
    }

    static func template(_ value: Value) -> TemplateValue {
        switch value {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let n): .number(n)
        case .string(let s): .string(s)
        case .time(let t): .string(Value.formatTime(t))
        case .duration(let d): .number(d)
        case .list(let items): .list(items.map(template))
        case .object(let fields): .object(fields.mapValues(template))
        }
    }
}

extension Value {
    fileprivate var text: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
