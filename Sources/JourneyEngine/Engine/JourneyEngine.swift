public import JourneyLanguage

/// The journey interpreter: a pure step function over one customer's aggregate.
///
/// The same engine runs the dry-run (virtual clock, states in a dictionary) and the service
/// (system clock, states in a store). It holds no mutable state and reads no clock: everything it
/// decides comes from the input, the customer's state and `now`.
///
/// ```swift
/// let engine = JourneyEngine(catalog: catalog)
/// var state = CustomerState(profile: CustomerProfile(id: "c1", timeZone: "Europe/Paris"))
/// _ = engine.handle(.profile(state.profile), state: &state, now: t0)
/// let output = engine.handle(.event(cartUpdated), state: &state, now: cartUpdated.timestamp)
/// // … later, when the clock reaches state.nextWakeAt:
/// let due = engine.handle(.wake, state: &state, now: state.nextWakeAt!)
/// ```
///
/// Semantics are documented in docs/semantics.md.
public struct JourneyEngine: Sendable {
    /// Everything precomputed from the catalog, shared by reference (copying an engine, or running
    /// a step, costs one retain).
    let core: EngineCore
    /// The decision point: `policy.decide` (tests substitute a scripted policy here).
    var decide: @Sendable ([SendRequest], SendLedger, CustomerContact, Double) -> [DeliveryDecision]
    /// The journeys' audience-wide engagement hours, what `at best time` falls back to when a
    /// customer has too little history: an input kept up by the caller (the service reads it from
    /// the journey counters at each UTC day boundary, the dry-run from its first pass). Empty by
    /// default: sends then fall back to their default time or the window start.
    public var audience = AudienceHours()

    public var catalog: JourneyCatalog { core.catalog }
    /// The single decision point every send passes through.
    public var policy: DeliveryPolicy { core.policy }
    public var options: Options { core.options }

    public struct Options: Sendable, Hashable {
        /// Record a `stepReached` timeline entry for every step (reports count them). Turn off for
        /// the leanest hot path when only sends and exits matter.
        public var recordsSteps: Bool
        /// Mixed into the experiment-assignment hash. Empty (the default) in production; the dry-run's
        /// `--seed` sets it to see how results depend on the assignment.
        public var splitSalt: String
        /// Most events kept per event name for behavioural counts.
        public var historyLimit: Int
        /// How many recent event ids a customer remembers for deduplication.
        public var recentEventIDLimit: Int
        /// Most action steps one instance runs without reaching a wait (guards against cycles).
        public var stepLimit: Int
        /// Decided winners of splits with a winner rule: an input, like the paused journeys. From
        /// its `since` instant on, an entrant whose own variant is not the control goes to the
        /// winner, and the timeline says so. Deciding one is the caller's business (the dry-run
        /// decides on its virtual clock; see docs/semantics.md, "Winner rules").
        public var winners: [SplitWinner]

        public init(
            recordsSteps: Bool = true, splitSalt: String = "", historyLimit: Int = 256, recentEventIDLimit: Int = 32,
            stepLimit: Int = 1_000, winners: [SplitWinner] = []
        ) {
            self.recordsSteps = recordsSteps
            self.splitSalt = splitSalt
            self.historyLimit = historyLimit
            self.recentEventIDLimit = recentEventIDLimit
            self.stepLimit = stepLimit
            self.winners = winners
        }
    }

    /// Creates an engine for a catalog.
    ///
    /// - Parameters:
    ///   - catalog: the current journeys; new entries use these versions.
    ///   - retainedPrograms: older versions still held so that instances that entered with them
    ///     finish on them. An instance whose version is neither current nor retained moves to the
    ///     current version by state label (or exits with ``ExitReason/versionRetired``).
    ///   - paused: journeys (by name) that are paused: they take no new entries, and their active
    ///     instances and undecided sends hold — no timer fires, no event wait advances, no send is
    ///     decided — while exit criteria and goals still apply. Build the engine again without the
    ///     name to resume: held work then continues at the instant the customer is next handled
    ///     (see docs/semantics.md, "Paused journeys").
    ///   - options: engine tuning (defaults suit both the dry-run and the service).
    public init(
        catalog: JourneyCatalog, retainedPrograms: [JourneyProgram] = [], paused: Set<String> = [], options: Options = Options()
    ) {
        let core = EngineCore(catalog: catalog, retainedPrograms: retainedPrograms, paused: paused, options: options)
        self.core = core
        let policy = core.policy
        self.decide = { policy.decide($0, ledger: $1, contact: $2, now: $3) }
    }

