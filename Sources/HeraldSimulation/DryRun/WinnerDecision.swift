import Foundation
public import JourneyEngine
public import JourneyLanguage

/// Decides the winners of splits with a winner rule (`winner after 14 days by conversion min 500
/// per variant`) on the dry-run's virtual clock.
///
/// The rule, as docs/semantics.md states it: the first decision is taken `after` the rule's period
/// from the split's first entrant, then again every day until the end of the replay. At a decision
/// instant `D`, each variant other than the control counts its entrants (assigned at or before `D`)
/// and their conversions (at or before `D`), and ``WinnerVerdict/judge(journey:split:rule:groups:at:)``
/// (the service applies the same to its per-variant counters) says whether one won. The control
/// group never wins and keeps its share.
public enum WinnerDecision {
    /// How often an undecided rule is looked at again after its period: daily.
    public static let recheckInterval = WinnerVerdict.recheckInterval

    /// What was decided for one split's rule.
    public struct Outcome: Sendable, Equatable {
        public var journey: String
        public var split: String
        /// The decided winner, or `nil` (see `reason`).
        public var winner: SplitWinner?
        /// Why there is no winner (at the last look), or the evidence of the winner.
        public var reason: String

        /// The dry-run's note about it.
        public var note: String {
            if let winner {
                return
                    "journey \(journey), split \(split): variant \(winner.variant) won at \(Value.formatTime(winner.since)) (\(winner.evidence)); later entrants went to it"
            }
            return "journey \(journey), split \(split): no winner (\(reason))"
        }
    }

    /// The splits of the catalog's journeys that have a winner rule.
    static func rules(in catalog: JourneyCatalog) -> [(journey: String, split: Split, rule: WinnerRule)] {
        WinnerVerdict.rules(in: catalog)
    }

    /// Decides one rule from a replay's timelines (which must not yet apply a winner to this split).
    ///
    /// - Parameters:
    ///   - until: the end of the replay: no decision after it.
    public static func decide(
        journey: String, split: Split, rule: WinnerRule, customers: [CustomerResult], until: Double
    ) -> Outcome {
        let competitors = split.variants.filter { !$0.isControl }.map(\.name)
        // Assignment and conversion instants per variant.
        var entries: [String: [Double]] = [:]
        var conversions: [String: [Double]] = [:]
        for customer in customers {
            for record in customer.timeline where record.journey == journey {
                switch record.kind {
                case .variantAssigned(let s, let variant, let isControl, _) where s == split.name && !isControl:
                    entries[variant, default: []].append(record.at)
                case .converted(_, _, let variants):
                    for v in variants where v.split == split.name && !v.isControl { conversions[v.variant, default: []].append(record.at) }
                default:
                    break
                }
            }
        }
        guard let first = entries.values.lazy.compactMap({ $0.min() }).min() else {
            return Outcome(journey: journey, split: split.name, winner: nil, reason: "nobody entered the split")
        }
        for variant in competitors {
            entries[variant, default: []].sort()
            conversions[variant, default: []].sort()
        }
        func count(_ times: [Double], atOrBefore t: Double) -> Int {
            var low = 0, high = times.count
            while low < high {
                let mid = (low + high) / 2
                if times[mid] <= t { low = mid + 1 } else { high = mid }
            }
            return low
        }
        var at = first + rule.after
        var reason = "the period ends at \(Value.formatTime(at)), after the replay"
        while at <= until {
            let groups = competitors.map { v in
                WinnerVerdict.Group(
                    variant: v, entrants: count(entries[v] ?? [], atOrBefore: at), conversions: count(conversions[v] ?? [], atOrBefore: at))
            }
            switch WinnerVerdict.judge(journey: journey, split: split.name, rule: rule, groups: groups, at: at) {
            case .winner(let winner): return Outcome(journey: journey, split: split.name, winner: winner, reason: winner.evidence)
            case .undecided(let why): reason = why
            }
            at += recheckInterval
        }
        return Outcome(journey: journey, split: split.name, winner: nil, reason: reason)
    }
}
