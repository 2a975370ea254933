import Foundation
public import JourneyLanguage

/// The engagement contract: engagement events are ordinary customer events named
/// `<channel>.<kind>` (`email.opened`, `sms.replied`, …) carrying the Herald message id that caused
/// them in the property `message_id` (see docs/engagement.md). Bounces carry `bounce: "hard" | "soft"`,
/// clicks `url`, SMS replies `keyword`.
public struct EngagementEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case delivered, bounced, opened, clicked, complained, unsubscribed, replied
    }

    public var channel: Channel
    public var kind: Kind
    /// The Herald message id the event is about, when the event names one.
    public var messageID: String?

    /// The property that names the message (`"m-…"`).
    public static let messageIDProperty = "message_id"
    /// The property of a goal event that carries the revenue of a conversion.
    public static let revenueProperty = "revenue"
    /// Keywords of an `sms.replied` event that unsubscribe SMS (compared case-insensitively, after
    /// trimming): the carriers' standard opt-out words. `HELP` is answered by the provider and
    /// changes nothing.
    public static let stopKeywords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"]

    /// The event name of an engagement (`email.clicked`).
    public static func name(_ channel: Channel, _ kind: Kind) -> String { "\(channel.rawValue).\(kind.rawValue)" }

    /// Reads an event as an engagement event, or `nil` when its name is not `<channel>.<kind>`.
    public init?(name: String, properties: [String: Value]) {
        guard let dot = name.firstIndex(of: "."),
            let channel = Channel(rawValue: String(name[..<dot])),
            let kind = Kind(rawValue: String(name[name.index(after: dot)...]))
        else { return nil }
        self.channel = channel
        self.kind = kind
        if case .string(let id)? = properties[Self.messageIDProperty], !id.isEmpty { messageID = id } else { messageID = nil }
    }

    /// Whether an `sms.replied` keyword asks to stop.
    public static func isStop(_ keyword: String) -> Bool {
        stopKeywords.contains(keyword.trimmingCharacters(in: .whitespacesAndNewlines).uppercased())
    }
}
