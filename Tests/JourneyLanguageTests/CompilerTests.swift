import Testing

@testable import JourneyLanguage

struct CompilerTests {
    static let cart = """
        journey cart_abandonment "Cart abandonment recovery"
          stage purchase
          priority 80
          trigger on event "cart.updated" where event.items > 0
          entry once per 7 days
          exit on event "order.completed"
          goal event "order.completed" within 3 days
          cap 2 per 7 days

          wait 1 hour
          send email cart_reminder
          wait for event "email.clicked" up to 1 day
            received ->
              exit "clicked"
            timeout ->
              if customer.lifetime_value > 500
                send email vip_discount when capped defer up to 1 day
              else
                send sms cart_nudge fallback email
        """

    @Test func cartAbandonmentStateMachine() throws {
        let result = compile(Self.cart)
        #expect(result.errors.isEmpty)
        let program = try #require(result.catalog?.journey(named: "cart_abandonment"))
        #expect(program.title == "Cart abandonment recovery")
        #expect(program.priority == 80)
        #expect(program.stage == .purchase)
        #expect(program.entry == .oncePer(seconds: 7 * 86400))
        #expect(program.exits == [.event(name: "order.completed", filter: nil)])
        #expect(program.goal == Goal(event: "order.completed", filter: nil, within: 3 * 86400, exitOnGoal: false))
        #expect(program.trigger == .event(name: "cart.updated", filter: .binary(.greater, .event(["items"]), .literal(.number(0)))))
        #expect(program.caps.map(\.name) == ["cart_abandonment_per_7_days"])
        #expect(program.caps.first?.journey == .named("cart_abandonment"))
        #expect(program.initial == 0)
        #expect(program.states.map(\.id) == Array(0..<program.states.count))
        #expect(
            program.states.map(\.label) == [
                "wait_1_hour", "send_email_cart_reminder", "wait_for_email_clicked", "exit_clicked", "branch",
                "send_email_vip_discount", "send_sms_cart_nudge", "completed",
            ])
        #expect(program.states[0].kind == .wait(.duration(seconds: 3600, next: 1)))
        #expect(program.states[2].kind == .wait(.event(name: "email.clicked", filter: nil, timeout: 86400, onEvent: 3, onTimeout: 4)))
        #expect(program.states[3].kind == .exit(.explicit(reason: "clicked")))
        #expect(
            program.states[4].kind
                == .branch([Branch(condition: .binary(.greater, .customer(["lifetime_value"]), .literal(.number(500))), target: 5)], otherwise: 6))
        #expect(
            program.states[5].kind
                == .send(Send(channel: .email, message: "vip_discount", category: .marketing, whenCapped: .deferUpTo(seconds: 86400)), next: 7))
        #expect(program.states[6].kind == .send(Send(channel: .sms, message: "cart_nudge", category: .marketing, fallback: .email), next: 7))
        #expect(program.states[7].kind == .exit(.completed))
        #expect(program.version.count == 64)
    }

    @Test func splitControlGoesToTheStepAfterTheSplit() throws {
        let result = compile(
            """
            journey w
              trigger every monday, thursday at 09:00 for segment lapsing
              split "offer"
                variant a 45%
                  send email discount
                variant "B" 45%
                control 10%
              send email after

            segment lapsing
              where customer.orders_count > 0
            """)
        let program = try #require(result.catalog?.journey(named: "w"))
        #expect(program.trigger == .schedule(segment: "lapsing", at: LocalTime(hour: 9, minute: 0), weekdays: [.monday, .thursday]))
        guard case .split(let split) = program.states[0].kind else {
            Issue.record("expected a split")
            return
        }
        #expect(split.name == "offer")
        #expect(split.variants.map(\.name) == ["a", "B", "control"])
        #expect(split.variants.map(\.target) == [1, 2, 2])
        #expect(split.variants.map(\.isControl) == [false, false, true])
        #expect(program.states[2].label == "send_email_after")
    }

    @Test func defaultsAndStageChanges() throws {
        let result = compile(
            """
            journey j
              stage awareness
              trigger on segment s
              step hello: send email welcome
              stage consideration
              wait until 10:00 on weekdays
              set customer.seen = true
              increment customer.visits
              unset customer.cart

            segment s where customer.x == 1
            """)
        let program = try #require(result.catalog?.journey(named: "j"))
        #expect(program.priority == 50)
        #expect(program.entry == .oneAtATime)
        #expect(program.title == "j")
        #expect(program.states.map(\.stage) == [.awareness, .consideration, .consideration, .consideration, .consideration, nil])
        #expect(program.states.map(\.label) == ["hello", "wait_until_1000", "set_seen", "increment_visits", "unset_cart", "completed"])
        #expect(
            program.states[1].kind
                == .wait(.untilLocalTime(LocalTime(hour: 10, minute: 0), weekdays: [.monday, .tuesday, .wednesday, .thursday, .friday], next: 2)))
        #expect(program.states[3].kind == .update([AttributeUpdate(attribute: ["visits"], operation: .increment(.literal(.number(1))))], next: 4))
    }

    @Test(arguments: [
        (
            "event \"v\" at least 3 times in last 7 days",
            Expression.binary(.greaterEqual, .eventCount(name: "v", filter: nil, within: 604_800), .literal(.number(3)))
        ),
        (
            "count(event \"o\" where event.total > 10) == 0",
            .binary(
                .equal, .eventCount(name: "o", filter: .binary(.greater, .event(["total"]), .literal(.number(10))), within: nil), .literal(.number(0))
            )
        ),
        ("last(event \"o\") < now - 90 days", .binary(.less, .lastEventTime(name: "o"), .binary(.subtract, .now, .literal(.duration(7_776_000))))),
        ("customer in segment s", .inSegment("s")),
        ("exists customer.phone", .exists(.customer(["phone"]))),
        ("customer.subscribed.sms", .customer(["subscribed", "sms"])),
        ("lower(customer.email) ends with \"@x.io\"", .binary(.endsWith, .call(.lower, [.customer(["email"])]), .literal(.string("@x.io")))),
        (
            "customer.tier not in [\"a\", \"b\"]",
            .unary(.not, .binary(.in, .customer(["tier"]), .list([.literal(.string("a")), .literal(.string("b"))])))
        ),
        ("customer.w > 2 * 3 days", .binary(.greater, .customer(["w"]), .literal(.duration(518_400)))),
    ])
    func expressionLowering(source: String, expected: Expression) throws {
        let result = compile("segment s where customer.x == 1\n\njourney j\n  trigger on event \"e\"\n  exit when \(source)\n")
        #expect(result.errors.isEmpty, "\(result.errors)")
        let program = try #require(result.catalog?.journey(named: "j"))
        #expect(program.exits == [.condition(expected)])
    }

    @Test func policyCompiles() throws {
        let result = compile(
            """
            policy
              time zone "Europe/Paris"
              settle window 2 minutes
              cap marketing 3 per day
              cap sms 1 per day
              cap all 10 per rolling 7 days
              cap each journey 2 per 24 hours
              cap email, sms 4 per week
              minimum gap 4 hours between marketing
              quiet hours 21:00 to 08:00 for sms, email
              transactional counts toward caps
            """)
        let policy = try #require(result.catalog?.policy)
        #expect(policy.defaultTimeZone == "Europe/Paris")
        #expect(policy.settleWindow == 120)
        #expect(policy.minimumGap == 14_400)
        #expect(policy.transactionalCountsTowardCaps)
        #expect(
            policy.caps.map(\.name) == [
                "marketing_per_day", "sms_per_day", "all_per_rolling_7_days", "each_journey_per_24_hours", "email_sms_per_week",
            ])
        #expect(policy.caps[0].category == .marketing)
        #expect(policy.caps[0].window == .calendarDay)
        #expect(policy.caps[1].channels == [.sms])
        #expect(policy.caps[2].window == .rolling(seconds: 604_800))
        #expect(policy.caps[3].journey == .each)
        #expect(policy.caps[4].channels == [.email, .sms])
        #expect(
            policy.quietHours == [
                QuietHours(
                    channels: [.sms, .email], start: LocalTime(hour: 21, minute: 0), end: LocalTime(hour: 8, minute: 0),
                    location: policy.quietHours[0].location)
            ])
    }

    @Test func schemaCompiles() throws {
        let result = compile(
            """
            schema
              customer
                ltv number
                tags list<string>
                at time
              event "cart.updated"
                items number
            """)
        let schema = try #require(result.catalog?.schema)
        #expect(schema.customerAttributes == ["ltv": .number, "tags": .list(.string), "at": .time])
        #expect(schema.events == ["cart.updated": ["items": .number]])
    }

    @Test func messagesAreCheckedWhenGiven() throws {
        let source = "policy\n  cap marketing 1 per day\n\njourney j\n  trigger on event \"e\"\n  send sms hello\n"
        let missing = compile(source, messages: ["hello": MessageTemplates(name: "hello", directory: "messages/hello", channels: [.email])])
        #expect(missing.errors.map(\.id) == [.missingTemplate])
        let present = compile(source, messages: ["hello": MessageTemplates(name: "hello", directory: "messages/hello", channels: [.sms])])
        #expect(present.errors.isEmpty)
        #expect(compile(source).errors.isEmpty)  // no messages given: not checked
    }

    // MARK: Content hash

    @Test func versionIsStableAndIgnoresLayout() throws {
        let a = try #require(compile(Self.cart).catalog?.journeys.first?.version)
        let b = try #require(compile(Self.cart).catalog?.journeys.first?.version)
        #expect(a == b)
        let moved = "# a comment that moves every line down\n\n" + Self.cart.replacingAll("  ", with: "    ")
        let c = try #require(compile(moved, file: "other.journey").catalog?.journeys.first?.version)
        #expect(a == c)
    }

    /// `wait N calendar days|weeks` compiles to a calendar wait of whole days.
    @Test(arguments: [("7 calendar days", 7), ("1 calendar day", 1), ("2 calendar weeks", 14)])
    func calendarWaits(text: String, days: Int) throws {
        let program = try #require(compile("journey j\n  trigger on event \"x\"\n  wait \(text)\n  exit \"done\"\n").catalog?.journeys.first)
        #expect(program.states[0].kind == .wait(.calendarDays(days, next: 1)))
        #expect(program.states[0].label == "wait_" + text.replacingAll(" ", with: "_"))
        #expect(JourneyGraph.describe(program.states[0]) == "wait \(days) calendar day\(days == 1 ? "" : "s")")
    }

    @Test(arguments: [
        ("wait 3 calendar hours", DiagnosticID.unknownUnit, "a calendar wait counts days or weeks (`wait 7 calendar days`), found `hours`"),
        ("wait 1.5 calendar days", .valueOutOfRange, "a calendar wait is a whole number of days or weeks, from 1 day to 10 years"),
        ("wait 0 calendar days", .valueOutOfRange, "a calendar wait is a whole number of days or weeks, from 1 day to 10 years"),
    ])
    func badCalendarWaits(text: String, id: DiagnosticID, message: String) throws {
        let result = compile("journey j\n  trigger on event \"x\"\n  \(text)\n  exit \"done\"\n")
        #expect(result.errors.map(\.id) == [id])
        #expect(result.errors.first?.message == message)
    }

    @Test(arguments: [
        ("wait 1 hour", "wait 2 hours"),
        ("wait 1 hour", "wait 1 calendar day"),
        ("priority 80", "priority 81"),
        ("send sms cart_nudge fallback email", "send sms cart_nudge"),
        ("\"Cart abandonment recovery\"", "\"Cart recovery\""),
    ])
    func versionChangesWithBehaviour(original: String, replacement: String) throws {
        let a = try #require(compile(Self.cart).catalog?.journeys.first?.version)
        let b = try #require(compile(Self.cart.replacingAll(original, with: replacement)).catalog?.journeys.first?.version)
        #expect(a != b)
    }

    @Test func versionFollowsTheSegmentsAJourneyUses() throws {
        let journey = "journey j\n  trigger on segment s\n  exit \"x\"\n\n"
        let a = try #require(compile(journey + "segment s where customer.x == 1\n").catalog?.journeys.first?.version)
        let b = try #require(compile(journey + "segment s where customer.x == 2\n").catalog?.journeys.first?.version)
        let c = try #require(compile(journey + "segment s where customer.x == 1\nsegment t where customer.y == 1\n").catalog?.journeys.first?.version)
        #expect(a != b)
        #expect(a == c)
    }

    @Test func setsHashTheSameWhateverTheirOrder() throws {
        let a = try #require(compile("journey j\n  trigger every monday, friday, sunday at 09:00\n  exit \"x\"\n").catalog?.journeys.first?.version)
        let b = try #require(compile("journey j\n  trigger every sunday, monday, friday at 09:00\n  exit \"x\"\n").catalog?.journeys.first?.version)
        #expect(a == b)
    }
}
