import Testing

@testable import JourneyLanguage

/// `wait for events` (one arm per event, an optional `timeout ->` arm) and `go to LABEL` (a join):
/// what they compile to, and every mistake the checker refuses, at its place.
struct WaitForEventsTests {
    static let schema = """
        schema
          customer
            nps_score number
          event "ticket.closed"
          event "nps.submitted"
            score number
          event "email.unsubscribed"

        policy
          cap marketing 3 per day

        """

    static let nps = """
        journey nps
          trigger on event "ticket.closed"
          send email survey
          wait for events up to 5 days
            on event "nps.submitted" where event.score >= 9 ->
              send email review_request
              go to thanks
            on event "nps.submitted" where event.score <= 6 ->
              send webhook alert transactional
              go to thanks
            on event "nps.submitted" -> exit "passive"
            timeout -> exit "no answer"
          step thanks: set customer.nps_score = event.score
          send email thank_you

        """

    @Test func armsAndAJoinCompileToOneWaitWhoseArmsMeetAtTheLabel() throws {
        let result = compile(Self.schema + Self.nps)
        #expect(result.diagnostics.filter(\.isError).isEmpty, "\(result.diagnostics)")
        let program = try #require(result.catalog?.journeys.first)
        let wait = try #require(program.states.first { $0.label == "wait_for_events" })
        guard case .wait(.events(let arms, let timeout, let onTimeout)) = wait.kind else {
            Issue.record("not a wait for events: \(wait.kind)")
            return
        }
        #expect(timeout == 5 * 86_400)
        #expect(arms.map(\.name) == ["nps.submitted", "nps.submitted", "nps.submitted"])
        #expect(arms[0].filter != nil && arms[1].filter != nil && arms[2].filter == nil)
        let thanks = try #require(program.states.first { $0.label == "thanks" })
        // Both sends go on to `thanks`: the join.
        for arm in arms.prefix(2) {
            guard case .send(_, let next) = program.states[arm.target].kind else {
                Issue.record("arm does not start with its send")
                continue
            }
            #expect(next == thanks.id)
        }
        guard case .exit(.explicit("passive")) = program.states[arms[2].target].kind,
            case .exit(.explicit("no answer")) = program.states[onTimeout].kind
        else {
            Issue.record("passive or timeout arm does not exit")
            return
        }
    }

    @Test func aGoToAsTheFirstStepOfAnArmContinuesAtTheLabelAndReachesAStepAfterAnExit() throws {
        let source = """
            journey a
              trigger on event "ticket.closed"
              wait for events up to 1 day
                on event "nps.submitted" -> go to done
                on event "email.unsubscribed" -> exit "unsubscribed"
              exit "no answer"
              step done: send webhook alert transactional

            """
        let result = compile(Self.schema + source)
        #expect(result.diagnostics.filter(\.isError).isEmpty, "\(result.diagnostics)")
        let program = try #require(result.catalog?.journeys.first)
        let done = try #require(program.states.first { $0.label == "done" })
        guard case .wait(.events(let arms, _, _)) = program.states[program.initial].kind else {
            Issue.record("the journey does not start with the wait")
            return
        }
        #expect(arms[0].target == done.id)
    }

    @Test func aLoopThroughAWaitIsAllowed() throws {
        let source = """
            journey a
              trigger on event "ticket.closed"
              step ask: send webhook alert transactional
              wait for events up to 2 days
                on event "nps.submitted" -> exit "answered"
                timeout -> go to ask

            """
        let result = compile(Self.schema + source)
        #expect(result.diagnostics.filter(\.isError).isEmpty, "\(result.diagnostics)")
    }

