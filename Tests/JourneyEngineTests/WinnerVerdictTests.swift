import JourneyEngine
import JourneyLanguage
import Testing

/// The winner rule's look schedule and verdict, which the dry-run and the service share.
struct WinnerVerdictTests {
    static let rule = WinnerRule(after: 86_400, minimumPerVariant: 30)

    @Test(
        arguments: [
            (1_000.0, nil), (87_399.0, nil), (87_400.0, 87_400.0), (87_401.0, 87_400.0), (173_799.0, 87_400.0), (173_800.0, 173_800.0),
        ] as [(Double, Double?)])
    func theRuleIsLookedAtAfterItsPeriodThenDaily(now: Double, look: Double?) {
        #expect(WinnerVerdict.latestLook(first: 1_000, rule: Self.rule, now: now) == look)
    }

    @Test(
        arguments: [
            // a entrants, conversions; b entrants, conversions; the winner (nil: none)
            (54, 33, 54, 6, "a"),
            (54, 6, 54, 33, "b"),
            (29, 20, 54, 6, nil),  // a below the minimum
            (54, 16, 54, 16, nil),  // tied
            (54, 18, 54, 14, nil),  // not significant
            (54, 4, 54, 0, nil),  // too few conversions to tell
        ] as [(Int, Int, Int, Int, String?)])
    func aWinnerNeedsTheMinimumAndASignificantDifference(an: Int, ac: Int, bn: Int, bc: Int, winner: String?) {
        let groups = [
            WinnerVerdict.Group(variant: "a", entrants: an, conversions: ac), WinnerVerdict.Group(variant: "b", entrants: bn, conversions: bc),
        ]
        let verdict = WinnerVerdict.judge(journey: "promo", split: "offer", rule: Self.rule, groups: groups, at: 90_000)
        switch verdict {
        case .winner(let decided):
            #expect(decided.variant == winner)
            #expect(decided.since == 90_000 && decided.journey == "promo" && decided.split == "offer")
            #expect(decided.evidence.hasPrefix("conversion ") && decided.evidence.hasSuffix("n=108"))
        case .undecided(let reason):
            #expect(winner == nil, "\(reason)")
            #expect(reason.hasPrefix("at 1970-01-02T01:00:00Z"))
        }
    }
}
