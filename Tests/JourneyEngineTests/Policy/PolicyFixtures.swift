import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// Builders for delivery-policy tests: short, named, with the defaults most tests want.
enum Fixture {
    static let location = SourceLocation(file: "policy.journey", line: 1, column: 1)
    static let hour: Double = 3600
    static let day: Double = 86_400

    static func cap(
        _ name: String, _ limit: Int, _ window: CapWindow, channels: Set<Channel>? = nil,
        category: MessageCategory? = .marketing, journey: JourneyScope = .all
    ) -> Cap {
        Cap(name: name, limit: limit, window: window, channels: channels, category: category, journey: journey, location: location)
    }

    static func quiet(_ start: String, _ end: String, channels: Set<Channel>? = nil) -> QuietHours {
        QuietHours(channels: channels, start: localTime(start), end: localTime(end), location: location)
    }

    static func localTime(_ text: String) -> LocalTime {
        let parts = text.split(separator: ":").compactMap { Int($0) }
        return LocalTime(hour: parts[0], minute: parts[1])
    }

    static func policy(
        caps: [Cap] = [], minimumGap: Double? = nil, quietHours: [QuietHours] = [], settleWindow: Double = 60,
        transactionalCountsTowardCaps: Bool = false, journeyCaps: [Cap] = []
    ) -> DeliveryPolicy {
        DeliveryPolicy(
            program: DeliveryPolicyProgram(
                caps: caps, minimumGap: minimumGap, quietHours: quietHours, settleWindow: settleWindow,
                defaultTimeZone: "UTC", transactionalCountsTowardCaps: transactionalCountsTowardCaps),
            journeyCaps: journeyCaps)
    }

    static func request(
        _ id: String, journey: String = "welcome", priority: Int = 50, channel: Channel = .email,
        category: MessageCategory = .marketing, topic: String? = nil, fallback: Channel? = nil,
        whenCapped: CappedRule = .skip, inQuietHours: QuietHoursRule = .deferUntilEnd, at requestedAt: Double
    ) -> SendRequest {
        SendRequest(
            id: id, journey: journey, priority: priority, step: "step_\(id)",
            send: Send(
                channel: channel, message: "msg_\(id)", category: category, topic: topic, fallback: fallback,
                whenCapped: whenCapped, inQuietHours: inQuietHours),
            requestedAt: requestedAt)
    }

    static func contact(
        _ timeZone: String = "UTC", email: Bool = true, phone: Bool = true, subscriptions: [String: Bool] = [:]
    ) -> CustomerContact {
        CustomerContact(timeZone: timeZone, hasEmail: email, hasPhone: phone, subscriptions: subscriptions)
    }

    static func entry(
        _ id: String, at: Double, journey: String = "welcome", channel: Channel = .email,
        category: MessageCategory = .marketing, priority: Int? = 50
    ) -> LedgerEntry {
        LedgerEntry(
            at: at, channel: channel, category: category, journey: journey, message: "msg_\(id)", requestID: id,
            priority: priority)
    }

    /// Seconds since the epoch for an ISO 8601 timestamp with offset (`2026-03-08T01:30:00-05:00`).
    static func instant(_ text: String) throws -> Double {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let date = try #require(formatter.date(from: text), "bad timestamp \(text)")
        return date.timeIntervalSince1970
    }

    /// Decides one request.
    static func decide(
        _ policy: DeliveryPolicy, _ request: SendRequest, ledger: [LedgerEntry] = [], contact: CustomerContact = contact(),
        now: Double
    ) -> DeliveryDecision {
        policy.decide([request], ledger: SendLedger(entries: ledger), contact: contact, now: now)[0]
    }
}

/// A small, fast, seedable PRNG (SplitMix64, Steele et al. 2014): the property tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension DeliveryDecision {
    var sentChannel: Channel? {
        if case .send(let channel, _) = self { return channel }
        return nil
    }
    var deferredUntil: Double? {
        if case .deferred(let until, _) = self { return until }
        return nil
    }
    var skipReason: DecisionReason? {
        if case .skipped(let reason) = self { return reason }
        return nil
    }
}
