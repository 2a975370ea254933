import Testing

@testable import JourneyLanguage

/// Each case marks where its diagnostic must point (`1️⃣`) and gives the exact message.
struct DiagnosticsTests {
    static let schema = """
        schema
          customer
            lifetime_value number
            first_name string
            signed_up_at time
          event "cart.updated"
            items number

        policy
          cap marketing 3 per day

        segment vip
          where customer.lifetime_value > 1000

        """

    @Test(arguments: [
        (
            "journey a\n  trigger on event \"cart.updated\"\n  if customer.1️⃣lifetime_valu > 5\n    exit \"x\"\n",
            DiagnosticID.unknownAttribute, "unknown attribute `lifetime_valu`; did you mean `lifetime_value`?"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\" where event.1️⃣item > 0\n  exit \"x\"\n",
            .unknownEventProperty, "unknown property `item`; did you mean `items`?"
        ),
        (
            "journey a\n  trigger on segment 1️⃣vipp\n  exit \"x\"\n",
            .unknownSegment, "unknown segment `vipp`; did you mean `vip`?"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  if 1️⃣customer.first_name > 5\n    exit \"x\"\n",
            .typeMismatch, "cannot apply `>` to a string and a number"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  if 1️⃣customer.lifetime_value + 1\n    exit \"x\"\n",
            .conditionNotBool, "the condition of `if` must be true or false, but this is a number"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  send email m\n  exit \"x\"\n  1️⃣wait 1 day\n",
            .unreachableStep, "this step can never run: every path before it has already ended the journey"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  if 1️⃣2 > 3\n    exit \"x\"\n",
            .branchNeverTaken, "this condition is never true, so its branch is never taken"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  if 1 < 3\n    exit \"x\"\n  1️⃣else\n    exit \"y\"\n",
            .branchNeverTaken, "this `else` is never taken: the condition at line 16 is always true"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  1️⃣wait for event \"email.clicked\"\n  exit \"x\"\n",
            .waitWithoutWayOut, "this wait has no way out if \"email.clicked\" never arrives; add a timeout with `up to <duration>`"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  split 1️⃣\"s\"\n    variant a 60%\n    control 30%\n",
            .splitWeights, "the weights of split \"s\" add up to 90%, not 100%"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  send email m transactional 1️⃣in quiet hours skip\n",
            .transactionalMarketingOption,
            "`in quiet hours` is a marketing-only option, but this send is transactional: transactional messages are not held by quiet hours"
        ),
        (
            "journey 1️⃣a\n  stage awareness\n",
            .missingTrigger, "journey `a` has no trigger, so no customer can enter it"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  exit \"x\"\n\njourney 1️⃣a\n  trigger on event \"cart.updated\"\n",
            .duplicateJourney, "journey `a` is already declared; journey names must be unique"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  goal event \"order.completed\" within 1 day\n  1️⃣wait 2 days\n  send email m\n",
            .waitBeyondGoal, "this wait ends at least 2 days after entry, after the goal window (1 day) has closed"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\" where 1️⃣count(event \"x\") > \"3\"\n  exit \"x\"\n",
            .typeMismatch, "cannot apply `>` to a number and a string"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  set 1️⃣customer.id = \"x\"\n",
            .readOnlyAttribute, "`customer.id` identifies the customer and cannot be changed"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  send 1️⃣mail m\n",
            .unknownChannel, "unknown channel `mail`; did you mean `email`?"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\" where 1️⃣now > 3 days\n  exit \"x\"\n",
            .typeMismatch, "cannot apply `>` to a time and a duration; to compare with a time in the past, write `now - …`"
        ),
        (
            "journey a\n  trigger on 1️⃣evnt \"cart.updated\"\n  exit \"x\"\n",
            .expected, "expected `event \"name\"` or `segment name` after `trigger on`, found `evnt`; did you mean `event`?"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  if customer.lifetime_value > 5\n    exit \"x\"\n  1️⃣elif customer.lifetime_value > 2\n    exit \"y\"\n  else\n    exit \"z\"\n",
            .unknownStatement, "`elif` is not a keyword; write `else if`"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  1️⃣elsif customer.lifetime_value > 2\n    exit \"y\"\n",
            .unknownStatement, "`elsif` is not a keyword; write `else if` (after an `if` at the same indentation)"
        ),
        (
            "journey a\n  1️⃣prority 50\n  trigger on event \"cart.updated\"\n  exit \"x\"\n",
            .unknownSetting, "unknown setting `prority`; did you mean `priority`?"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  if customer.lifetime_value > 5 1️⃣and\n    customer.first_name == \"x\"\n    exit \"x\"\n",
            .expected, "`and` ends the line: a condition that continues on the next line starts that line with `and`"
        ),
        (
            "journey a\n  trigger on event \"cart.updated\"\n  wait for event 1️⃣\"email.clicked up to 1 day\n  exit \"x\"\n",
            .unterminatedString, "unterminated string; add a closing `\"` before the end of the line"
        ),
    ])
    func diagnosticAtMarker(marked: String, id: DiagnosticID, message: String) throws {
        let source = MarkedSource(Self.schema + marked)
        let marker = try #require(source.markers["1"])
        let result = compile(source.text)
        let matching = result.diagnostics.filter { $0.id == id }
        let diagnostic = try #require(matching.first, "no \(id) in \(result.diagnostics)")
        #expect(diagnostic.message == message)
        #expect(diagnostic.location?.line == marker.line)
        #expect(diagnostic.location?.column == marker.column)
        #expect(result.catalog == nil || diagnostic.severity != .error)
    }