    @Test(arguments: [
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    on event \"nps.submitted\" -> go to 1️⃣thank\n  step thanks: send webhook alert transactional\n",
            DiagnosticID.unknownLabel, "unknown step label `thank`; did you mean `thanks`?"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    on event \"nps.submitted\" -> exit \"a\"\n    on event 1️⃣\"nps.submitted\" -> exit \"b\"\n",
            .duplicateWaitEvent, "this arm can never run: the arm at line 14 already takes every \"nps.submitted\" event"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    on event \"nps.submitted\" where event.score > 8 -> exit \"a\"\n    on event 1️⃣\"nps.submitted\" where event.score > 8 -> exit \"b\"\n",
            .duplicateWaitEvent, "\"nps.submitted\" is waited for twice with the same filter in one wait"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  step again: set customer.nps_score = 1\n  if customer.nps_score > 0\n    go to 1️⃣again\n",
            .loopWithoutWait, "`go to again` makes a loop with no wait in it, so a customer would run it forever at one instant"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  1️⃣wait for events\n    on event \"nps.submitted\" -> exit \"a\"\n",
            .waitWithoutWayOut, "this wait has no way out if none of its events arrives; add a timeout with `up to <duration>`"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    on event \"nps.submitted\" where 1️⃣1 > 2 -> exit \"a\"\n",
            .branchNeverTaken, "this filter is never true, so this arm can never run"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    on event \"nps.submitted\" where 1️⃣event.score -> exit \"a\"\n",
            .conditionNotBool, "the arm's filter must be true or false, but this is a number"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    on event \"nps.submitted\" where event.1️⃣scor > 1 -> exit \"a\"\n",
            .unknownEventProperty, "unknown property `scor`; did you mean `score`?"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    on event 1️⃣\"nps.submited\" -> exit \"a\"\n",
            .undeclaredEvent, "event \"nps.submited\" is not declared in the schema; did you mean `nps.submitted`?"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  1️⃣wait for events up to 1 day\n  exit \"a\"\n",
            .expected, "`wait for events` needs at least one `on event \"…\" ->` arm in the block under it"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    1️⃣received -> exit \"a\"\n",
            .expected, "`wait for events` has one arm per event: write `on event \"…\" ->` instead of `received ->`"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events 1️⃣\"nps.submitted\" up to 1 day\n",
            .expected, "list the events as arms under the wait, one per line: `on event \"nps.submitted\" ->`"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  wait for events up to 1 day\n    timeout -> exit \"late\"\n    1️⃣on event \"nps.submitted\" -> exit \"a\"\n",
            .expected, "`timeout ->` comes after every `on event` arm of the wait"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  1️⃣on event \"nps.submitted\" -> exit \"a\"\n",
            .expected, "`on event \"…\" ->` belongs under a `wait for events up to …` step"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  1️⃣step x: go to y\n  step y: exit \"a\"\n",
            .expected, "a `go to` step cannot carry a label (`step x:`); label the step it goes to instead"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  go 1️⃣y\n  step y: exit \"a\"\n",
            .expected, "expected `to` after `go` (write `go to LABEL`), found `y`"
        ),
        (
            "journey a\n  trigger on event \"ticket.closed\"\n  go to y\n  1️⃣exit \"never\"\n  step y: exit \"a\"\n",
            .unreachableStep, "this step can never run: every path before it has already ended the journey"
        ),
    ])
    func mistakesAreReportedAtTheirPlace(marked: String, id: DiagnosticID, message: String) throws {
        let source = MarkedSource(Self.schema + marked)
        let marker = try #require(source.markers["1"])
        let result = compile(source.text)
        let matching = result.diagnostics.filter { $0.id == id }
        let diagnostic = try #require(matching.first, "no \(id) in \(result.diagnostics)")
        #expect(diagnostic.message == message)
        #expect(diagnostic.location?.line == marker.line)
        #expect(diagnostic.location?.column == marker.column)
        if diagnostic.severity == .error { #expect(result.catalog == nil) }
    }

    @Test func theFormatterLaysOutArmsAndJoinsAndKeepsTheProgram() throws {
        let messy = """
            journey nps
              trigger on event "ticket.closed"
              send email survey
              wait for events   up to 5 days
                  on event "nps.submitted"   where event.score >= 9 ->
                      send email review_request
                      go   to thanks
                  on event "nps.submitted" -> exit "passive"
                  timeout ->   exit "no answer"
              step thanks:   set customer.nps_score = event.score

            """
        let formatted = try #require(JourneyFormatter.format(Self.schema + messy).formatted)
        #expect(formatted.contains("\n  wait for events up to 5 days\n    on event \"nps.submitted\" where event.score >= 9 ->\n"))
        #expect(formatted.contains("\n      go to thanks\n"))
        #expect(formatted.contains("\n    timeout -> exit \"no answer\"\n"))
        #expect(JourneyFormatter.format(formatted).formatted == formatted, "formatting is idempotent")
        let before = try #require(compile(Self.schema + messy).catalog?.journeys.first)
        let after = try #require(compile(formatted).catalog?.journeys.first)
        #expect(before.version == after.version)
    }

    @Test func theGraphDrawsOneEdgePerArmAndTheJoin() throws {
        let program = try #require(compile(Self.schema + Self.nps).catalog?.journeys.first)
        let dot = JourneyGraph.render(program, format: .dot)
        #expect(dot.contains("wait for events"))
        #expect(dot.contains("on event \\\"nps.submitted\\\"\\nwhere event.score >= 9"), "\(dot)")
        #expect(dot.contains("label=\"timeout\""), "\(dot)")
        let thanks = try #require(program.states.first { $0.label == "thanks" })
        let joins = dot.split(separator: "\n").filter { $0.contains("-> s\(thanks.id)") }
        #expect(joins.count == 2, "both arms draw an edge into `thanks`: \(dot)")
    }
}
