import Foundation

/// One customer's engagement by local hour: 24 buckets of exponentially decayed counts of opens
/// and clicks, what `at best time within …` chooses from. Kept in ``CustomerState/engagement``.
///
/// Every engagement adds 1 to the bucket of its local hour (the customer's time zone at the
/// event's time) after every bucket has decayed to the event's time with a half-life of
/// ``halfLife`` (30 days): an engagement a month old counts half as much as one today. A late
/// event (older than the newest one recorded) adds its weight decayed to the newest instant, so
/// the order events arrive in does not matter. Decay multiplies every bucket by the same factor,
/// so the ranking of hours does not depend on when it is read.
///
/// ```swift
/// var histogram = EngagementHistogram()
/// histogram.record(.open, localHour: 19, at: t)
/// histogram.record(.click, localHour: 19, at: t + 86_400)
/// histogram.weight(hour: 19)   // 1 × 2^(−1/30) + 1 ≈ 1.977
/// ```
public struct EngagementHistogram: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case open, click
    }

    /// Decayed weight per local hour (index 0–23), as of ``asOf``.
    public internal(set) var weights: [Double]
    /// The instant the weights are decayed to: the newest engagement recorded.
    public internal(set) var asOf: Double
    /// How many opens and clicks were recorded in all (not decayed): the "from 14 clicks" of a
    /// choice, and what ``SendTimeChooser/minimumHistory`` is compared with.
    public internal(set) var opens: Int
    public internal(set) var clicks: Int

    /// 30 days.
    public static let halfLife: Double = 30 * 86_400

    /// The events that count as engagement (the contract with the engagement events of
    /// docs/semantics.md): an email opened or clicked, an SMS link clicked.
    public static let events: [String: Kind] = ["email.opened": .open, "email.clicked": .click, "sms.clicked": .click]

    public init() {
        self.weights = Array(repeating: 0, count: 24)
        self.asOf = 0
        self.opens = 0
        self.clicks = 0
    }

    public init(weights: [Double], asOf: Double, opens: Int, clicks: Int) {
        precondition(weights.count == 24, "an engagement histogram has 24 hours")
        self.weights = weights
        self.asOf = asOf
        self.opens = opens
        self.clicks = clicks
    }

    /// Opens and clicks recorded in all.
    public var engagements: Int { opens + clicks }

    /// The factor a weight shrinks by over `seconds` (1 for none or a negative span).
    public static func decay(over seconds: Double) -> Double {
        seconds <= 0 ? 1 : exp2(-seconds / halfLife)
    }

    /// Adds one engagement at local hour `localHour` (0–23), happened at `t`.
    public mutating func record(_ kind: Kind, localHour: Int, at t: Double) {
        let hour = min(23, max(0, localHour))
        if engagements == 0 {
            asOf = t
        } else if t > asOf {
            let factor = Self.decay(over: t - asOf)
            for h in 0..<24 { weights[h] *= factor }
            asOf = t
        }
        weights[hour] += Self.decay(over: asOf - t)
        switch kind {
        case .open: opens += 1
        case .click: clicks += 1
        }
    }

    /// The weight of `hour` as of ``asOf`` (decaying further only scales every hour alike).
    public func weight(hour: Int) -> Double { weights[min(23, max(0, hour))] }

    /// The weight of `hour` decayed to `t`.
    public func weight(hour: Int, at t: Double) -> Double { weight(hour: hour) * Self.decay(over: t - asOf) }
}
