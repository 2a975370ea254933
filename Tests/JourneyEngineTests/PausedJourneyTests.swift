import JourneyLanguage
import Testing

@testable import JourneyEngine

/// A paused journey takes no new entries and its instances hold; a resume continues them at the
/// instant the customer is next handled (docs/semantics.md, "Paused journeys").
struct PausedJourneyTests {
    static let reminder = JourneyBuilder(
        "reminder", exits: [.event(name: "order.completed", filter: nil)], steps: [.wait(hour), .send(.email, "cart_reminder")])
    static let clicks = JourneyBuilder(
        "clicks",
        steps: [
            .waitFor("click", timeout: day, onEvent: [.send(.email, "thanks")], onTimeout: [.send(.email, "nudge")])
        ])

    /// Runs `c` on a different engine (a redeploy with other pause switches), keeping its state.
    /// (Events sent through the new driver need ids of their own: its counter starts again.)
    static func redeploy(_ c: CustomerDriver, _ engine: JourneyEngine) -> CustomerDriver {
        var d = CustomerDriver(engine)
        d.state = c.state
        d.outbox = c.outbox
        d.timeline = c.timeline
        return d
    }

    /// What the service does after a redeploy: wake the customer when this engine finds work due.
    static func wakeIfDue(_ d: inout CustomerDriver, now: Double) {
        if let due = d.engine.nextWakeAt(of: d.state), due <= now {
            d.collect(d.engine.handle(.wake, state: &d.state, now: now))
        }
    }

    @Test func pausedJourneyTakesNoNewEntries() {
        let engine = JourneyEngine(catalog: catalog([Self.reminder]), paused: ["reminder"])
        var c = CustomerDriver(engine)
        c.event("start", at: t0)
        #expect(c.entries == 0)
        #expect(c.notEntered == [.journeyPaused])
        #expect(c.state.instances.isEmpty)
        #expect(engine.nextWakeAt(of: c.state) == nil)
    }

    @Test func heldTimerDoesNotFireWhilePausedAndFiresAtTheResumeInstant() {
        let running = JourneyEngine(catalog: catalog([Self.reminder]))
        let paused = JourneyEngine(catalog: catalog([Self.reminder]), paused: ["reminder"])
        var c = CustomerDriver(running)
        c.event("start", at: t0)
        #expect(c.state.nextWakeAt == t0 + hour)

        // Paused before the hour is up; the customer's wake-up comes due and finds it held.
        #expect(paused.nextWakeAt(of: c.state) == t0 + hour, "not yet marked held: due, so the step can mark it")
        var p = Self.redeploy(c, paused)
        p.collect(paused.handle(.wake, state: &p.state, now: t0 + hour))
        #expect(p.sends.isEmpty)
        #expect(p.state.instances.first?.heldSince == t0 + hour)
        #expect(p.timeline.contains { if case .held(step: "wait") = $0.kind { true } else { false } })
        // Nothing is due for the paused engine (no spinning), but the customer holds work.
        #expect(p.state.nextWakeAt == nil)
        #expect(paused.nextWakeAt(of: p.state) == nil)
        #expect(paused.holdsWork(of: p.state))
        p.advance(to: t0 + 5 * hour)
        p.event("unrelated", at: t0 + 5 * hour, id: "after-redeploy-1")
        #expect(p.sends.isEmpty)

        // Resumed at 06:00: the running engine finds the held timer due at once.
        var r = Self.redeploy(p, running)
        #expect(running.nextWakeAt(of: r.state) == t0 + hour)
        Self.wakeIfDue(&r, now: t0 + 6 * hour)
        #expect(r.sends == ["email cart_reminder"])
        #expect(r.outbox.first?.at == t0 + 6 * hour)  // at the resume, not back at 01:00
        #expect(r.timeline.contains { if case .resumed(step: "wait", heldFor: 5 * hour) = $0.kind { true } else { false } })
        #expect(!running.holdsWork(of: r.state))
        #expect(r.state.instances.allSatisfy { $0.heldSince == nil })
    }

    @Test func aDeadlineStillAheadAtTheResumeKeepsItsTime() {
        let running = JourneyEngine(catalog: catalog([Self.reminder]))
        let paused = JourneyEngine(catalog: catalog([Self.reminder]), paused: ["reminder"])
        var c = CustomerDriver(running)
        c.event("start", at: t0)
        var p = Self.redeploy(c, paused)
        p.event("unrelated", at: t0 + 10 * minute, id: "after-redeploy-2")
        #expect(p.state.instances.first?.heldSince == t0 + 10 * minute)
        var r = Self.redeploy(p, running)
        Self.wakeIfDue(&r, now: t0 + 20 * minute)
        #expect(r.sends.isEmpty)
        #expect(r.state.nextWakeAt == t0 + hour)
        r.advance(to: t0 + 2 * hour)
        #expect(r.outbox.map(\.at) == [t0 + hour])
    }

