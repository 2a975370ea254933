import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

// `SplitMix64` (the seeded generator) is in Policy/PolicyFixtures.swift.

/// Random journeys and random event streams.
struct RandomWorld {
    var rng: SplitMix64
    static let events = ["a", "b", "c", "buy", "view"]
    static let zones = ["UTC", "America/New_York", "Europe/Paris", "Pacific/Kiritimati", "Etc/GMT+12", "Australia/Lord_Howe", "Nope/Invalid"]

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func condition() -> JourneyLanguage.Expression {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: attr("score") > num(Double(Int.random(in: 0..<10, using: &rng)))
        case 1: .eventCount(name: pick(Self.events), filter: nil, within: pick([hour, day, nil])) >= num(2)
        case 2: .binary(.equal, prop("kind"), str(pick(["x", "y"])))
        case 3: .call(.localHour, [.now]) > num(12)
        default: .exists(attr("missing"))
        }
    }

    mutating func steps(depth: Int) -> [Step] {
        var result: [Step] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<(depth > 2 ? 4 : 8), using: &rng) {
            case 0: result.append(.send(pick(Channel.allCases), "m\(Int.random(in: 0..<5, using: &rng))"))
            case 1: result.append(.wait(pick([0, 1, minute, hour, day])))
            case 2:
                result.append(
                    .update([AttributeUpdate(attribute: ["score"], operation: .increment(num(Double(Int.random(in: 1...3, using: &rng)))))]))
            case 3:
                result.append(
                    .waitUntil(
                        LocalTime(hour: Int.random(in: 0..<24, using: &rng), minute: pick([0, 15, 30])),
                        weekdays: chance(0.3) ? [.monday, .thursday] : nil))
            case 4:
                result.append(
                    .waitFor(
                        pick(Self.events), filter: chance(0.3) ? condition() : nil, timeout: pick([0, minute, hour, day]),
                        onEvent: steps(depth: depth + 1), onTimeout: steps(depth: depth + 1)))
            case 5: result.append(.branch([(condition(), steps(depth: depth + 1))], otherwise: steps(depth: depth + 1)))
            case 6: result.append(.split("s", [("A", 50, false, steps(depth: depth + 1)), ("control", 50, true, [])]))
            default: result.append(.exit("random"))
            }
        }
        return result
    }

    mutating func catalog() -> JourneyCatalog {
        var journeys: [JourneyBuilder] = []
        for n in 0..<Int.random(in: 1...4, using: &rng) {
            let trigger: Trigger =
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: .segmentEntry(segment: "hot")
                case 1:
                    .schedule(segment: chance(0.5) ? "hot" : nil, at: LocalTime(hour: Int.random(in: 0..<24, using: &rng), minute: 30), weekdays: nil)
                default: .event(name: pick(Self.events), filter: chance(0.3) ? condition() : nil)
                }
            journeys.append(
                JourneyBuilder(
                    "j\(n)", trigger: trigger, entry: pick([.oneAtATime, .onceEver, .oncePer(seconds: day), .always]),
                    exits: chance(0.5) ? [.event(name: pick(Self.events), filter: nil)] : (chance(0.3) ? [.condition(attr("score") > num(8))] : []),
                    goal: chance(0.5) ? Goal(event: "buy", filter: nil, within: pick([hour, day]), exitOnGoal: chance(0.5)) : nil,
                    priority: Int.random(in: 0...100, using: &rng), timeZone: chance(0.2) ? pick(Self.zones) : nil, steps: steps(depth: 0)))
        }
        return JourneyEngineTests.catalog(
            journeys, segments: ["hot": .eventCount(name: "view", filter: nil, within: day) >= num(2)],
            policy: DeliveryPolicyProgram(settleWindow: pick([0, 0, 30])))
    }

    mutating func events(customer: String, count: Int) -> [CustomerEvent] {
        var t = t0
        return (0..<count).map { n in
            t += pick([0, 1, 30, minute, hour, 6 * hour])
            return CustomerEvent(
                id: "\(customer)-\(n)", customerID: customer, name: pick(Self.events), properties: ["kind": .string(pick(["x", "y"]))],
                timestamp: t)
        }
    }
}

