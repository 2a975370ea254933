import JourneyLanguage
import Testing

@testable import JourneyEngine

/// The engine applies a declared migration (`migrate …` in the journey's current version) to the
/// customers waiting in an older version, the next time it handles them: moved with the deadline
/// kept or restarted, taken out of the journey, or left on their version; recorded in the
/// timeline; no send repeated, no pending send's id lost. The plan says the same thing.
struct DeclaredMigrationEngineTests {
    /// A journey file's catalog (with a policy of `policy` lines).
    static func catalog(_ steps: [String], migrate: [String] = [], policy: [String] = []) throws -> JourneyCatalog {
        let journey =
            "journey cart \"cart\"\n  trigger on event \"go\"\n  entry always\n" + migrate.map { "  " + $0 + "\n" }.joined() + "\n"
            + steps.map { "  " + $0 + "\n" }.joined()
        var sources = ["cart.journey": journey]
        sources["policy.journey"] = "policy\n  time zone \"UTC\"\n" + policy.map { "  " + $0 + "\n" }.joined()
        let compilation = JourneyCompiler.compile(sources: sources)
        return try #require(compilation.catalog, "\(compilation.diagnostics)")
    }

    static let v1Steps = [
        "send webhook hello transactional", "wait 1 hour", "send webhook reminder transactional",
        "wait for event \"clicked\" up to 1 day", "  received -> exit \"clicked\"", "  timeout -> exit \"ignored\"",
    ]

    /// A customer who entered v1 at t0 and waits at `wait_1_hour` (or, after `until`, further on).
    static func entered(_ v1: JourneyCatalog, until: Double = t0 + 10 * 60) -> CustomerDriver {
        var c = CustomerDriver(JourneyEngine(catalog: v1))
        c.event("go", at: t0)
        c.advance(to: until)
        return c
    }

    /// The same customer continued under `catalog`, with v1 still held (as the service holds every version).
    static func continued(_ c: CustomerDriver, under catalog: JourneyCatalog, v1: JourneyCatalog) -> CustomerDriver {
        var d = CustomerDriver(JourneyEngine(catalog: catalog, retainedPrograms: v1.journeys))
        d.state = c.state
        d.outbox = c.outbox
        return d
    }

    func moves(_ d: CustomerDriver) -> [String] {
        d.timeline.compactMap {
            guard case .movedByMigration(_, let from, _, let to, let kept, let line) = $0.kind else { return nil }
            return "\(from)→\(to) \(kept ? "kept" : "restarted") line \(line)"
        }
    }

    @Test func aMovedWaitKeepsItsDeadlineAndASendAlreadyMadeIsNotMadeAgain() throws {
        let v1 = try Self.catalog(Self.v1Steps)
        // v2 waits 2 hours first and sends hello again after it: a customer moved there from
        // wait_1_hour must not get hello twice.
        let v2 = try Self.catalog(
            ["wait 2 hours", "send webhook hello transactional", "send webhook reminder transactional", "exit \"done\""],
            migrate: ["migrate from wait_1_hour to wait_2_hours keep deadline", "migrate others stay"])
        let c = Self.entered(v1)
        #expect(c.sends == ["webhook hello"])
        var d = Self.continued(c, under: v2, v1: v1)
        let deploy = t0 + 20 * 60
        d.collect(d.engine.handle(.wake, state: &d.state, now: deploy))
        let instance = try #require(d.state.instances.first)
        #expect(instance.version == v2.journeys[0].version && instance.step == "wait_2_hours")
        #expect(instance.deadline == t0 + hour, "deadline kept: v1's wait ends at 01:00")
        #expect(moves(d) == ["wait_1_hour→wait_2_hours kept line 4"])
        let record = try #require(d.timeline.first { if case .movedByMigration = $0.kind { true } else { false } })
        #expect(record.at == deploy && record.version == v2.journeys[0].version)
        d.advance(to: t0 + 5 * hour)
        // hello was sent by v1 (same step label, same message id): skipped as a duplicate.
        #expect(d.sends == ["webhook hello", "webhook reminder"])
        #expect(Set(d.outbox.map(\.id)).count == d.outbox.count)
        #expect(d.timeline.contains { if case .skipped(_, "hello", _, .duplicate) = $0.kind { true } else { false } })
        #expect(d.exits() == [.explicit("done")])
    }

    @Test func aRestartedWaitStartsAtTheMigration() throws {
        let v1 = try Self.catalog(Self.v1Steps)
        let v2 = try Self.catalog(
            ["send webhook hello transactional", "wait 2 hours", "send webhook reminder transactional"],
            migrate: ["migrate from wait_1_hour to wait_2_hours restart"])
        var d = Self.continued(Self.entered(v1), under: v2, v1: v1)
        let deploy = t0 + 30 * 60
        d.collect(d.engine.handle(.wake, state: &d.state, now: deploy))
        #expect(d.state.instances.first?.deadline == deploy + 2 * hour)
        #expect(moves(d) == ["wait_1_hour→wait_2_hours restarted line 4"])
        d.advance(to: deploy + 2 * hour - 1)
        #expect(d.sends == ["webhook hello"])
        d.advance(to: deploy + 2 * hour)
        #expect(d.sends == ["webhook hello", "webhook reminder"])
    }

