public import Foundation
public import JourneyLanguage

/// Chooses the instant of a send with `at best time within …`: the pure rule the engine applies
/// (and the benchmark evaluates).
///
/// The candidates are the window start `t` (standing for its local hour) and every local
/// top-of-hour instant in `(t, t + window)`, in order. Then, first that applies:
/// 1. the customer has at least ``minimumHistory`` engagements and one of them falls in a
///    candidate hour: the candidate whose local hour has the most decayed engagement (ties: the
///    earliest);
/// 2. the journey has at least ``minimumAudience`` engagements in the 28 UTC days before today
///    and one falls in a candidate hour: likewise with the journey's counts;
/// 3. the send declares `default HH:MM` and that local time occurs in the window: its first
///    occurrence;
/// 4. the window start (the send is requested at once).
public enum SendTimeChooser {
    /// Fewer engagements than this (3) is "too little history".
    public static let minimumHistory = 3
    /// The journey's audience hour needs at least this many engagements (10) in the lookback.
    public static let minimumAudience: Int64 = 10

    /// - Parameters:
    ///   - rule: the send's window and default time.
    ///   - t: the instant the send step is reached (the window start).
    ///   - zone: the customer's time zone for the journey.
    ///   - customer: the customer's histogram, if any engagement was recorded.
    ///   - audience: the journey's counts per local hour and their total (``AudienceHours/weights(journey:day:)``).
    public static func choose(
        _ rule: SendTimeRule, at t: Double, zone: TimeZone, customer: EngagementHistogram?, audience: (weights: [Double], total: Int64)
    ) -> SendTimeChoice {
        let candidates = self.candidates(from: t, window: rule.window, zone: zone)
        func best(_ weight: (Int) -> Double) -> (at: Double, hour: Int)? {
            var chosen: (at: Double, hour: Int)?
            var top = 0.0
            for candidate in candidates {
                let w = weight(candidate.hour)
                if w > top {
                    top = w
                    chosen = candidate
                }
            }
            return chosen
        }
        func hourTime(_ hour: Int) -> LocalTime { LocalTime(hour: hour, minute: 0) }

        let history = customer?.engagements ?? 0
        var outside = false
        if let customer, history >= minimumHistory {
            if let pick = best({ customer.weight(hour: $0) }) {
                return SendTimeChoice(at: pick.at, localTime: hourTime(pick.hour), basis: .customer(opens: customer.opens, clicks: customer.clicks))
            }
            outside = true
        }
        if audience.total >= minimumAudience, audience.weights.count == 24, let pick = best({ audience.weights[$0] }) {
            return SendTimeChoice(
                at: pick.at, localTime: hourTime(pick.hour), basis: .journey(history: history, audience: audience.total, outsideWindow: outside))
        }
        if let time = rule.defaultTime {
            let at = t == instant(of: time, near: t, zone: zone) ? t : LocalClock.nextOccurrence(of: time, weekdays: nil, after: t, in: zone)
            if at < t + rule.window {
                return SendTimeChoice(at: at, localTime: time, basis: .defaultTime(history: history, outsideWindow: outside))
            }
        }
        return SendTimeChoice(at: t, localTime: localTime(of: t, zone: zone), basis: .windowStart(history: history, outsideWindow: outside))
    }

    /// The window start and each local top of the hour after it, before `t + window`, with their local hours.
    public static func candidates(from t: Double, window: Double, zone: TimeZone) -> [(at: Double, hour: Int)] {
        var result = [(at: t, hour: LocalClock.localHour(of: t, in: zone))]
        var x = t
        while true {
            let offset = LocalClock.offset(zone, at: x)
            let local = x + offset
            let next = ((local / 3_600).rounded(.down) + 1) * 3_600 - offset
            guard next < t + window, next > x else { break }
            result.append((next, LocalClock.localHour(of: next, in: zone)))
            x = next
        }
        return result
    }

    static func localTime(of t: Double, zone: TimeZone) -> LocalTime {
        let minutes = Int(LocalClock.localDay(of: t, in: zone).secondsOfDay / 60)
        return LocalTime(hour: minutes / 60, minute: minutes % 60)
    }

    /// `time` on the local day of `t`.
    static func instant(of time: LocalTime, near t: Double, zone: TimeZone) -> Double {
        LocalClock.instant(day: LocalClock.localDay(of: t, in: zone).day, at: time, in: zone)
    }
}