struct EnginePropertyTests {
    /// Drives one customer: wake-ups at every `nextWakeAt` (as the service does) or lazily (the
    /// engine fires due timers itself when the next event arrives).
    static func run(
        _ engine: JourneyEngine, profile: CustomerProfile, events: [CustomerEvent], wakes: Bool, until: Double
    )
        -> (outbox: [OutboxMessage], timeline: [TimelineRecord], state: CustomerState, invariantViolations: [String])
    {
        var state = CustomerState(profile: profile)
        var outbox: [OutboxMessage] = []
        var timeline: [TimelineRecord] = []
        var violations: [String] = []
        func check(_ state: CustomerState) {
            for instance in state.instances where instance.isActive {
                guard let program = engine.program(named: instance.journey, version: instance.version) else {
                    violations.append("instance on unheld version")
                    continue
                }
                guard case .wait = program.states[instance.state].kind else {
                    violations.append("active instance of \(instance.journey) not at a wait: \(program.states[instance.state].label)")
                    continue
                }
                guard let deadline = instance.deadline, let wake = state.nextWakeAt, wake <= deadline else {
                    violations.append("active instance of \(instance.journey) has no way forward")
                    continue
                }
            }
            if let wake = state.nextWakeAt, let clock = state.clock, wake < clock { violations.append("wake \(wake) before clock \(clock)") }
        }
        func take(_ output: EngineOutput) {
            outbox += output.outbox
            timeline += output.timeline
        }
        take(engine.handle(.profile(profile), state: &state, now: t0))
        check(state)
        for event in events {
            if wakes {
                while let wake = state.nextWakeAt, wake < event.timestamp {
                    take(engine.handle(.wake, state: &state, now: wake))
                    check(state)
                }
            }
            take(engine.handle(.event(event), state: &state, now: event.timestamp))
            check(state)
        }
        if wakes {
            while let wake = state.nextWakeAt, wake <= until {
                take(engine.handle(.wake, state: &state, now: wake))
                check(state)
            }
        }
        take(engine.handle(.wake, state: &state, now: until))
        check(state)
        return (outbox, timeline, state, violations)
    }

    @Test(arguments: 0..<60)
    func randomJourneysNeverStallAndAreDeterministic(seed: Int) throws {
        var world = RandomWorld(seed: UInt64(seed))
        let catalog = world.catalog()
        let engine = JourneyEngine(catalog: catalog)
        for c in 0..<3 {
            let id = "cust\(c)"
            let profile = CustomerProfile(
                id: id, email: world.chance(0.8) ? "\(id)@x.y" : nil, phone: world.chance(0.5) ? "+1555\(c)" : nil,
                timeZone: world.pick(RandomWorld.zones), attributes: ["score": .number(Double(Int.random(in: 0..<6, using: &world.rng)))])
            let events = world.events(customer: id, count: Int.random(in: 0..<25, using: &world.rng))
            let until = (events.last?.timestamp ?? t0) + 3 * day
            let first = Self.run(engine, profile: profile, events: events, wakes: true, until: until)
            #expect(first.invariantViolations.isEmpty, "seed \(seed): \(first.invariantViolations.prefix(3))")
            let again = Self.run(engine, profile: profile, events: events, wakes: true, until: until)
            #expect(first.outbox == again.outbox, "seed \(seed): not deterministic")
            #expect(first.timeline == again.timeline, "seed \(seed): not deterministic")
            #expect(first.state == again.state, "seed \(seed): not deterministic")
            // The service wakes the customer at every nextWakeAt; the dry-run lets the next event
            // fire due timers. Both must produce the same sends and the same final state.
            let lazy = Self.run(engine, profile: profile, events: events, wakes: false, until: until)
            #expect(first.outbox == lazy.outbox, "seed \(seed): wake-driven and lazy runs differ")
            #expect(first.state.instances == lazy.state.instances, "seed \(seed)")
            // Dedup keys are unique.
            let ids: [String] = first.outbox.map { $0.id }
            #expect(Set(ids).count == ids.count, "seed \(seed): duplicate message id")
        }
    }

    @Test func stateRoundTripsThroughJSON() throws {
        var world = RandomWorld(seed: 7)
        let engine = JourneyEngine(catalog: world.catalog())
        let events = world.events(customer: "c", count: 20)
        let result = Self.run(
            engine, profile: CustomerProfile(id: "c", email: "c@x.y", timeZone: "Europe/Paris"), events: events, wakes: true, until: t0 + 2 * day)
        let data = try JSONEncoder().encode(result.state)
        let decoded = try JSONDecoder().decode(CustomerState.self, from: data)
        #expect(decoded.instances.count == result.state.instances.count)
        #expect(decoded.nextWakeAt == result.state.nextWakeAt)
    }
}