    @Test func exitOthersAndAChangeOfWaitKindFollowTheDeclaration() throws {
        let v1 = try Self.catalog(Self.v1Steps)
        let at1h = Self.entered(v1)
        let atClick = Self.entered(v1, until: t0 + 2 * hour)
        #expect(atClick.state.instances.first?.step == "wait_for_clicked")
        let steps = ["wait 2 hours", "wait for event \"clicked\" up to 2 days", "  received -> exit \"clicked\"", "  timeout -> exit \"late\""]
        func run(_ c: CustomerDriver, _ migrate: [String]) throws -> CustomerDriver {
            var d = Self.continued(c, under: try Self.catalog(steps, migrate: migrate), v1: v1)
            d.collect(d.engine.handle(.wake, state: &d.state, now: t0 + 3 * hour))
            return d
        }
        // An explicit exit: finished with reason `migration`.
        let exited = try run(atClick, ["migrate from wait_for_clicked exit"])
        #expect(exited.exits() == [.migration] && exited.state.instances.allSatisfy { !$0.isActive })
        // `migrate others exit` takes out the steps no rule names.
        #expect(try run(at1h, ["migrate from wait_for_clicked exit", "migrate others exit"]).exits() == [.migration])
        // `migrate others stay`, and a step no rule names: they finish on v1.
        for migrate in [["migrate from wait_for_clicked exit", "migrate others stay"], ["migrate from wait_for_clicked exit"]] {
            let stayed = try run(at1h, migrate)
            #expect(stayed.state.instances.first?.version == v1.journeys[0].version && moves(stayed).isEmpty && stayed.exits().isEmpty)
        }
        // A wait for events cannot become a timed wait: they stay.
        let kind = try run(atClick, ["migrate from wait_for_clicked to wait_2_hours"])
        #expect(kind.state.instances.first?.version == v1.journeys[0].version && kind.state.instances.first?.isActive == true)
        // An event wait moved with its deadline kept times out at v1's instant, on v2's branch.
        var kept = try run(atClick, ["migrate from wait_for_clicked to wait_for_clicked keep deadline"])
        #expect(kept.state.instances.first?.deadline == t0 + hour + day)
        kept.advance(to: t0 + 3 * day)
        #expect(kept.exits() == [.explicit("late")])
    }

    @Test func aPendingSendKeepsItsIdAndIsDecidedOnce() throws {
        // A settle window keeps hello undecided for 5 minutes; the deployment comes in between.
        let v1 = try Self.catalog(
            ["send webhook hello", "wait 1 hour", "send webhook reminder"], policy: ["settle window 5 minutes"])
        let v2 = try Self.catalog(
            ["wait 2 hours", "send webhook reminder"], migrate: ["migrate from wait_1_hour to wait_2_hours keep deadline"],
            policy: ["settle window 5 minutes"])
        let c = Self.entered(v1, until: t0 + 60)
        #expect(c.sends.isEmpty && c.state.pendingSends.count == 1)
        let id = try #require(c.state.pendingSends.first?.request.id)
        var d = Self.continued(c, under: v2, v1: v1)
        d.collect(d.engine.handle(.wake, state: &d.state, now: t0 + 120))
        #expect(d.state.instances.first?.step == "wait_2_hours")
        #expect(d.state.pendingSends.first?.request.id == id, "the undecided send keeps its id")
        d.advance(to: t0 + 3 * hour)
        #expect(d.outbox.map(\.id) == ["\(id)/webhook", "c1/cart/1/send_webhook_reminder/webhook"])
    }

    @Test func aPausedJourneysCustomersMoveAndStayHeld() throws {
        let v1 = try Self.catalog(Self.v1Steps)
        let v2 = try Self.catalog(["wait 2 hours", "send webhook reminder transactional"], migrate: ["migrate from wait_1_hour to wait_2_hours"])
        let c = Self.entered(v1)
        var d = CustomerDriver(JourneyEngine(catalog: v2, retainedPrograms: v1.journeys, paused: ["cart"]))
        d.state = c.state
        d.collect(d.engine.handle(.wake, state: &d.state, now: t0 + 20 * 60))
        let instance = try #require(d.state.instances.first)
        #expect(instance.step == "wait_2_hours" && instance.heldSince == t0 + 20 * 60)
        #expect(d.engine.pendingMigrations(in: d.state).isEmpty)
    }

    @Test func customersOfAnOlderVersionMoveByLabelAndThePlanSaysWhatTheEngineDoes() throws {
        // v1 → v2 (no migration) → v3 declaring one: a customer still on v1 moves too.
        let v1 = try Self.catalog(Self.v1Steps)
        let v2 = try Self.catalog(["wait 1 hour", "send webhook other transactional"])
        let v3 = try Self.catalog(["wait 2 hours", "send webhook reminder transactional"], migrate: ["migrate from wait_1_hour to wait_2_hours"])
        let onV1 = Self.entered(v1)
        var onV2 = CustomerDriver(JourneyEngine(catalog: v2), profile: CustomerProfile(id: "c2"))
        onV2.event("go", at: t0)
        let engine = JourneyEngine(catalog: v3, retainedPrograms: v1.journeys + v2.journeys)
        #expect(engine.pendingMigrations(in: onV1.state).map(\.decision.applies) == [true])
        let plan = DeploymentPlan(
            live: v2.journeys, candidate: v3.journeys, waiting: WaitingInstances.count([onV1.state, onV2.state]),
            archive: v1.journeys + v2.journeys)
        let planned = try #require(plan.journeys.first).waiting
        #expect(planned.count == 2 && planned.allSatisfy { $0.migration?.action == .move && $0.migration?.toStep == "wait_2_hours" })
        var after: [CustomerState] = []
        for var state in [onV1.state, onV2.state] {
            _ = engine.handle(.wake, state: &state, now: t0 + 30 * 60)
            after.append(state)
        }
        #expect(
            WaitingInstances.count(after)
                == [WaitingInstances(journey: "cart", version: v3.journeys[0].version, step: "wait_2_hours", count: 2)])
    }
}
