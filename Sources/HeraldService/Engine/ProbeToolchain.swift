import Foundation
public import JourneyEngine
public import JourneyLanguage

/// A deterministic stand-in engine for exercising the durable machinery end to end — inbox,
/// timers, outbox, delivery, crash recovery — against an oracle that is trivial to compute. It is
/// what `herald serve --engine probe` runs (the crash test uses it); it is not a journey engine.
///
/// Per customer, in the profile attributes:
/// - every handled event id is appended to `probe_seen` (exactly-once processing is checkable);
/// - an event named `ping` sends a webhook at once (message id `<event id>/ping`);
/// - an event named `later` with `delay` seconds sends one when that timer fires
///   (`<event id>/later`), recording the due time and the firing time in `probe_fired`;
/// - at most `probe_cap` (default 5) messages are ever reserved per customer; more are skipped;
/// - delivery outcomes are counted in `probe_delivered` / `probe_failed`.
public struct ProbeToolchain: JourneyToolchain {
    public init() {}

    public func compile(directory: String) -> JourneyCompilation {
        .compiled(
            JourneyCatalog(journeys: [], segments: [:], policy: DeliveryPolicyProgram(), schema: Schema(), messages: [:]),
            warnings: [])
    }

    public func makeEngine(catalog: JourneyCatalog, archive: [JourneyProgram], paused: Set<String>) -> any CustomerEngine {
        ProbeEngine()
    }
}

struct ProbeEngine: CustomerEngine {
    static let defaultCap = 5

    func handle(_ input: EngineInput, state: inout CustomerState, now: Double) -> EngineOutput {
        var attributes = state.profile.attributes
        var output = EngineOutput()
        func list(_ key: String) -> [Value] {
            if case .list(let items)? = attributes[key] { return items }
            return []
        }
        func number(_ key: String) -> Double {
            if case .number(let n)? = attributes[key] { return n }
            return 0
        }
        func send(_ id: String, step: String) {
            let cap = attributes["probe_cap"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? Self.defaultCap
            guard Int(number("probe_reserved")) < cap else {
                attributes["probe_skipped"] = .number(number("probe_skipped") + 1)
                return
            }
            attributes["probe_reserved"] = .number(number("probe_reserved") + 1)
            output.outbox.append(
                OutboxMessage(
                    id: id, customerID: state.profile.id, journey: "probe", journeyVersion: "1", step: step,
                    channel: .webhook, message: step, category: .transactional, at: now,
                    context: ["customer": .object(["id": .string(state.profile.id)])]))
        }
        switch input {
        case .profile(let profile):
            let kept = attributes.filter { $0.key.hasPrefix("probe_") && !profile.attributes.keys.contains($0.key) }
            let id = state.profile.id
            state.profile = profile
            state.profile.id = id
            attributes = profile.attributes.merging(kept) { new, _ in new }
        case .event(let event):
            attributes["probe_seen"] = .list(list("probe_seen") + [.string(event.id)])
            switch event.name {
            case "ping":
                send(event.id + "/ping", step: "ping")
            case "later":
                var delay = 1.0
                if case .number(let seconds)? = event.properties["delay"] { delay = seconds }
                attributes["probe_timers"] = .list(
                    list("probe_timers") + [.object(["id": .string(event.id), "due": .number(now + delay)])])
            default:
                break
            }
        case .wake:
            var remaining: [Value] = []
            for timer in list("probe_timers") {
                guard case .object(let fields) = timer, case .number(let due)? = fields["due"],
                    case .string(let id)? = fields["id"]
                else { continue }
                if due <= now {
                    attributes["probe_fired"] = .list(
                        list("probe_fired") + [.object(["id": .string(id), "due": .number(due), "fired": .number(now)])])
                    send(id + "/later", step: "later")
                } else {
                    remaining.append(timer)
                }
            }
            attributes["probe_timers"] = .list(remaining)
        case .deliveryOutcome(_, let delivered, _):
            let key = delivered ? "probe_delivered" : "probe_failed"
            attributes[key] = .number(number(key) + 1)
        }
        state.profile.attributes = attributes
        return output
    }

    func nextWakeAt(of state: CustomerState) -> Double? {
        guard case .list(let timers)? = state.profile.attributes["probe_timers"] else { return nil }
        return timers.compactMap { timer -> Double? in
            guard case .object(let fields) = timer, case .number(let due)? = fields["due"] else { return nil }
            return due
        }.min()
    }
}
