import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// A decided winner is an input to the engine: from its instant on, entrants of the split whose own
/// variant is not the control go to the winner, and the timeline says why.
struct SplitWinnerEngineTests {
    static let source = """
        policy
          cap marketing 5 per day

        journey promo
          trigger on event "signed_up"
          goal event "order.completed" within 7 days
          split offer
            winner after 7 days by conversion min 100 per variant
            variant a 45%
              send webhook offer_a
            variant b 45%
              send webhook offer_b
            control 10%

        """

    @Test func entrantsFromTheDecisionOnGoToTheWinnerAndTheControlKeepsItsShare() throws {
        let catalog = try #require(JourneyCompiler.compile(sources: ["a.journey": Self.source]).catalog)
        let since = t0 + 10 * day
        let winner = SplitWinner(
            journey: "promo", split: "offer", variant: "a", since: since, evidence: "conversion 12.1 % vs 8.0 % for b, p = 0.003, n=1,200")
        let plain = JourneyEngine(catalog: catalog)
        let deciding = plain.deciding(winners: [winner])
        #expect(deciding.options.winners == [winner])
        var seen: Set<String> = []
        for n in 0..<200 {
            let profile = CustomerProfile(id: "w\(n)", email: "w\(n)@example.com")
            var own = CustomerDriver(plain, profile: profile)
            own.event("signed_up", at: since)
            let mine = try #require(own.timeline.compactMap { if case .variantAssigned("offer", let v, _, _) = $0.kind { v } else { nil } }.first)
            seen.insert(mine)
            // Before the decision: the customer's own variant, no note.
            var before = CustomerDriver(deciding, profile: profile)
            before.event("signed_up", at: since - 1)
            #expect(before.timeline.contains { $0.kind == .variantAssigned(split: "offer", variant: mine, isControl: mine == "control") })
            // From the decision on: the winner, unless in the control group.
            var after = CustomerDriver(deciding, profile: profile)
            after.event("signed_up", at: since)
            if mine == "control" {
                #expect(after.timeline.contains { $0.kind == .variantAssigned(split: "offer", variant: "control", isControl: true) })
                #expect(after.sends.isEmpty)
            } else {
                #expect(
                    after.timeline.contains {
                        $0.kind
                            == .variantAssigned(
                                split: "offer", variant: "a", isControl: false,
                                winner: "winner since 2026-03-12: conversion 12.1 % vs 8.0 % for b, p = 0.003, n=1,200")
                    })
                #expect(after.sends == ["webhook offer_a"])
            }
        }
        #expect(seen == ["a", "b", "control"])
    }

    @Test func aWinnerOfAnotherSplitOrJourneyOrAnUnknownVariantChangesNothing() throws {
        let catalog = try #require(JourneyCompiler.compile(sources: ["a.journey": Self.source]).catalog)
        let engine = JourneyEngine(catalog: catalog).deciding(winners: [
            SplitWinner(journey: "other", split: "offer", variant: "a", since: 0, evidence: ""),
            SplitWinner(journey: "promo", split: "elsewhere", variant: "a", since: 0, evidence: ""),
        ])
        let unknown = JourneyEngine(catalog: catalog).deciding(winners: [
            SplitWinner(journey: "promo", split: "offer", variant: "zz", since: 0, evidence: "")
        ])
        for n in 0..<50 {
            let profile = CustomerProfile(id: "u\(n)")
            var plain = CustomerDriver(JourneyEngine(catalog: catalog), profile: profile)
            plain.event("signed_up", at: t0)
            for e in [engine, unknown] {
                var c = CustomerDriver(e, profile: profile)
                c.event("signed_up", at: t0)
                #expect(c.timeline == plain.timeline)
            }
        }
    }
}