    /// Handles one input for one customer: the run-to-completion step.
    ///
    /// Timers due at or before the input's instant fire first (an event's instant is its
    /// timestamp, clamped to the customer's clock and to `now`; timers come before an input at the
    /// same instant), then the input is processed, then timers due at or before `now` fire. The state's
    /// `nextWakeAt` is updated.
    ///
    /// - Parameters:
    ///   - input: a profile update, an event, a wake-up or a delivery outcome.
    ///   - state: the customer's aggregate; updated in place.
    ///   - now: the current instant (seconds since the epoch) on the caller's clock.
    /// - Returns: the messages to send and the timeline of what happened.
    public func handle(_ input: EngineInput, state: inout CustomerState, now: Double) -> EngineOutput {
        var output = EngineOutput()
        handle(input, state: &state, now: now, appendingTo: &output)
        return output
    }

    /// ``handle(_:state:now:)`` that appends the step's messages and timeline to `output` (and
    /// sets its `nextWakeAt`): for callers that collect a customer's whole history, such as the
    /// dry-run, without copying every step's records into their own arrays.
    ///
    /// ```swift
    /// var history = EngineOutput()
    /// for event in events { engine.handle(.event(event), state: &state, now: event.timestamp, appendingTo: &history) }
    /// ```
    public func handle(_ input: EngineInput, state: inout CustomerState, now: Double, appendingTo output: inout EngineOutput) {
        var run = CustomerRun(engine: core, decide: decide, audience: audience, state: CustomerState(profile: CustomerProfile(id: "")))
        swap(&run.state, &state)
        swap(&run.output, &output)
        run.handle(input, now: now)
        swap(&run.state, &state)
        swap(&run.output, &output)
        output.nextWakeAt = state.nextWakeAt
    }

    /// Adds past events to the customer's behavioural history without running anything: for
    /// importing customers together with their history (and the dry-run's `history` events).
    ///
    /// Only events that a behavioural count or `last(event …)` in the catalog mentions are kept,
    /// within the same bounds as live events; engagement events (`email.opened`, `email.clicked`,
    /// `sms.clicked`) also enter the customer's engagement histogram. Nothing is triggered; segment membership is
    /// re-evaluated on the customer's next input.
    public func importHistory(_ events: [CustomerEvent], into state: inout CustomerState) {
        var run = CustomerRun(engine: core, decide: decide, audience: audience, state: CustomerState(profile: CustomerProfile(id: "")))
        swap(&run.state, &state)
        for event in events.sorted(by: { $0.timestamp < $1.timestamp }) { run.importHistory(event) }
        swap(&run.state, &state)
    }

    /// The paused journeys (see ``init(catalog:retainedPrograms:paused:options:)``).
    public var paused: Set<String> { core.paused }

    /// The earliest instant at which this engine must be woken for the customer. It equals
    /// `state.nextWakeAt` when the state was last handled by an engine with the same paused
    /// journeys; after a pause or resume it tells what this engine considers due (a held timer
    /// that came due during the pause is due at once after the resume).
    public func nextWakeAt(of state: CustomerState) -> Double? {
        CustomerRun.nextDue(in: state, engine: core)
    }

    /// Whether the customer has work held by a paused journey: an active instance or an undecided
    /// send. The service rechecks such customers now and then, so a resume finds them.
    public func holdsWork(of state: CustomerState) -> Bool {
        state.instances.contains { $0.isActive && (core.paused.contains($0.journey) || $0.heldSince != nil) }
            || state.pendingSends.contains { core.paused.contains($0.request.journey) || $0.heldSince != nil }
    }

    /// What the current versions' declared migrations do to each active instance of an older
    /// version of their journey, by instance index (empty when nothing would move or exit). The
    /// engine applies exactly these on the customer's next step; the service's sweep wakes the
    /// customers for whom this is not empty.
    public func pendingMigrations(in state: CustomerState) -> [(instance: Int, decision: MigrationDecision)] {
        guard !core.migrating.isEmpty else { return [] }
        var found: [(instance: Int, decision: MigrationDecision)] = []
        for i in state.instances.indices where state.instances[i].isActive {
            if let decision = core.migrationDecision(for: state.instances[i]), decision.applies { found.append((i, decision)) }
        }
        return found
    }

    /// The program an instance runs on, if it is held.
    public func program(named name: String, version: String) -> JourneyProgram? {
        core.program(named: name, version: version)
    }

    /// The current version of a journey.
    public func currentProgram(named name: String) -> JourneyProgram? {
        core.currentProgram(named: name)
    }

    /// Every program held, current and retained, by journey name then version.
    public var heldPrograms: [JourneyProgram] { core.held }

