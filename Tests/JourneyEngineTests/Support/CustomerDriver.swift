import JourneyEngine
import JourneyLanguage

/// Drives one customer through an engine the way the service does: inputs at their instants and
/// wake-ups whenever `nextWakeAt` comes due, collecting every output.
struct CustomerDriver {
    let engine: JourneyEngine
    var state: CustomerState
    var outbox: [OutboxMessage] = []
    var timeline: [TimelineRecord] = []
    private var eventCounter = 0

    init(
        _ engine: JourneyEngine, profile: CustomerProfile = CustomerProfile(id: "c1", email: "c1@example.com", phone: "+15550100"), at t: Double = t0
    ) {
        self.engine = engine
        self.state = CustomerState(profile: profile)
        collect(engine.handle(.profile(profile), state: &state, now: t))
    }

    mutating func collect(_ output: EngineOutput) {
        outbox += output.outbox
        timeline += output.timeline
    }

    /// Fires every wake-up due before `t`, then handles the event at `t`.
    mutating func event(_ name: String, at t: Double, _ properties: [String: Value] = [:], id: String? = nil) {
        advance(to: t, inclusive: false)
        eventCounter += 1
        let event = CustomerEvent(id: id ?? "e\(eventCounter)", customerID: state.profile.id, name: name, properties: properties, timestamp: t)
        collect(engine.handle(.event(event), state: &state, now: t))
    }

    /// Fires every wake-up due before `t`, then merges `update` into the profile at `t`.
    mutating func profile(_ update: CustomerProfile, at t: Double) {
        advance(to: t, inclusive: false)
        collect(engine.handle(.profile(update), state: &state, now: t))
    }

    /// Fires every wake-up due up to `t`.
    mutating func advance(to t: Double, inclusive: Bool = true) {
        while let wake = state.nextWakeAt, wake < t || (inclusive && wake == t) {
            collect(engine.handle(.wake, state: &state, now: wake))
        }
    }

    var sends: [String] { outbox.map { "\($0.channel.rawValue) \($0.message)" } }

    func exits(_ journey: String? = nil) -> [ExitReason] {
        timeline.compactMap {
            if case .exited(_, let reason) = $0.kind, journey == nil || $0.journey == journey { reason } else { nil }
        }
    }

    var conversions: [Double] {
        timeline.compactMap { if case .converted(_, let ttc, _) = $0.kind { ttc } else { nil } }
    }

    var notEntered: [NotEnteredReason] {
        timeline.compactMap { if case .notEntered(_, let reason) = $0.kind { reason } else { nil } }
    }

    var entries: Int {
        timeline.count { if case .entered = $0.kind { true } else { false } }
    }
}
