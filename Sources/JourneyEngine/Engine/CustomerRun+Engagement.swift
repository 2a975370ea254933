import Foundation
import JourneyLanguage

/// Engagement: remembering sent messages, tying engagement events to them, the suppressions and
/// unsubscribes they cause, and the records the per-step statistics count (docs/engagement.md).
extension CustomerRun {
    /// Most suppressions a customer keeps (the oldest go first).
    static let suppressionLimit = 32

    /// Remembers a message just sent and records its `sent` count.
    mutating func rememberSent(_ message: OutboxMessage, entrySequence: Int, at t: Double) {
        let variant = variantLabel(journey: message.journey, entrySequence: entrySequence)
        let address: String? =
            switch message.channel {
            case .email: state.profile.email
            case .sms: state.profile.phone
            case .webhook: nil
            }
        state.engagement.messages.append(
            SentMessage(
                id: message.id, journey: message.journey, version: message.journeyVersion, entrySequence: entrySequence, step: message.step,
                message: message.message, channel: message.channel, variant: variant, address: address, at: t))
        if state.engagement.messages.count > CustomerEngagement.messageLimit {
            state.engagement.messages.removeFirst(state.engagement.messages.count - CustomerEngagement.messageLimit)
        }
        output.timeline.append(
            TimelineRecord(
                at: t, customerID: state.profile.id, journey: message.journey, version: message.journeyVersion, entrySequence: entrySequence,
                kind: .engaged(
                    EngagementRecord(
                        metric: .sent, step: message.step, message: message.message, channel: message.channel, messageID: message.id,
                        variant: variant))))
    }

    /// `split=variant` of the latest assignment of an entry, if any.
    private func variantLabel(journey: String, entrySequence: Int) -> String? {
        guard let i = state.instances.lastIndex(where: { $0.journey == journey && $0.entrySequence == entrySequence }),
            let last = state.instances[i].variants.last
        else { return nil }
        return "\(last.split)=\(last.variant)"
    }

    /// An event named `<channel>.<kind>`: counts it against its message (once per message and
    /// kind) and applies its suppression or unsubscribe. The event then goes on as an ordinary event.
    mutating func handleEngagement(_ event: CustomerEvent, at t: Double) {
        guard let engagement = EngagementEvent(name: event.name, properties: event.properties) else { return }
        let k = engagement.messageID.flatMap { state.engagement.messageIndex($0) }
        let sent = k.map { state.engagement.messages[$0] }

        // Effects first: they hold whether or not the message is still remembered.
        var counted = EngagementRecord.metric(of: engagement.kind)
        func suppress(_ cause: Suppression.Cause, address: String?, topic: String? = nil) {
            let s = Suppression(channel: engagement.channel, cause: cause, address: address, topic: topic, messageID: engagement.messageID, at: t)
            let known = state.engagement.suppressions.contains {
                $0.channel == s.channel && $0.cause == s.cause && $0.address == s.address && $0.topic == s.topic
            }
            if !known {
                state.engagement.suppressions.append(s)
                if state.engagement.suppressions.count > Self.suppressionLimit {
                    state.engagement.suppressions.removeFirst(state.engagement.suppressions.count - Self.suppressionLimit)
                }
            }
        }
        func currentAddress() -> String? {
            switch engagement.channel {
            case .email: state.profile.email
            case .sms: state.profile.phone
            case .webhook: nil
            }
        }
        func unsubscribe(_ cause: Suppression.Cause) {
            if case .string(let topic)? = event.properties["topic"], !topic.isEmpty {
                state.profile.subscriptions["topic:" + topic] = false
                suppress(cause, address: nil, topic: topic)
            } else {
                state.profile.subscriptions[engagement.channel.rawValue] = false
                suppress(cause, address: nil)
            }
            profileChanged()
        }
        switch engagement.kind {
        case .bounced:
            if case .string(let kind)? = event.properties["bounce"], kind.lowercased() == "hard" {
                suppress(.hardBounce, address: sent?.address ?? currentAddress())
            }
        case .complained:
            suppress(.complaint, address: sent?.address ?? currentAddress())
        case .unsubscribed:
            unsubscribe(.unsubscribed)
        case .replied:
            if case .string(let keyword)? = event.properties["keyword"], EngagementEvent.isStop(keyword) {
                unsubscribe(.stop)
                counted = .unsubscribed
            }
        case .delivered, .opened, .clicked:
            break
        }

        guard let k, let sent, let metric = counted, !sent.counted.contains(metric.rawValue) else { return }
        state.engagement.messages[k].counted.append(metric.rawValue)
        output.timeline.append(
            TimelineRecord(
                at: t, customerID: state.profile.id, journey: sent.journey, version: sent.version, entrySequence: sent.entrySequence,
                kind: .engaged(
                    EngagementRecord(
                        metric: metric, step: sent.step, message: sent.message, channel: sent.channel, messageID: sent.id, variant: sent.variant))))
    }

    /// A conversion of instance `i`: counted against the last message its entry sent (last touch),
    /// with the goal event's `revenue` when it is a number.
    mutating func attributeConversion(_ i: Int, event: CustomerEvent, at t: Double) {
        let instance = state.instances[i]
        let last = state.engagement.messages.last {
            $0.journey == instance.journey && $0.entrySequence == instance.entrySequence && $0.at <= event.timestamp
        }
        var revenue: Double?
        if case .number(let amount)? = event.properties[EngagementEvent.revenueProperty], amount.isFinite { revenue = amount }
        let variant = last?.variant ?? instance.variants.last.map { "\($0.split)=\($0.variant)" }
        record(
            .engaged(
                EngagementRecord(
                    metric: .converted, step: last?.step ?? "", message: last?.message ?? "", channel: last?.channel, messageID: last?.id,
                    variant: variant, revenue: revenue)), instance: i, at: t)
    }

    /// The suppressions in force for the customer's current contact data: bounces and complaints
    /// of the address they still have; unsubscribes (which consent decides).
    func activeSuppressions() -> [Suppression] {
        if state.engagement.suppressions.isEmpty { return [] }
        return state.engagement.suppressions.filter { s in
            switch s.cause {
            case .unsubscribed, .stop: return true
            case .hardBounce, .complaint:
                let current: String? =
                    switch s.channel {
                    case .email: state.profile.email
                    case .sms: state.profile.phone
                    case .webhook: nil
                    }
                guard let current, let address = s.address else { return s.address == nil }
                return current.lowercased() == address.lowercased()
            }
        }
    }
}
