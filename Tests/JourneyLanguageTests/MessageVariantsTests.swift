import Testing

@testable import JourneyLanguage

/// `variant NAME N%` lines under a send: versions of one message, chosen per customer.
struct MessageVariantsTests {
    static let header = """
        policy
          cap marketing 3 per day

        """

    @Test func variantsUnderASendCompileIntoTheSendAndTheGraph() throws {
        let source = """
            journey newsletter
              trigger every monday at 10:00
              send email newsletter in quiet hours skip
                variant question 50%
                variant statement 50%

            """
        let result = compile(Self.header + source)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let program = try #require(result.catalog?.journeys.first)
        guard case .send(let send, _) = program.states[program.initial].kind else {
            Issue.record("not a send")
            return
        }
        #expect(send.variants == [MessageVariant(name: "question", weight: 50), MessageVariant(name: "statement", weight: 50)])
        #expect(send.inQuietHours == .skip)
        #expect(JourneyGraph.render(program, format: .mermaid).contains("variants question 50%, statement 50%"))
        // A send without variants keeps the version it had (no `variants` key in its canonical form).
        let plain = try #require(compile(Self.header + "journey newsletter\n  trigger every monday at 10:00\n  send email newsletter\n").catalog)
        guard case .send(let one, _) = plain.journeys[0].states[0].kind else { return }
        #expect(one.variants == nil)
    }

    @Test func theSameMessageWithTheSameVariantsMaySendTwice() throws {
        let source = """
            journey newsletter
              trigger every monday at 10:00
              send email newsletter
                variant a 50%
                variant b 50%
              wait 7 days
              send email newsletter
                variant a 50%
                variant b 50%

            """
        #expect(compile(Self.header + source).errors.isEmpty)
    }

    @Test(arguments: [
        (
            "journey n\n  trigger every monday at 10:00\n  send email 1️⃣newsletter\n    variant a 50%\n    variant b 40%\n",
            DiagnosticID.splitWeights, "the weights of the variants of message `newsletter` add up to 90%, not 100%"
        ),
        (
            "journey n\n  trigger every monday at 10:00\n  send email newsletter\n    variant a 90%\n    1️⃣control 10%\n",
            .splitWeights, "a message's variants have no control group: every customer gets one version"
        ),
        (
            "journey n\n  trigger every monday at 10:00\n  send email newsletter\n    variant a 50%\n    variant 1️⃣a 50%\n",
            .duplicateVariant, "variant `a` appears twice in this send"
        ),
        (
            "journey n\n  trigger every monday at 10:00\n  send email newsletter\n    variant 1️⃣name 50%\n    variant b 50%\n",
            .duplicateVariant, "a message variant cannot be called `name`: templates read the variant's name as `{{variant.name}}`"
        ),
        (
            "journey n\n  trigger every monday at 10:00\n  send email newsletter\n    variant a 50%\n      1️⃣send email other\n    variant b 50%\n",
            .expected, "a message variant has no steps: the templates tell the versions apart with `{{#variant.a}}…{{/variant.a}}`"
        ),
        (
            "journey n\n  trigger every monday at 10:00\n  send email newsletter\n    1️⃣wait 1 day\n",
            .expected, "expected `variant NAME PERCENT%` under `send`, found `wait`"
        ),
        (
            "journey n\n  trigger every monday at 10:00\n  split \"newsletter\"\n    variant x 100%\n      exit\n  send email 1️⃣newsletter\n    variant a 50%\n    variant b 50%\n",
            .duplicateVariant,
            "the variants of message `newsletter` are an experiment named `newsletter`, but a split of that name is already used in this journey"
        ),
        (
            "journey n\n  trigger every monday at 10:00\n  send email newsletter\n    variant a 50%\n    variant b 50%\n  wait 1 day\n  send email 1️⃣newsletter\n    variant a 60%\n    variant b 40%\n",
            .duplicateVariant,
            "message `newsletter` is sent with other variants at line 5; a message's variants are one experiment, the same wherever it is sent"
        ),
    ])
    func mistakesAreReportedAtTheirPlace(marked: String, id: DiagnosticID, message: String) throws {
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

/// `global holdout N%` in the policy.
struct GlobalHoldoutSyntaxTests {
    @Test func theShareCompilesIntoThePolicy() throws {
        let result = compile("policy\n  global holdout 7.5%\n  cap marketing 3 per day\n")
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        #expect(result.catalog?.policy.globalHoldout == 7.5)
    }

    @Test(arguments: [
        (
            "policy\n  global holdout 1️⃣0%\n", DiagnosticID.valueOutOfRange,
            "the global holdout is a share of customers above 0% and below 100% (usually 5% or 10%)"
        ),
        (
            "policy\n  global holdout 1️⃣100%\n", .valueOutOfRange,
            "the global holdout is a share of customers above 0% and below 100% (usually 5% or 10%)"
        ),
        ("policy\n  global holdout 1️⃣5\n", .expected, "write the holdout as a percentage: `5%`"),
        ("policy\n  global 1️⃣hold 5%\n", .expected, "expected `holdout` after `global` (write `global holdout 5%`), found `hold`"),
        ("policy\n  global holdout 5%\n  1️⃣global holdout 10%\n", .duplicateSetting, "`global holdout` is set twice in the policy"),
    ])
    func mistakesAreReportedAtTheirPlace(marked: String, id: DiagnosticID, message: String) throws {
        let source = MarkedSource(marked)
        let marker = try #require(source.markers["1"])
        let result = compile(source.text)
        let diagnostic = try #require(result.diagnostics.first { $0.id == id }, "no \(id) in \(result.diagnostics)")
        #expect(diagnostic.message == message)
        #expect(diagnostic.location?.line == marker.line)
        #expect(diagnostic.location?.column == marker.column)
        #expect(result.catalog == nil)
    }
}
