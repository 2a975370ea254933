import JourneyLanguage
import Testing

@testable import JourneyEngine

/// One test (or table) per journey construct, on a manual clock.
struct EngineConstructTests {
    static let cart = JourneyBuilder(
        "cart", trigger: .event(name: "cart.updated", filter: prop("items") > num(0)),
        exits: [.event(name: "order.completed", filter: nil)],
        goal: Goal(event: "order.completed", filter: nil, within: 3 * day, exitOnGoal: false),
        steps: [
            .wait(hour),
            .send(.email, "cart_reminder"),
            .waitFor(
                "email.clicked", timeout: day, onEvent: [],
                onTimeout: [
                    .branch([(attr("lifetime_value") > num(500), [.send(.email, "vip_discount")])], otherwise: [.send(.sms, "cart_nudge")])
                ]),
        ])

    @Test func eventTriggerWithFilterEnters() throws {
        let engine = JourneyEngine(catalog: catalog([Self.cart]))
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0, ["items": .number(0)])
        #expect(c.entries == 0)
        c.event("cart.updated", at: t0 + 1, ["items": .number(2)])
        #expect(c.entries == 1)
        let instance = try #require(c.state.activeInstance(of: "cart"))
        #expect(instance.deadline == t0 + 1 + hour)
        #expect(c.state.nextWakeAt == t0 + 1 + hour)
    }

    @Test func durationWaitThenSend() throws {
        let engine = JourneyEngine(catalog: catalog([Self.cart]))
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0, ["items": .number(2)])
        c.advance(to: t0 + hour - 1)
        #expect(c.outbox.isEmpty)
        c.advance(to: t0 + hour)
        let message = try #require(c.outbox.first)
        #expect(message.message == "cart_reminder")
        #expect(message.at == t0 + hour)
        #expect(message.id == "c1/cart/1/send_cart_reminder/email")
        #expect(message.context["journey"]?[path: ["step"]] == .string("send_cart_reminder"))
        #expect(message.context["event"]?[path: ["items"]] == .number(2))
        #expect(c.state.ledger.entries.count == 1)
    }

    @Test(arguments: [
        // (lifetime value, click offset after the reminder or nil, expected sends)
        (900.0, nil as Double?, ["email cart_reminder", "email vip_discount"]),
        (100.0, nil, ["email cart_reminder", "sms cart_nudge"]),
        (100.0, 2 * hour, ["email cart_reminder"]),
        // An event at exactly the timeout is too late; a second before, it is received.
        (100.0, day - 1, ["email cart_reminder"]),
        (100.0, day, ["email cart_reminder", "sms cart_nudge"]),
        (100.0, day + 1, ["email cart_reminder", "sms cart_nudge"]),
    ])
    func waitForEventPaths(lifetimeValue: Double, clickAfter: Double?, expected: [String]) {
        let engine = JourneyEngine(catalog: catalog([Self.cart]))
        var c = CustomerDriver(
            engine, profile: CustomerProfile(id: "c1", email: "a@b.c", phone: "+1555", attributes: ["lifetime_value": .number(lifetimeValue)]))
        c.event("cart.updated", at: t0, ["items": .number(1)])
        if let clickAfter { c.event("email.clicked", at: t0 + hour + clickAfter) }
        c.advance(to: t0 + 5 * day)
        #expect(c.sends == expected)
        #expect(c.state.instances.allSatisfy { !$0.isActive })
    }

    @Test func exitEventDuringWaitCancelsTheRest() {
        let engine = JourneyEngine(catalog: catalog([Self.cart]))
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0, ["items": .number(1)])
        c.event("order.completed", at: t0 + 30 * minute)
        c.advance(to: t0 + 5 * day)
        #expect(c.outbox.isEmpty)
        #expect(c.exits() == [.event("order.completed")])
        #expect(c.conversions == [30 * minute])
    }

    @Test func goalAfterWindowIsNotAConversion() {
        let engine = JourneyEngine(catalog: catalog([Self.cart]))
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0, ["items": .number(1)])
        c.advance(to: t0 + 4 * day)
        c.event("order.completed", at: t0 + 3 * day + 1)
        #expect(c.conversions.isEmpty)
        #expect(c.state.instances.isEmpty)
    }

    @Test func goalAtWindowEdgeCountsAndOnlyOncePerEntry() {
        let engine = JourneyEngine(catalog: catalog([Self.cart]))
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0, ["items": .number(1)])
        // The journey completes after the timeout path; the goal window is still open.
        c.advance(to: t0 + 2 * day)
        #expect(c.exits() == [.completed])
        c.event("order.completed", at: t0 + 3 * day)
        c.event("order.completed", at: t0 + 3 * day, id: "second")
        #expect(c.conversions == [3 * day])
    }

    @Test func goalThatEndsTheJourneyExitsByGoal() {
        var journey = Self.cart
        journey.goal = Goal(event: "order.completed", filter: nil, within: 3 * day, exitOnGoal: true)
        let engine = JourneyEngine(catalog: catalog([journey]))
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0, ["items": .number(1)])
        c.event("order.completed", at: t0 + 2 * hour)
        #expect(c.exits() == [.goal])
        #expect(c.conversions == [2 * hour])
    }

    @Test(arguments: [
        (EntryRule.oneAtATime, [true, false, true]),
        (.onceEver, [true, false, false]),
        (.oncePer(seconds: 7 * day), [true, false, false]),
        (.always, [true, true, true]),
    ])
    func entryRules(rule: EntryRule, expected: [Bool]) {
        // A journey that waits 2 days: the second trigger (day 1) finds it active, the third (day 3) does not.
        let journey = JourneyBuilder("j", entry: rule, steps: [.wait(2 * day), .send(.email, "m")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var c = CustomerDriver(engine)
        var entered: [Bool] = []
        for at in [t0, t0 + day, t0 + 3 * day] {
            let before = c.entries
            c.event("start", at: at)
            entered.append(c.entries > before)
        }
        #expect(entered == expected)
        if rule == .oneAtATime { #expect(c.notEntered == [.alreadyActive]) }
    }

    @Test func oncePerPeriodAllowsAgainAfterThePeriod() {
        let journey = JourneyBuilder("j", entry: .oncePer(seconds: 7 * day), steps: [.send(.email, "m")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var c = CustomerDriver(engine)
        c.event("start", at: t0)
        c.event("start", at: t0 + 7 * day - 1)
        c.event("start", at: t0 + 7 * day)
        #expect(c.entries == 2)
        #expect(c.notEntered == [.oncePer(period: 7 * day, lastEnteredAt: t0, nextAllowedAt: t0 + 7 * day)])
        #expect(c.outbox.map(\.id) == ["c1/j/1/send_m/email", "c1/j/2/send_m/email"])
    }

    @Test(arguments: [
        (Value.number(600), "email big"),
        (.number(10), "email small"),
        (.string("lots"), "email small"),  // wrong type at run time: comparison is false
        (nil as Value?, "email small"),  // missing attribute
    ])
    func branchOnAttribute(value: Value?, expected: String) {
        let journey = JourneyBuilder(
            "j", steps: [.branch([(attr("ltv") > num(500), [.send(.email, "big")])], otherwise: [.send(.email, "small")])])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var attributes: [String: Value] = [:]
        if let value { attributes["ltv"] = value }
        var c = CustomerDriver(engine, profile: CustomerProfile(id: "c1", email: "a@b.c", attributes: attributes))
        c.event("start", at: t0)
        #expect(c.sends == [expected])
    }

    @Test func splitIsStableWeightedAndControlGetsNothing() throws {
        let journey = JourneyBuilder(
            "j", goal: Goal(event: "buy", filter: nil, within: day, exitOnGoal: false),
            steps: [
                .split("subject", [("A", 45, false, [.send(.email, "a")]), ("B", 45, false, [.send(.email, "b")]), ("control", 10, true, [])]),
                .send(.email, "after"),
            ])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var counts: [String: Int] = [:]
        for n in 0..<4_000 {
            var c = CustomerDriver(engine, profile: CustomerProfile(id: "cust\(n)", email: "x@y.z"))
            c.event("start", at: t0)
            let variant = try #require(c.timeline.compactMap { if case .variantAssigned(_, let v, _, _) = $0.kind { v } else { nil } }.first)
            counts[variant, default: 0] += 1
            switch variant {
            case "control": #expect(c.sends == ["email after"])
            case "A": #expect(c.sends == ["email a", "email after"])
            default: #expect(c.sends == ["email b", "email after"])
            }
            // The same customer always lands in the same variant.
            if n < 20 {
                var again = CustomerDriver(engine, profile: CustomerProfile(id: "cust\(n)", email: "x@y.z"))
                again.event("start", at: t0 + 5 * day)
                #expect(again.state.instances.first?.variants.first?.variant == variant)
            }
        }
        #expect(abs(counts["A", default: 0] - 1_800) < 150)
        #expect(abs(counts["B", default: 0] - 1_800) < 150)
        #expect(abs(counts["control", default: 0] - 400) < 80)
    }

    @Test func splitHashIsPinned() {
        // Guards against accidental changes to the assignment hash (it must never change: customers
        // would switch variants between versions of Herald).
        #expect(StableHash.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(StableHash.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func attributeUpdateTriggersSegmentEntry() {
        let loyal = JourneyBuilder("loyal", trigger: .segmentEntry(segment: "vip"), steps: [.send(.email, "welcome_vip")])
        let earner = JourneyBuilder(
            "earner", entry: .always,
            steps: [.update([AttributeUpdate(attribute: ["points"], operation: .increment(num(40)))])])
        let engine = JourneyEngine(catalog: catalog([loyal, earner], segments: ["vip": attr("points") >= num(100)]))
        var c = CustomerDriver(engine)
        c.event("start", at: t0)
        c.event("start", at: t0 + 1)
        #expect(c.sends.isEmpty)
        c.event("start", at: t0 + 2)
        #expect(c.state.profile.attributes["points"] == .number(120))
        #expect(c.sends == ["email welcome_vip"])
        #expect(c.state.segments == ["vip"])
        // Staying in the segment does not re-enter.
        c.event("start", at: t0 + 3)
        #expect(c.sends == ["email welcome_vip"])
    }

    @Test func behaviouralCountWithinWindow() {
        let hesitant = JourneyBuilder("hesitant", trigger: .segmentEntry(segment: "hesitant"), steps: [.send(.email, "nudge")])
        let segment: Expression = .binary(
            .and, .eventCount(name: "product.viewed", filter: nil, within: 7 * day) >= num(3),
            .binary(.equal, .eventCount(name: "order.completed", filter: nil, within: nil), num(0)))
        let engine = JourneyEngine(catalog: catalog([hesitant], segments: ["hesitant": segment]))
        var c = CustomerDriver(engine)
        c.event("product.viewed", at: t0)
        c.event("product.viewed", at: t0 + 1 * day)
        // The first view has left the 7-day window by the third view.
        c.event("product.viewed", at: t0 + 7 * day + 1)
        #expect(c.sends.isEmpty)
        c.event("product.viewed", at: t0 + 7 * day + 2)
        #expect(c.sends == ["email nudge"])
        // History keeps only what the window needs.
        #expect((c.state.history.events["product.viewed"]?.count ?? 0) <= 3)
    }

    @Test func explicitExitAndCompletion() {
        let journey = JourneyBuilder("j", steps: [.branch([(attr("vip") == .literal(.bool(true)), [.exit("vip customers skip")])], otherwise: [])])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var vip = CustomerDriver(engine, profile: CustomerProfile(id: "v", attributes: ["vip": .bool(true)]))
        vip.event("start", at: t0)
        #expect(vip.exits() == [.explicit("vip customers skip")])
        var other = CustomerDriver(engine, profile: CustomerProfile(id: "o"))
        other.event("start", at: t0)
        #expect(other.exits() == [.completed])
    }

    @Test func exitConditionEndsInstanceAndRefusesEntry() {
        let journey = JourneyBuilder(
            "j", exits: [.condition(attr("unsubscribed") == .literal(.bool(true)))], steps: [.wait(day), .send(.email, "m")])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var c = CustomerDriver(engine)
        c.event("start", at: t0)
        c.collect(engine.handle(.profile(CustomerProfile(id: "c1", attributes: ["unsubscribed": .bool(true)])), state: &c.state, now: t0 + hour))
        #expect(c.exits() == [.condition])
        c.event("start", at: t0 + 2 * hour)
        #expect(c.notEntered == [.exitConditionHolds])
        c.advance(to: t0 + 3 * day)
        #expect(c.outbox.isEmpty)
    }
}
