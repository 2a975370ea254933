import Foundation
public import JourneyEngine
public import JourneyLanguage

/// Decides the winners of splits with a winner rule (`winner after 14 days by conversion min 500
/// per variant`) on the dry-run's virtual clock.
///
/// The rule, as docs/semantics.md states it: the first decision is taken `after` the rule's period
/// from the split's first entrant, then again every day until the end of the replay. At a decision
/// instant `D`, each variant other than the control counts its entrants (assigned at or before `D`)
/// and their conversions (at or before `D`). There is a winner when every such variant has at
/// least the minimum sample, the best conversion rate is higher than every other's, each
/// comparison has enough data for the normal approximation (``ExperimentStatistics/enoughData(_:_:)``)
/// and the pooled two-proportion test gives p < 0.05 against every other variant. The control
/// group never wins and keeps its share.
public enum WinnerDecision {
    /// How often an undecided rule is looked at again after its period: daily.
    public static let recheckInterval: Double = 86_400

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
        var rules: [(String, Split, WinnerRule)] = []
        for program in catalog.journeys {
            for state in program.states {
                if case .split(let split) = state.kind, let rule = split.winner { rules.append((program.name, split, rule)) }
            }
        }
        return rules
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
            let groups = competitors.map { v in (name: v, n: count(entries[v] ?? [], atOrBefore: at), c: count(conversions[v] ?? [], atOrBefore: at))
            }
            let total = groups.reduce(0) { $0 + $1.n }
            if let short = groups.first(where: { $0.n < rule.minimumPerVariant }) {
                reason = "at \(Value.formatTime(at)) variant \(short.name) had \(short.n) entrants, fewer than the minimum \(rule.minimumPerVariant)"
            } else {
                let rate = { (g: (name: String, n: Int, c: Int)) in Double(g.c) / Double(g.n) }
                let ranked = groups.sorted { rate($0) != rate($1) ? rate($0) > rate($1) : $0.name < $1.name }
                let best = ranked[0]
                let others = ranked.dropFirst()
                let worstP = others.map { ExperimentStatistics.pValue((best.c, best.n), ($0.c, $0.n)) ?? 1 }.max() ?? 1
                let tied = others.contains { rate($0) >= rate(best) }
                let thin = others.contains { !ExperimentStatistics.enoughData((best.c, best.n), ($0.c, $0.n)) }
                let runnerUp = ranked[1]
                let evidence =
                    "conversion \(percent(rate(best))) vs \(percent(rate(runnerUp))) for \(runnerUp.name), p \(pText(worstP)), n=\(grouped(total))"
                if !tied && !thin && worstP < 0.05 {
                    let winner = SplitWinner(journey: journey, split: split.name, variant: best.name, since: at, evidence: evidence)
                    return Outcome(journey: journey, split: split.name, winner: winner, reason: evidence)
                }
                reason =
                    thin
                    ? "at \(Value.formatTime(at)) too few conversions to tell (\(evidence))"
                    : "at \(Value.formatTime(at)) no significant difference (\(evidence))"
            }
            at += recheckInterval
        }
        return Outcome(journey: journey, split: split.name, winner: nil, reason: reason)
    }

    static func percent(_ rate: Double) -> String {
        String(format: "%.1f %%", rate * 100)
    }

    static func pText(_ p: Double) -> String {
        p < 0.001 ? "< 0.001" : String(format: "= %.3f", p)
    }

    /// `1200` → `1,200`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
