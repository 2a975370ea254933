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

    /// Why `channel` cannot carry the send at all, or `nil` when it can (caps and quiet hours aside).
    /// Consent is checked before contact data.
    static func channelBlock(
        _ contact: CustomerContact, channel: Channel, category: MessageCategory
    ) -> DecisionReason? {
        if category == .marketing, !consents(contact, to: channel) { return .noConsent(channel: channel, topic: nil) }
        if !hasContact(contact, for: channel) { return .missingContact(channel: channel) }
        return nil
    }
}
