import JourneyLanguage

/// Consent and contact data: the rules no deferral can fix, only a fallback channel.
///
/// - Contact: email needs an address, SMS a phone number; webhooks need nothing from the customer.
/// - Consent (marketing only): `subscriptions["email" | "sms" | "webhook"]` and, for a send with a
///   topic, `subscriptions["topic:<topic>"]`; a missing key counts as subscribed. Transactional
///   messages need contact data but no consent.
struct ConsentCheck {
    static func hasContact(_ contact: CustomerContact, for channel: Channel) -> Bool {
        switch channel {
        case .email: return contact.hasEmail
        case .sms: return contact.hasPhone
        case .webhook: return true
        }
    }

    static func consents(_ contact: CustomerContact, to channel: Channel) -> Bool {
        contact.subscriptions[channel.rawValue] ?? true
    }

    static func consents(_ contact: CustomerContact, toTopic topic: String) -> Bool {
        contact.subscriptions["topic:" + topic] ?? true
    }

    /// The suppression that closes `channel` to a message of `category`: a bounce or complaint on
    /// the current address, or the unsubscribe behind a withdrawn consent (the reason names it).
    static func suppression(_ contact: CustomerContact, channel: Channel, category: MessageCategory) -> DecisionReason? {
        for s in contact.suppressions.reversed() where s.channel == channel && s.topic == nil && s.blocks(category) {
            switch s.cause {
            case .hardBounce, .complaint: return .suppressed(s)
            case .unsubscribed, .stop: if !consents(contact, to: channel) { return .suppressed(s) }
            }
        }
        return nil
    }

    /// The unsubscribe behind a withdrawn topic consent, if engagement caused it.
    static func topicSuppression(_ contact: CustomerContact, topic: String) -> DecisionReason? {
        contact.suppressions.last { $0.topic == topic }.map { .suppressed($0) }
    }

    /// Why `channel` cannot carry the send at all, or `nil` when it can (caps and quiet hours aside).
    /// Consent is checked before contact data.
    static func channelBlock(
        _ contact: CustomerContact, channel: Channel, category: MessageCategory
    ) -> DecisionReason? {
        if let block = suppression(contact, channel: channel, category: category) { return block }
        if category == .marketing, !consents(contact, to: channel) { return .noConsent(channel: channel, topic: nil) }
        if !hasContact(contact, for: channel) { return .missingContact(channel: channel) }
        return nil
    }
}
