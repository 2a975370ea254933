import Foundation
import Testing

@testable import JourneyLanguage

/// `winner after 14 days by conversion min 500 per variant` inside a split.
struct WinnerRuleTests {
    static let header = """
        policy
          cap marketing 3 per day

        """

    static let journey = """
        journey newsletter
          trigger every monday at 10:00
          goal event "order.completed" within 7 days
          split subject_test
            winner after 14 days by conversion min 500 per variant
            variant a 45%
              send email newsletter_a
            variant b 45%
              send email newsletter_b
            control 10%

        """

    @Test func theRuleCompilesIntoTheSplitAndTheGraph() throws {
        let result = compile(Self.header + Self.journey)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let program = try #require(result.catalog?.journeys.first)
        guard case .split(let split) = program.states[program.initial].kind else {
            Issue.record("not a split")
            return
        }
        #expect(split.winner == WinnerRule(after: 14 * 86_400, minimumPerVariant: 500))
        #expect(split.variants.map(\.name) == ["a", "b", "control"])
        #expect(JourneyGraph.render(program, format: .mermaid).contains("winner after 14 days by conversion, min 500 per variant"))
        // A split without a rule has none (and keeps its canonical form).
        let plain = Self.journey.replacingOccurrences(of: "    winner after 14 days by conversion min 500 per variant\n", with: "")
        let plainProgram = try #require(compile(Self.header + plain).catalog?.journeys.first)
        guard case .split(let none) = plainProgram.states[plainProgram.initial].kind else { return }
        #expect(none.winner == nil)
    }

    @Test func theFormatterLaysTheRuleOutLikeAVariantLine() throws {
        let messy =
            Self.header
            + Self.journey.replacingOccurrences(
                of: "    winner after 14 days by conversion min 500 per variant",
                with: "    winner   after 14 days  by conversion min 500   per variant")
        let formatted = try #require(JourneyFormatter.format(messy).formatted)
        #expect(formatted.contains("\n    winner after 14 days by conversion min 500 per variant\n"), "\(formatted)")
        #expect(JourneyFormatter.format(formatted).formatted == formatted)
    }

    static func journey(goal: Bool = true, rule: String, variants: String = "    variant a 45%\n    variant b 45%\n    control 10%\n") -> String {
        "journey n\n  trigger every monday at 10:00\n" + (goal ? "  goal event \"order.completed\" within 7 days\n" : "")
            + "  split t\n    \(rule)\n" + variants
    }

    @Test(arguments: [
        (
            journey(goal: false, rule: "1️⃣winner after 14 days by conversion min 500 per variant"),
            DiagnosticID.invalidWinnerRule,
            "a winner by conversion needs a goal to convert on; add `goal event \"EVENT\" within DURATION` to journey `n`"
        ),
        (
            journey(rule: "winner after 1️⃣0 days by conversion min 500 per variant"),
            .invalidWinnerRule, "the winner rule's period must be longer than 0 (`winner after 14 days …`)"
        ),
        (
            journey(rule: "winner after 14 days by conversion min 1️⃣10 per variant"),
            .invalidWinnerRule, "the minimum sample must be a whole number of customers from 30 up, not 10"
        ),
        (
            journey(rule: "winner after 14 days by conversion min 1️⃣0 per variant"),
            .invalidWinnerRule, "the minimum sample must be a whole number of customers from 30 up, not 0"
        ),
        (
            journey(rule: "winner after 14 days by 1️⃣conversation min 500 per variant"),
            .invalidWinnerRule, "a winner is chosen by `conversion`, not `conversation`; did you mean `conversion`?"
        ),
        (
            journey(rule: "1️⃣winner after 14 days by conversion min 500 per variant", variants: "    variant newsletter 90%\n    control 10%\n"),
            .invalidWinnerRule,
            "split \"t\" has one variant besides its control group, so there is no winner to pick; a winner rule needs two variants or more"
        ),
        (
            journey(rule: "winner after 1️⃣-3 days by conversion min 500 per variant"),
            .expected, "expected a duration such as `3 days`, found `-`"
        ),
        (
            journey(rule: "winner after 14 days by conversion 1️⃣minimum 500 per variant"),
            .expected, "expected `min` in `winner after 14 days by conversion min 500 per variant`, found `minimum`"
        ),
        (
            journey(rule: "winner after 14 days by conversion min 500 per variant\n    1️⃣winner after 7 days by conversion min 100 per variant"),
            .invalidWinnerRule, "a split has at most one winner rule"
        ),
    ])
    func nonsenseIsRefusedAtItsPlace(marked: String, id: DiagnosticID, message: String) throws {
        let source = MarkedSource(Self.header + marked)
        let marker = try #require(source.markers["1"])
        let result = compile(source.text)
        let diagnostic = try #require(result.diagnostics.first { $0.id == id }, "no \(id) in \(result.diagnostics)")
        #expect(diagnostic.message == message)
        #expect(diagnostic.location?.line == marker.line)
        #expect(diagnostic.location?.column == marker.column)
        #expect(result.catalog == nil)
    }
}
