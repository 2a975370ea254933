import Testing

@testable import JourneyLanguage

struct ParserTests {
    func parse(_ text: String) -> Parser.Output { Parser.parse(file: "t.journey", text: text) }

    @Test func journeyStructure() throws {
        let output = parse(
            """
            journey cart "Cart"
              stage purchase
              priority 80
              trigger on event "cart.updated" where event.items > 0
              entry once per 7 days
              exit on event "order.completed"
              goal event "order.completed" within 3 days then exit

              wait 1 hour
              step reminder: send email cart_reminder when capped defer up to 1 day
              wait for event "email.clicked" up to 1 day
                received -> exit "clicked"
                timeout ->
                  if customer.vip == true
                    send sms nudge fallback email
                  else if customer.vip == false
                    stage retention
                  else
                    exit
            """
        )
        #expect(output.diagnostics.isEmpty)
        guard case .journey(let journey) = try #require(output.file.declarations.first) else {
            Issue.record("expected a journey")
            return
        }
        #expect(journey.name.text == "cart")
        #expect(journey.title == "Cart")
        #expect(journey.settings.map(\.keyword) == ["stage", "priority", "trigger", "entry", "exit", "goal"])
        #expect(journey.steps.count == 3)
        #expect(journey.steps[1].label?.text == "reminder")
        guard case .waitForEvent(let wait) = journey.steps[2].kind else {
            Issue.record("expected a wait for event")
            return
        }
        #expect(wait.timeout?.seconds == 86400)
        #expect(wait.received?.count == 1)
        guard case .branch(let arms, let otherwise, _)? = wait.onTimeout?.first?.kind else {
            Issue.record("expected a branch")
            return
        }
        #expect(arms.count == 2)
        #expect(otherwise?.count == 1)
    }

    @Test(arguments: [
        ("a or b and c", "or(a, and(b, c))"),
        ("not a and b", "and(not(a), b)"),
        ("a + b * c > d", "greater(add(a, multiply(b, c)), d)"),
        ("-a - -b", "subtract(negate(a), negate(b))"),
        ("(a or b) and c", "and(or(a, b), c)"),
        ("x not in [1, 2]", "not(in(x, [1, 2]))"),
        ("name starts with \"A\"", "startsWith(name, \"A\")"),
        ("customer in segment vip", "segment(customer, vip)"),
        ("count(event \"e\" where event.x > 1 within 2 days) == 0", "equal(count(e, greater(event.x, 1), 172800), 0)"),
        ("event \"v\" at least 3 times in last 7 days", "behaviour(v, greaterEqual, 3, 604800)"),
        ("last(event \"o\") < now - 90 days", "less(last(o), subtract(now, 7776000s))"),
        ("exists customer.phone", "exists(customer.phone)"),
        ("max(a, 2)", "max(a, 2)"),
    ])
    func expressionShape(source: String, expected: String) throws {
        var parser = Parser(file: "t", tokens: Lexer.tokenize(file: "t", text: source).tokens)
        let expression = try parser.parseExpression()
        #expect(parser.diagnostics.isEmpty)
        #expect(Self.shape(expression) == expected)
    }

    static func shape(_ e: ExpressionSyntax) -> String {
        switch e.kind {
        case .number(let n): return n == n.rounded() ? String(Int(n)) : String(n)
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return String(b)
        case .null: return "null"
        case .duration(let d): return "\(Int(d))s"
        case .date(let d): return "date(\(d))"
        case .path(let p): return p.joined(separator: ".")
        case .unary(let op, let x): return "\(op.rawValue)(\(shape(x)))"
        case .binary(let op, let l, let r): return "\(op.rawValue)(\(shape(l)), \(shape(r)))"
        case .call(let name, let args): return "\(name.text)(\(args.map(shape).joined(separator: ", ")))"
        case .exists(let x): return "exists(\(shape(x)))"
        case .inSegment(let x, let name): return "segment(\(shape(x)), \(name.text))"
        case .count(let event, let filter, let within):
            return "count(\(event.value), \(filter.map(shape) ?? "-"), \(within.map { String(Int($0.seconds)) } ?? "-"))"
        case .last(let event): return "last(\(event.value))"
        case .behaviour(let event, _, let op, let times, let within):
            return "behaviour(\(event.value), \(op.rawValue), \(shape(times)), \(within.map { String(Int($0.seconds)) } ?? "-"))"
        case .list(let items): return "[\(items.map(shape).joined(separator: ", "))]"
        case .invalid: return "<invalid>"
        }
    }

    /// One run reports every broken line, not just the first.
    @Test func recoversAndReportsSeveralErrors() {
        let output = parse(
            """
            journey a
              trigger on event "x" where
              wait 3
              send email
              entry twice
              sned email welcome
              exit "done"

            jouney b
              wait 1 day

            segment s
              where (customer.x > 1
            """
        )
        let lines = output.diagnostics.compactMap { $0.location?.line }
        #expect(lines == [2, 3, 4, 5, 6, 9, 13])
    }

    @Test func stepsAfterAnErrorAreStillParsed() throws {
        let output = parse("journey a\n  trigger on event \"x\"\n  wait 3 dayz\n  send email m\n  exit \"done\"\n")
        #expect(output.diagnostics.count == 1)
        guard case .journey(let journey) = try #require(output.file.declarations.first) else { return }
        #expect(journey.steps.count == 2)
    }

    @Test(arguments: [
        (
            "journey a\n  trigger on event \"x\"\n  wait for 3 days\n",
            "write a plain delay as `wait 3 …` (without `for`); `wait for` waits for an event"
        ),
        ("journey a\n  trigger on event \"x\"\n  wait 09:00\n", "write `wait until 09:00` to wait for a time of day"),
        ("journey a\n  trigger on event \"x\"\n  set customer.x to 1\n", "write `set customer.x = <value>`"),
        ("journey a\n  trigger on event \"x\"\n  wait 2 months\n", "`months` has no fixed length; write the duration in days (30 days, 365 days)"),
        ("journey a\n  trigger on event x\n", "expected an event name in quotes, found `x`"),
        ("journey a\n  trigger on event \"x\"\n  split \"s\"\n    variant a 50\n", "write the weight as a percentage: `50%`"),
        ("journey a\n  trigger on event \"x\"\n  else\n", "`else` without a matching `if` at the same indentation"),
        ("journey a\n  trigger on event \"x\" where a < b < c\n", "comparisons cannot be chained; combine them with `and`"),
    ])
    func helpfulSyntaxErrors(source: String, message: String) throws {
        let diagnostic = try #require(parse(source).diagnostics.first)
        #expect(diagnostic.message == message)
    }
}
