import Testing

@testable import JourneyLanguage

/// `send … at best time within DURATION [default HH:MM]`: send-time optimisation in the language.
struct SendTimeSyntaxTests {
    static let header = """
        policy
          cap marketing 3 per day

        """

    @Test func theWindowAndDefaultCompileIntoTheSendAndTheGraph() throws {
        let source = """
            journey weekly
              trigger on event "digest.ready"
              send email weekly at best time within 24 hours default 10:00 when capped defer up to 1 day
              send sms nudge fallback email at best time within 2 days

            """
        let result = compile(Self.header + source)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let program = try #require(result.catalog?.journeys.first)
        guard case .send(let first, let next) = program.states[program.initial].kind, case .send(let second, _) = program.states[next].kind
        else {
            Issue.record("not two sends")
            return
        }
        #expect(first.bestTime == SendTimeRule(window: 86_400, defaultTime: LocalTime(hour: 10, minute: 0)))
        #expect(first.whenCapped == .deferUpTo(seconds: 86_400))
        #expect(second.bestTime == SendTimeRule(window: 2 * 86_400))
        let graph = JourneyGraph.render(program, format: .mermaid)
        #expect(graph.contains("at best time within 1 day default 10:00"), "\(graph)")
        #expect(graph.contains("at best time within 2 days"), "\(graph)")
    }

    @Test func aSendWithoutTheOptionKeepsItsVersion() throws {
        let plain = "journey weekly\n  trigger on event \"digest.ready\"\n  send email weekly\n"
        let before = try #require(compile(Self.header + plain).catalog?.journeys.first)
        guard case .send(let send, _) = before.states[0].kind else { return }
        #expect(send.bestTime == nil)
        // The canonical form has no `bestTime` key, so versions of existing journeys do not change;
        // adding the option does change it.
        let timed = try #require(
            compile(Self.header + "journey weekly\n  trigger on event \"digest.ready\"\n  send email weekly at best time within 1 day\n").catalog?
                .journeys.first)
        #expect(before.version != timed.version)
    }

    @Test func theFormatterKeepsTheOptionAndIsStable() throws {
        let messy = "journey weekly\n  trigger on event \"digest.ready\"\n  send   email weekly   at best  time within 24   hours default 09:30\n"
        let formatted = try #require(JourneyFormatter.format(messy).formatted)
        #expect(formatted.contains("send email weekly at best time within 24 hours default 09:30"), "\(formatted)")
        #expect(JourneyFormatter.format(formatted).formatted == formatted)
    }

    @Test(arguments: [
        (
            "journey n\n  trigger on event \"x\"\n  send email weekly at best time within 1️⃣0 hours\n", DiagnosticID.invalidSendTime,
            "the best-time window is empty; give it at least 1 hour"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send email weekly at best time within 1️⃣30 minutes\n", .invalidSendTime,
            "a best-time window of 30 minutes holds no choice of hour; give it at least 1 hour"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send email weekly at best time within 1️⃣8 days\n", .invalidSendTime,
            "a best-time window of 8 days is longer than 7 days; a message held that long is no longer timely"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send webhook crm_sync 1️⃣at best time within 1 day\n", .invalidSendTime,
            "`at best time` needs engagement (opens and clicks), which a webhook does not have: send it at once"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send email receipt transactional 1️⃣at best time within 1 day\n", .transactionalMarketingOption,
            "`at best time` is a marketing-only option, but this send is transactional: transactional messages go out at once"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send email weekly at best time within 1 day 1️⃣at best time within 2 days\n", .duplicateSetting,
            "this send already says `at best time`"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send email weekly at best time 1️⃣in 1 day\n", .expected,
            "expected `within` after `at best time` (`at best time within 24 hours`), found `in`"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send email weekly at best time within 1 day default 1️⃣10\n", .expected,
            "expected a time of day such as 09:00, found `10`"
        ),
        (
            "journey n\n  trigger on event \"x\"\n  send email weekly 1️⃣att best time within 1 day\n", .expected,
            "unexpected `att` in send; did you mean `at`?"
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
