import JourneyLanguage
import Testing

@testable import JourneyEngine

struct EngineEdgeCaseTests {
    static let reminder = JourneyBuilder(
        "reminder", trigger: .event(name: "cart.updated", filter: nil), exits: [.event(name: "order.completed", filter: nil)],
        steps: [.wait(hour), .send(.email, "cart_reminder")])

    @Test func outOfOrderEventIsProcessedAtTheCustomersClock() {
        let counter = JourneyBuilder("counter", trigger: .segmentEntry(segment: "viewer"), steps: [.send(.email, "seen")])
        let engine = JourneyEngine(
            catalog: catalog(
                [Self.reminder, counter], segments: ["viewer": .eventCount(name: "product.viewed", filter: nil, within: day) >= num(2)]))
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0 + 2 * hour)
        c.advance(to: t0 + 4 * hour)
        #expect(c.sends == ["email cart_reminder"])
        // A late order (stamped before the reminder) cannot undo the send; it still ends nothing
        // that is already finished, and the clock does not move back.
        let late = CustomerEvent(id: "late", customerID: "c1", name: "order.completed", timestamp: t0 + 2 * hour + 10)
        c.collect(engine.handle(.event(late), state: &c.state, now: t0 + 4 * hour))
        // Processed at the customer's clock (the reminder's decision, 03:00), not back at 02:00.
        #expect(c.state.clock == t0 + 3 * hour)
        // Late events still count in history at their own timestamps.
        let view1 = CustomerEvent(id: "v1", customerID: "c1", name: "product.viewed", timestamp: t0 + 3 * hour)
        let view0 = CustomerEvent(id: "v0", customerID: "c1", name: "product.viewed", timestamp: t0 + 1 * hour)
        c.collect(engine.handle(.event(view1), state: &c.state, now: t0 + 4 * hour))
        c.collect(engine.handle(.event(view0), state: &c.state, now: t0 + 4 * hour))
        #expect(c.state.history.events["product.viewed"]?.map(\.timestamp) == [t0 + hour, t0 + 3 * hour])
        #expect(c.sends == ["email cart_reminder", "email seen"])
    }

    @Test func lateExitEventStampedBeforeTheTimerStillWinsIfTheTimerHasNotFired() {
        let engine = JourneyEngine(catalog: catalog([Self.reminder]))
        var state = CustomerState(profile: CustomerProfile(id: "c1", email: "c@x.y"))
        _ = engine.handle(.event(CustomerEvent(id: "a", customerID: "c1", name: "cart.updated", timestamp: t0)), state: &state, now: t0)
        // The order happened at 00:59 but reaches the engine at 01:00:05, before any wake-up ran:
        // timers due before the event's own time fire first, so the order ends the instance.
        let order = CustomerEvent(id: "b", customerID: "c1", name: "order.completed", timestamp: t0 + hour - 60)
        let output = engine.handle(.event(order), state: &state, now: t0 + hour + 5)
        #expect(output.outbox.isEmpty)
        #expect(state.instances.isEmpty)
    }

    @Test func unknownCustomerWithBareProfile() {
        let journey = JourneyBuilder(
            "j", trigger: .event(name: "signup", filter: .binary(.equal, attr("plan", "tier"), str("pro"))), steps: [.send(.email, "hi")])
        let open = JourneyBuilder("open", trigger: .event(name: "signup", filter: nil), steps: [.send(.sms, "hey")])
        let engine = JourneyEngine(catalog: catalog([journey, open]))
        var state = CustomerState(profile: CustomerProfile(id: "ghost"))
        let output = engine.handle(.event(CustomerEvent(id: "1", customerID: "ghost", name: "signup", timestamp: t0)), state: &state, now: t0)
        // Missing attributes are null: the filter is false. No contact data: the decision is the policy's.
        #expect(output.timeline.contains { if case .entered = $0.kind { $0.journey == "open" } else { false } })
        #expect(!output.timeline.contains { $0.journey == "j" })
        #expect(state.clock == t0)
    }

    @Test func redeliveredEventIsIgnored() {
        let engine = JourneyEngine(catalog: catalog([JourneyBuilder("j", entry: .always, steps: [.send(.email, "m")])]))
        var c = CustomerDriver(engine)
        c.event("start", at: t0, id: "same")
        c.event("start", at: t0 + 1, id: "same")
        #expect(c.entries == 1)
    }

    @Test func instancesStayOnTheirVersion() throws {
        let v1 = JourneyBuilder("j", version: "v1", steps: [.wait(day), .send(.email, "old_message")])
        let v2 = JourneyBuilder("j", version: "v2", entry: .always, steps: [.wait(day), .send(.email, "new_message")])
        let first = JourneyEngine(catalog: catalog([v1]))
        var c = CustomerDriver(first)
        c.event("start", at: t0)
        // Deploy v2, retaining v1: the in-flight instance finishes on v1, new entries use v2.
        let second = JourneyEngine(catalog: catalog([v2]), retainedPrograms: [v1.build()])
        var d = CustomerDriver(second)
        d.state = c.state
        d.event("start", at: t0 + hour, id: "second-entry")
        d.advance(to: t0 + 3 * day)
        #expect(d.sends == ["email old_message", "email new_message"])
        #expect(d.outbox.map(\.journeyVersion) == ["v1", "v2"])

        // Without retaining v1, the instance moves to v2 by state label.
        let third = JourneyEngine(catalog: catalog([v2]))
        var e = CustomerDriver(third)
        e.state = c.state
        e.advance(to: t0 + 3 * day)
        #expect(e.sends == ["email new_message"])
        #expect(e.timeline.contains { if case .migrated(from: "v1", to: "v2", step: "wait") = $0.kind { true } else { false } })
    }

    @Test func retiredVersionWithoutCounterpartExits() {
        let v1 = JourneyBuilder("j", version: "v1", steps: [.waitFor("click", timeout: day, onEvent: [], onTimeout: [])])
        let v2 = JourneyBuilder("j", version: "v2", steps: [.wait(day)])
        var c = CustomerDriver(JourneyEngine(catalog: catalog([v1])))
        c.event("start", at: t0)
        var d = CustomerDriver(JourneyEngine(catalog: catalog([v2])))
        d.state = c.state
        d.event("unrelated", at: t0 + hour, id: "any-input")
        #expect(d.exits() == [.versionRetired])
    }

    @Test func settleWindowHoldsSendsAndDecidesThemTogether() throws {
        let low = JourneyBuilder("low", trigger: .event(name: "go", filter: nil), priority: 10, steps: [.send(.email, "low_m")])
        let high = JourneyBuilder("high", trigger: .event(name: "go", filter: nil), priority: 90, steps: [.wait(30), .send(.email, "high_m")])
        var engine = JourneyEngine(catalog: catalog([low, high], policy: DeliveryPolicyProgram(settleWindow: 60)))
        let batches = Recorder()
        engine.decide = { requests, _, _, _ in
            batches.append(requests.map(\.id).sorted())
            // The higher priority wins; the other is skipped.
            let top = requests.max { $0.priority < $1.priority }!
            return requests.map {
                $0 == top
                    ? .send(channel: $0.send.channel, notes: []) : .skipped(reason: .conflict(winner: top.journey, winnerPriority: top.priority))
            }
        }
        var c = CustomerDriver(engine)
        c.event("go", at: t0)
        #expect(c.outbox.isEmpty)
        #expect(c.state.nextWakeAt == t0 + 30)
        c.advance(to: t0 + 90)
        // The first settle deadline (+60, the low send's) decides every send requested by then:
        // the high one (requested at +30) joins the batch and wins.
        #expect(batches.values == [["c1/high/1/send_high_m", "c1/low/1/send_low_m"]])
        #expect(c.sends == ["email high_m"])
        #expect(c.outbox.map { Value.formatTime($0.at) } == ["2026-03-02T00:01:00Z"])
        #expect(
            c.timeline.contains { if case .skipped(_, "low_m", _, .conflict(winner: "high", winnerPriority: 90)) = $0.kind { true } else { false } })
    }

    @Test func sameInstantSendsFormOneBatch() {
        let a = JourneyBuilder("a", trigger: .event(name: "go", filter: nil), priority: 10, steps: [.send(.sms, "a_m")])
        let b = JourneyBuilder("b", trigger: .event(name: "go", filter: nil), priority: 90, steps: [.send(.sms, "b_m")])
        var engine = JourneyEngine(catalog: catalog([a, b]))
        engine.decide = { requests, _, _, _ in
            let top = requests.max { $0.priority < $1.priority }!
            return requests.map {
                $0 == top
                    ? .send(channel: .sms, notes: [])
                    : .send(channel: .email, notes: [.fellBack(from: .sms, because: .conflict(winner: top.journey, winnerPriority: top.priority))])
            }
        }
        var c = CustomerDriver(engine)
        c.event("go", at: t0)
        #expect(Set(c.sends) == ["sms b_m", "email a_m"])
        #expect(c.outbox.contains { $0.id == "c1/a/1/send_a_m/email" })
    }

    @Test func deferredSendIsPresentedAgainAndDoesNotBlockTheJourney() {
        let journey = JourneyBuilder("j", steps: [.send(.email, "first"), .wait(hour), .send(.email, "second")])
        var engine = JourneyEngine(catalog: catalog([journey]))
        engine.decide = { requests, _, _, now in
            requests.map {
                $0.send.message == "first" && now < t0 + 2 * hour
                    ? .deferred(
                        until: t0 + 2 * hour,
                        reason: .quietHours(
                            channel: .email, start: LocalTime(hour: 21, minute: 0), end: LocalTime(hour: 2, minute: 0), endsAt: t0 + 2 * hour))
                    : .send(channel: $0.send.channel, notes: [])
            }
        }
        var c = CustomerDriver(engine)
        c.event("start", at: t0)
        c.advance(to: t0 + 3 * hour)
        #expect(c.sends == ["email second", "email first"])
        #expect(c.outbox.map(\.at) == [t0 + hour, t0 + 2 * hour])
        #expect(c.timeline.contains { if case .deferred(_, "first", _, t0 + 2 * hour, _) = $0.kind { true } else { false } })
        #expect(c.state.pendingSends.isEmpty)
    }

    @Test func exitCancelsPendingDeferredSend() {
        var engine = JourneyEngine(catalog: catalog([Self.reminder]))
        engine.decide = { requests, _, _, now in
            requests.map { _ in
                now < t0 + 10 * hour
                    ? .deferred(until: t0 + 10 * hour, reason: .minimumGap(lastSentAt: t0, gap: 10 * hour, allowedAt: t0 + 10 * hour))
                    : .send(channel: .email, notes: [])
            }
        }
        var c = CustomerDriver(engine)
        c.event("cart.updated", at: t0)
        c.advance(to: t0 + 2 * hour)
        #expect(c.state.pendingSends.count == 1)
        c.event("order.completed", at: t0 + 5 * hour)
        c.advance(to: t0 + day)
        #expect(c.outbox.isEmpty)
        #expect(c.timeline.contains { if case .sendCancelled(_, "cart_reminder", _, .event("order.completed")) = $0.kind { true } else { false } })
    }

    @Test func loopingJourneyGetsDistinctKeysAndStepLimitStopsActionCycles() throws {
        // A cycle through a wait is fine: each visit of the send has its own dedup key.
        var program = JourneyBuilder("loop", steps: [.send(.email, "tick"), .wait(day)]).build()
        // Point the wait back at the send.
        let waitID = try #require(program.states.firstIndex { $0.label == "wait" })
        let sendID = try #require(program.states.firstIndex { $0.label == "send_tick" })
        program.states[waitID].kind = .wait(.duration(seconds: day, next: sendID))
        var cycle = JourneyBuilder("cycle", steps: [.update([AttributeUpdate(attribute: ["n"], operation: .increment(num(1)))])]).build()
        let updateID = try #require(cycle.states.firstIndex { $0.label == "update" })
        cycle.states[updateID].kind = .update([AttributeUpdate(attribute: ["n"], operation: .increment(num(1)))], next: updateID)
        let engine = JourneyEngine(
            catalog: JourneyCatalog(journeys: [cycle, program], segments: [:], policy: DeliveryPolicyProgram(), schema: Schema(), messages: [:]))
        var c = CustomerDriver(engine)
        c.event("start", at: t0)
        c.advance(to: t0 + 2 * day)
        #expect(c.outbox.map(\.id) == ["c1/loop/1/send_tick/email", "c1/loop/1/send_tick#2/email", "c1/loop/1/send_tick#3/email"])
        #expect(c.exits("cycle") == [.stepLimit])
    }

    @Test func failedDeliveryReleasesTheCapSlotAndBecomesAnEvent() throws {
        let journey = JourneyBuilder(
            "j", steps: [.send(.email, "m"), .waitFor("message.failed", timeout: day, onEvent: [.send(.sms, "sms_instead")], onTimeout: [])])
        let engine = JourneyEngine(catalog: catalog([journey]))
        var c = CustomerDriver(engine)
        c.event("start", at: t0)
        let id = try #require(c.outbox.first?.id)
        c.collect(engine.handle(.deliveryOutcome(messageID: id, delivered: false, detail: "550 mailbox unavailable"), state: &c.state, now: t0 + 60))
        #expect(c.sends == ["email m", "sms sms_instead"])
        #expect(c.state.ledger.entries.map(\.message) == ["sms_instead"])
    }

    @Test func profileUpdatesMergeAttributes() {
        let engine = JourneyEngine(catalog: catalog([]))
        var state = CustomerState(profile: CustomerProfile(id: "c", email: "a@b.c", attributes: ["a": .number(1), "b": .number(2)]))
        _ = engine.handle(
            .profile(CustomerProfile(id: "c", phone: "+1", subscriptions: ["sms": false], attributes: ["b": .null, "c": .string("x")])),
            state: &state,
            now: t0)
        #expect(state.profile.email == "a@b.c")
        #expect(state.profile.phone == "+1")
        #expect(state.profile.attributes == ["a": .number(1), "c": .string("x")])
        #expect(state.profile.subscriptions == ["sms": false])
    }
}

/// Collects values from inside a `@Sendable` closure in a test.
final class Recorder: @unchecked Sendable {
    private(set) var values: [[String]] = []
    func append(_ value: [String]) { values.append(value) }
}