    /// The mistakes authors make most report one error each, with no echoes after it.
    @Test(arguments: [
        "journey a\n  trigger on evnt \"cart.updated\"\n  exit \"x\"\n",
        "journey a\n  trigger on event \"cart.updated\"\n  if customer.lifetime_value > 5\n    exit \"x\"\n  elif customer.lifetime_value > 2\n    exit \"y\"\n  else\n    exit \"z\"\n",
        "journey a\n  prority 50\n  trigger on event \"cart.updated\"\n  exit \"x\"\n",
        "journey a\n  trigger on event \"cart.updated\"\n  if customer.lifetime_value > 5 and\n    customer.first_name == \"x\"\n    exit \"x\"\n",
        "journey a\n  trigger on event \"cart.updated\"\n  wait for event \"email.clicked up to 1 day\n    timeout ->\n      exit \"x\"\n",
        "journey a \"Title\n  trigger on event \"cart.updated\"\n  exit \"x\"\n",
    ])
    func oneErrorWithoutEchoes(source: String) throws {
        let result = compile(Self.schema + source)
        #expect(result.errors.count == 1, "\(result.errors.map(\.message))")
        // A fix-it where the error is a misspelling.
        if source.contains("evnt") || source.contains("elif") || source.contains("prority") {
            #expect(result.errors.first?.fixIts.isEmpty == false)
        }
    }

    @Test func plainRendering() throws {
        let result = compile("journey a\n  trigger on event \"x\"\n  send emial m\n")
        let text = DiagnosticsFormatter(style: .plain, sources: result.sources).format(result.errors)
        #expect(
            text == """
                test.journey:3:8: error: unknown channel `emial`; did you mean `email`? [E023-unknown-channel]
                test.journey:3:8: note: channels are email, sms and webhook

                """)
    }

    @Test func annotatedRenderingShowsTheLineAndACaret() throws {
        let result = compile("journey a\n  trigger on event \"x\"\n  send emial m\n")
        let text = DiagnosticsFormatter(style: .annotated, sources: result.sources).format(result.errors)
        #expect(
            text == """
                test.journey:3:8: error: unknown channel `emial`; did you mean `email`? [E023-unknown-channel]
                 3 |   send emial m
                   |        ^~~~~
                   |        email
                  note: channels are email, sms and webhook

                """)
    }

    @Test func jsonRendering() throws {
        let result = compile("journey a\n  trigger on event \"x\"\n  send emial m\n")
        let text = DiagnosticsFormatter(style: .json).format(result.errors)
        #expect(text.contains("\"id\" : \"E023-unknown-channel\""))
        #expect(text.contains("\"line\" : 3"))
        #expect(text.contains("\"replacement\" : \"email\""))
    }

    @Test func suggestionsNeedToBeClose() {
        #expect(Suggestions.closest(to: "lifetime_valu", in: ["lifetime_value", "first_name"]) == "lifetime_value")
        #expect(Suggestions.closest(to: "sned", in: ["send", "wait"]) == "send")
        #expect(Suggestions.closest(to: "banana", in: ["send", "wait"]) == nil)
    }
}