    /// The time zone used for a customer in a journey: the customer's own if it is a known IANA
    /// zone, else the journey's, else the policy's default, else UTC.
    public func timeZoneIdentifier(for profile: CustomerProfile, journey: JourneyProgram?) -> String {
        core.timeZoneIdentifier(for: profile, journey: journey)
    }
}

/// The engine's immutable, precomputed state.
final class EngineCore: Sendable {
    let catalog: JourneyCatalog
    let policy: DeliveryPolicy
    let options: JourneyEngine.Options
    /// Paused journeys, by name.
    let paused: Set<String>
    /// Current and retained programs, by journey name then version (few: a linear scan with
    /// string comparisons beats hashing 64-character versions on every step).
    let held: [JourneyProgram]
    /// Journey name → index in `catalog.journeys` (the current version, used for new entries).
    let currentIndex: [String: Int]
    /// Journey name → index in `catalog.journeys`, for the current versions that declare a
    /// migration (`migrate …`): their customers waiting in older versions move as declared.
    let migrating: [String: Int]
    let index: CatalogIndex
    /// The zone of customers and journeys that name no known one: the policy's, else UTC.
    let defaultZone: String
    /// Current journeys with a send `at best time`: engagement with their messages is counted for
    /// their audience hours (others keep no such counters).
    let bestTimeJourneys: Set<String>

    init(catalog: JourneyCatalog, retainedPrograms: [JourneyProgram], paused: Set<String>, options: JourneyEngine.Options) {
        self.catalog = catalog
        self.options = options
        self.paused = paused
        self.policy = DeliveryPolicy(program: catalog.policy, journeyCaps: catalog.journeys.flatMap(\.caps))
        var held = catalog.journeys
        for program in retainedPrograms where !held.contains(where: { $0.name == program.name && $0.version == program.version }) {
            held.append(program)
        }
        self.held = held.sorted { ($0.name, $0.version) < ($1.name, $1.version) }
        var currentIndex: [String: Int] = [:]
        for (i, program) in catalog.journeys.enumerated() { currentIndex[program.name] = i }
        self.currentIndex = currentIndex
        self.migrating = currentIndex.filter { catalog.journeys[$0.value].migration != nil }
        self.index = CatalogIndex(catalog: catalog, retained: retainedPrograms)
        let zone = catalog.policy.defaultTimeZone
        self.defaultZone = LocalClock.zone(zone) != nil ? zone : "UTC"
        self.bestTimeJourneys = Set(
            catalog.journeys.filter { program in
                program.states.contains { if case .send(let send, _) = $0.kind { send.bestTime != nil } else { false } }
            }.map(\.name))
    }

    @inline(__always)
    func isPaused(_ journey: String) -> Bool {
        !paused.isEmpty && paused.contains(journey)
    }

    @inline(__always)
    func program(named name: String, version: String) -> JourneyProgram? {
        heldIndex(named: name, version: version).map { held[$0] }
    }

    /// The position of a held program in `held`: the hot path looks programs up by position and
    /// borrows them from there (a `JourneyProgram` holds many references, so copying one out costs
    /// a retain and a release of each).
    @inline(__always)
    func heldIndex(named name: String, version: String) -> Int? {
        var k = 0
        while k < held.count {
            if held[k].version == version && held[k].name == name { return k }
            k += 1
        }
        return nil
    }

    /// The priority of a held program (0 when not held), without copying it.
    @inline(__always)
    func priority(named name: String, version: String) -> Int {
        heldIndex(named: name, version: version).map { held[$0].priority } ?? 0
    }

    /// What the current version's declared migration does to an active instance of an older
    /// version (`nil`: its journey declares none, or the instance runs the current version).
    func migrationDecision(for instance: JourneyInstance) -> MigrationDecision? {
        guard let j = migrating[instance.journey], let migration = catalog.journeys[j].migration,
            catalog.journeys[j].version != instance.version
        else { return nil }
        return MigrationDecision(
            migration, step: instance.step, old: program(named: instance.journey, version: instance.version), new: catalog.journeys[j])
    }

    func currentProgram(named name: String) -> JourneyProgram? {
        currentIndex[name].map { catalog.journeys[$0] }
    }

    func timeZoneIdentifier(for profile: CustomerProfile, journey: JourneyProgram?) -> String {
        timeZoneIdentifier(for: profile, journeyZone: journey?.timeZone)
    }

    func timeZoneIdentifier(for profile: CustomerProfile, journeyZone: String?) -> String {
        if let zone = profile.timeZone, LocalClock.zone(zone) != nil { return zone }
        if let zone = journeyZone, LocalClock.zone(zone) != nil { return zone }
        return defaultZone
    }
}
