import Foundation
public import JourneyLanguage

/// One look at a split's winner rule (`winner after 14 days by conversion min 500 per variant`)
/// at one instant, from each competing variant's entrants and conversions up to it: the rule
/// itself, which the dry-run (``WinnerDecision`` in HeraldSimulation, from its timelines) and the
/// service (from its per-variant counters) both apply, so they decide alike.
///
/// There is a winner when every variant other than the control has at least the minimum sample,
/// the best conversion rate is higher than every other's, each comparison has enough data for the
/// normal approximation (``ExperimentStatistics/enoughData(_:_:)``) and the pooled two-proportion
/// test gives p < 0.05 against every other variant. The control group never wins.
///
/// ```swift
/// let verdict = WinnerVerdict.judge(
///     journey: "newsletter", split: "subject_test", rule: rule,
///     groups: [.init(variant: "a", entrants: 600, conversions: 48), .init(variant: "b", entrants: 600, conversions: 73)], at: now)
/// ```
public enum WinnerVerdict: Sendable, Equatable {
    /// The rule decided: later entrants go to this winner.
    case winner(SplitWinner)
    /// No winner at this look, and why ("at 2026-03-10T09:00:00Z variant b had 12 entrants, fewer
    /// than the minimum 500").
    case undecided(reason: String)

    /// One competing variant's sample at the instant of the look.
    public struct Group: Sendable, Equatable {
        public var variant: String
        public var entrants: Int
        public var conversions: Int

        public init(variant: String, entrants: Int, conversions: Int) {
            self.variant = variant
            self.entrants = entrants
            self.conversions = conversions
        }
    }

    /// The splits of the catalog's journeys that have a winner rule.
    public static func rules(in catalog: JourneyCatalog) -> [(journey: String, split: Split, rule: WinnerRule)] {
        var rules: [(String, Split, WinnerRule)] = []
        for program in catalog.journeys {
            for state in program.states {
                if case .split(let split) = state.kind, let rule = split.winner { rules.append((program.name, split, rule)) }
            }
        }
        return rules
    }

    /// How often an undecided rule is looked at again after its period: daily.
    public static let recheckInterval: Double = 86_400

    /// The instants at which a rule whose split had its first entrant at `first` is looked at:
    /// `first + after`, then every ``recheckInterval``. The last one at or before `now` (`nil`
    /// before the first).
    public static func latestLook(first: Double, rule: WinnerRule, now: Double) -> Double? {
        let start = first + rule.after
        guard now >= start else { return nil }
        return start + ((now - start) / recheckInterval).rounded(.down) * recheckInterval
    }

    /// Applies `rule` to `groups` (the variants other than the control) at instant `at`.
    public static func judge(journey: String, split: String, rule: WinnerRule, groups: [Group], at: Double) -> WinnerVerdict {
        let total = groups.reduce(0) { $0 + $1.entrants }
        if let short = groups.first(where: { $0.entrants < rule.minimumPerVariant }) {
            return .undecided(
                reason:
                    "at \(Value.formatTime(at)) variant \(short.variant) had \(short.entrants) entrants, fewer than the minimum \(rule.minimumPerVariant)"
            )
        }
        guard groups.count >= 2 else { return .undecided(reason: "the split has fewer than two variants besides its control group") }
        let rate = { (g: Group) in Double(g.conversions) / Double(g.entrants) }
        let ranked = groups.sorted { rate($0) != rate($1) ? rate($0) > rate($1) : $0.variant < $1.variant }
        let best = ranked[0]
        let others = ranked.dropFirst()
        let worstP = others.map { ExperimentStatistics.pValue((best.conversions, best.entrants), ($0.conversions, $0.entrants)) ?? 1 }.max() ?? 1
        let tied = others.contains { rate($0) >= rate(best) }
        let thin = others.contains { !ExperimentStatistics.enoughData((best.conversions, best.entrants), ($0.conversions, $0.entrants)) }
        let runnerUp = ranked[1]
        let evidence =
            "conversion \(percent(rate(best))) vs \(percent(rate(runnerUp))) for \(runnerUp.variant), p \(pText(worstP)), n=\(grouped(total))"
        if !tied && !thin && worstP < 0.05 {
            return .winner(SplitWinner(journey: journey, split: split, variant: best.variant, since: at, evidence: evidence))
        }
        return .undecided(
            reason: thin
                ? "at \(Value.formatTime(at)) too few conversions to tell (\(evidence))"
                : "at \(Value.formatTime(at)) no significant difference (\(evidence))")
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