    @Test func exitEventsStillEndHeldInstances() {
        let running = JourneyEngine(catalog: catalog([Self.reminder]))
        let paused = JourneyEngine(catalog: catalog([Self.reminder]), paused: ["reminder"])
        var c = CustomerDriver(running)
        c.event("start", at: t0)
        var p = Self.redeploy(c, paused)
        p.event("order.completed", at: t0 + 2 * hour, id: "after-redeploy-3")
        #expect(p.exits() == [.event("order.completed")])
        var r = Self.redeploy(p, running)
        Self.wakeIfDue(&r, now: t0 + 3 * hour)
        r.advance(to: t0 + day)
        #expect(r.sends.isEmpty)
        #expect(!running.holdsWork(of: r.state))
    }

    @Test func anEventAHeldWaitReceivesAdvancesItOnResume() {
        let running = JourneyEngine(catalog: catalog([Self.clicks]))
        let paused = JourneyEngine(catalog: catalog([Self.clicks]), paused: ["clicks"])
        var c = CustomerDriver(running)
        c.event("start", at: t0)
        var p = Self.redeploy(c, paused)
        p.event("click", at: t0 + hour, ["link": .string("a")], id: "after-redeploy-4")
        p.event("click", at: t0 + 2 * hour, ["link": .string("b")], id: "after-redeploy-5")
        #expect(p.sends.isEmpty)
        #expect(p.state.instances.first?.heldEvent?.properties["link"] == .string("a"))  // the first one

        // Resumed after the wait's timeout: the click received in time wins over the timeout.
        var r = Self.redeploy(p, running)
        Self.wakeIfDue(&r, now: t0 + 3 * day)
        #expect(r.sends == ["email thanks"])
        #expect(r.outbox.first?.at == t0 + 3 * day)
        #expect(r.state.instances.allSatisfy { $0.heldEvent == nil })
    }

    /// After the timeout, or at its very instant (too late, as when the journey runs), a held
    /// wait keeps no event.
    @Test(arguments: [2 * day, day])
    func anEventAfterTheHeldWaitsTimeoutIsNotKept(clickAfter: Double) {
        let running = JourneyEngine(catalog: catalog([Self.clicks]))
        let paused = JourneyEngine(catalog: catalog([Self.clicks]), paused: ["clicks"])
        var c = CustomerDriver(running)
        c.event("start", at: t0)
        var p = Self.redeploy(c, paused)
        p.event("click", at: t0 + clickAfter, id: "after-redeploy-6")
        #expect(p.state.instances.first?.heldEvent == nil)
        var r = Self.redeploy(p, running)
        Self.wakeIfDue(&r, now: t0 + 3 * day)
        #expect(r.sends == ["email nudge"])
    }

    @Test func undecidedSendsHoldAndAreDecidedAtTheResume() {
        let journey = JourneyBuilder("j", steps: [.send(.email, "hello")])
        let policy = DeliveryPolicyProgram(settleWindow: 10 * minute)
        let running = JourneyEngine(catalog: catalog([journey], policy: policy))
        let paused = JourneyEngine(catalog: catalog([journey], policy: policy), paused: ["j"])
        var c = CustomerDriver(running)
        c.event("start", at: t0)
        #expect(c.state.pendingSends.count == 1)
        var p = Self.redeploy(c, paused)
        p.event("unrelated", at: t0 + minute, id: "after-redeploy-7")
        p.advance(to: t0 + hour)
        #expect(p.sends.isEmpty)
        #expect(p.state.pendingSends.first?.heldSince == t0 + minute)
        #expect(paused.nextWakeAt(of: p.state) == nil)
        #expect(paused.holdsWork(of: p.state))

        var r = Self.redeploy(p, running)
        Self.wakeIfDue(&r, now: t0 + 2 * hour)
        #expect(r.sends == ["email hello"])
        #expect(r.outbox.first?.at == t0 + 2 * hour)
        #expect(r.state.pendingSends.isEmpty)
    }

    @Test func otherJourneysRunWhileOneIsPaused() {
        let other = JourneyBuilder("other", steps: [.wait(hour), .send(.sms, "other_message")])
        let running = JourneyEngine(catalog: catalog([Self.reminder, other]))
        let paused = JourneyEngine(catalog: catalog([Self.reminder, other]), paused: ["reminder"])
        var c = CustomerDriver(running)
        c.event("start", at: t0)
        var p = Self.redeploy(c, paused)
        p.advance(to: t0 + 3 * hour)
        #expect(p.sends == ["sms other_message"])
        #expect(p.state.instances.filter(\.isActive).map(\.journey) == ["reminder"])
        var r = Self.redeploy(p, running)
        Self.wakeIfDue(&r, now: t0 + 4 * hour)
        #expect(r.sends == ["sms other_message", "email cart_reminder"])
    }
}
