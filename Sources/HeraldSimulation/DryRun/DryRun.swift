import Dispatch
import Foundation
public import JourneyEngine
public import JourneyLanguage
import Synchronization

/// Replays customers and timestamped events through the journeys on a virtual clock.
///
/// Each customer runs independently (the engine's unit of consistency): its profile is loaded at
/// `from`, its events are handled in timestamp order (file order breaks ties), and a final wake-up
/// at `until` fires every timer due by then. This is exactly what the service does with a real
/// clock, except that the service wakes the customer at each `nextWakeAt` instead of letting the
/// next event catch up (the engine guarantees both give the same result).
///
/// ```swift
/// let dryRun = DryRun(catalog: catalog)
/// let result = dryRun.run(customers: customers, events: events, options: DryRunOptions())
/// print(DryRunTextRenderer(result: result).render())
/// ```
public struct DryRun: Sendable {
    public let engine: JourneyEngine

    /// - Parameters:
    ///   - seed: 0 (the default) assigns experiment variants exactly as production does; any other
    ///     value reshuffles the assignment, to see how much results depend on it.
    public init(catalog: JourneyCatalog, retainedPrograms: [JourneyProgram] = [], seed: UInt64 = 0) {
        let options = JourneyEngine.Options(splitSalt: seed == 0 ? "" : "seed\(seed)")
        self.engine = JourneyEngine(catalog: catalog, retainedPrograms: retainedPrograms, options: options)
    }

    public init(engine: JourneyEngine) { self.engine = engine }

    /// Replays `events` (and imports `history` into behavioural history without replaying it).
    /// Events before `from` are treated as history too; events after `until` are not replayed.
    ///
    /// Splits with a winner rule are decided on the virtual clock (``WinnerDecision``): when one
    /// is decided, the replay runs again with the winner as the engine's input (customers are
    /// independent and the winner only changes entrants from its decision on, so everything
    /// before it replays the same). The result's notes say what was decided for each rule.
    public func run(
        customers: [CustomerProfile], events: [CustomerEvent], history: [CustomerEvent] = [], profileUpdates: [ProfileUpdate] = [],
        options: DryRunOptions = DryRunOptions(), issues: [LoadIssue] = []
    ) -> DryRunResult {
        func replay(_ engine: JourneyEngine) -> DryRunResult {
            replayAll(
                engine: engine, customers: customers, events: events, history: history, profileUpdates: profileUpdates, options: options,
                issues: issues)
        }
        var engine = engine
        var result = replay(engine)
        // Sends at the best time fall back to their journey's audience hours of the days before:
        // the first pass counted every day's engagements (they depend on the events only, not on
        // any send time), the second chooses with them, as the service does with its counters.
        if engine.catalog.sendsAtBestTime {
            var audience = engine.audience
            let counted = AudienceHours(timeline: result.customers.lazy.flatMap(\.timeline))
            for (journey, days) in counted.counts {
                for (day, hours) in days {
                    for (hour, count) in hours.enumerated() { audience.add(journey: journey, localHour: hour, day: day, count: count) }
                }
            }
            if audience != engine.audience {
                engine.audience = audience
                result = replay(engine)
            }
        }
        let rules = WinnerDecision.rules(in: engine.catalog)
        guard !rules.isEmpty else { return result }
        var winners = engine.options.winners
        var outcomes: [String: WinnerDecision.Outcome] = [:]
        func decided(_ journey: String, _ split: String) -> Bool { winners.contains { $0.journey == journey && $0.split == split } }
        // Decide the earliest winner, replay with it, and look again at the others: a winner can
        // change what happens after its decision, never before.
        while true {
            var earliest: SplitWinner?
            for (journey, split, rule) in rules where !decided(journey, split.name) {
                let outcome = WinnerDecision.decide(journey: journey, split: split, rule: rule, customers: result.customers, until: result.until)
                outcomes["\(journey)/\(split.name)"] = outcome
                if let winner = outcome.winner, winner.since < earliest?.since ?? .infinity { earliest = winner }
            }
            guard let earliest else { break }
            winners.append(earliest)
            result = replay(engine.deciding(winners: winners))
        }
        result.notes += rules.compactMap { outcomes["\($0.journey)/\($0.split.name)"]?.note }
        result.winners = winners
        return result
    }

    func replayAll(
        engine: JourneyEngine, customers: [CustomerProfile], events: [CustomerEvent], history: [CustomerEvent], profileUpdates: [ProfileUpdate],
        options: DryRunOptions, issues: [LoadIssue]
    ) -> DryRunResult {
        let firstEvent = events.lazy.map(\.timestamp).min()
        let lastEvent = events.lazy.map(\.timestamp).max()
        let from = options.from ?? firstEvent ?? 0
        let until = options.until ?? ((lastEvent ?? from) + options.horizonAfterLastEvent)

        // Events per customer, in timestamp order (stable: file order breaks ties).
        var byCustomer: [String: [CustomerEvent]] = [:]
        var pastByCustomer: [String: [CustomerEvent]] = [:]
        for event in history { pastByCustomer[event.customerID, default: []].append(event) }
        var outside = 0
        var replayed = 0
        for event in events {
            if event.timestamp < from {
                pastByCustomer[event.customerID, default: []].append(event)
                continue
            }
            guard event.timestamp <= until else {
                outside += 1
                continue
            }
            byCustomer[event.customerID, default: []].append(event)
            replayed += 1
        }
        var updatesByCustomer: [String: [ProfileUpdate]] = [:]
        for update in profileUpdates where update.at >= from && update.at <= until {
            updatesByCustomer[update.profile.id, default: []].append(update)
        }
        var profiles: [String: CustomerProfile] = [:]
        for profile in customers { profiles[profile.id] = profile }
        var notes: [String] = []
        let unknown = byCustomer.keys.filter { profiles[$0] == nil }.sorted()
        if !unknown.isEmpty {
            let shown = unknown.prefix(5).joined(separator: ", ")
            notes.append(
                "\(unknown.count) customer(s) have events but no profile; they ran with an empty profile: \(shown)\(unknown.count > 5 ? ", …" : "")")
            for id in unknown { profiles[id] = CustomerProfile(id: id) }
        }
        if outside > 0 { notes.append("\(outside) event(s) after \(Value.formatTime(until)) were not replayed") }
        let pastCount = pastByCustomer.values.reduce(0) { $0 + $1.count }
        if pastCount > 0 { notes.append("\(pastCount) event(s) before \(Value.formatTime(from)) were imported as history only") }

        // Customers are independent: replay them on every core, in contiguous slices of the
        // sorted ids, and join the slices in order — the result is the same as one thread's.
        let ids = profiles.keys.sorted()
        let (events, past, updates, known) = (byCustomer, pastByCustomer, updatesByCustomer, profiles)
        let workers = options.workerCount
        let slices = ids.isEmpty ? 0 : min(ids.count, workers == 1 ? 1 : workers * 8)
        let done = Mutex([[CustomerResult]](repeating: [], count: slices))
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let range = (ids.count * slice / slices)..<(ids.count * (slice + 1) / slices)
            var results: [CustomerResult] = []
            results.reserveCapacity(range.count)
            for id in ids[range] {
                results.append(
                    Self.replay(
                        known[id]!, events: events[id] ?? [], past: past[id], updates: updates[id] ?? [], from: from, until: until,
                        engine: engine))
            }
            done.withLock { $0[slice] = results }
        }
        var results: [CustomerResult] = []
        results.reserveCapacity(ids.count)
        for slice in done.withLock({ $0 }) { results.append(contentsOf: slice) }
        return DryRunResult(
            from: from, until: until, seed: options.seed, customers: results, eventCount: replayed, issues: issues,
            notes: notes, engine: engine, threads: options.threads)
    }
}

extension DryRun {
    /// One customer's replay: profile at `from`, events and profile updates in time order (file
    /// order breaks ties; updates first), then a wake-up at `until`.
    static func replay(
        _ profile: CustomerProfile, events own: [CustomerEvent], past: [CustomerEvent]?, updates: [ProfileUpdate], from: Double,
        until: Double, engine: JourneyEngine
    ) -> CustomerResult {
        var state = CustomerState(profile: profile)
        if let past { engine.importHistory(past, into: &state) }
        var output = EngineOutput()
        engine.handle(.profile(profile), state: &state, now: from, appendingTo: &output)
        var zones = [ZoneChange(at: from, zone: engine.timeZoneIdentifier(for: state.profile, journey: nil))]
        var inputs: [(at: Double, order: Int, input: EngineInput)] = []
        inputs.reserveCapacity(updates.count + own.count)
        for (n, update) in updates.enumerated() { inputs.append((update.at, n, .profile(update.profile))) }
        let base = inputs.count
        for (n, event) in own.enumerated() { inputs.append((event.timestamp, base + n, .event(event))) }
        inputs.sort { $0.at != $1.at ? $0.at < $1.at : $0.order < $1.order }
        for item in inputs {
            engine.handle(item.input, state: &state, now: item.at, appendingTo: &output)
            if case .profile = item.input {
                let zone = engine.timeZoneIdentifier(for: state.profile, journey: nil)
                if zone != zones[zones.count - 1].zone { zones.append(ZoneChange(at: max(item.at, from), zone: zone)) }
            }
        }
        engine.handle(.wake, state: &state, now: until, appendingTo: &output)
        return CustomerResult(
            id: profile.id, timeZone: zones[zones.count - 1].zone, eventCount: own.count, timeline: output.timeline, outbox: output.outbox,
            finalState: state, zoneChanges: zones)
    }
}

/// A profile change at an instant (scenario files use them: an unsubscribe, a new attribute).
public struct ProfileUpdate: Sendable {
    public var at: Double
    /// Merged into the profile as the engine documents (`null` attributes remove).
    public var profile: CustomerProfile
    public init(at: Double, profile: CustomerProfile) {
        self.at = at
        self.profile = profile
    }
}

public struct DryRunOptions: Sendable {
    /// Start of the replay (default: the first event's time).
    public var from: Double?
    /// End of the replay: timers due by then fire (default: the last event plus `horizonAfterLastEvent`).
    public var until: Double?
    public var seed: UInt64
    /// How long after the last event the replay runs by default (7 days).
    public var horizonAfterLastEvent: Double
    /// How many threads the replay and the report are split for (default: one per core; 1 runs
    /// everything on the calling thread). The result does not depend on it.
    public var threads: Int?

    public init(
        from: Double? = nil, until: Double? = nil, seed: UInt64 = 0, horizonAfterLastEvent: Double = 7 * 86_400, threads: Int? = nil
    ) {
        self.from = from
        self.until = until
        self.seed = seed
        self.horizonAfterLastEvent = horizonAfterLastEvent
        self.threads = threads
    }

    /// `threads`, or one per core.
    var workerCount: Int { max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount) }
}

/// One customer's replay.
public struct CustomerResult: Sendable {
    public var id: String
    /// The zone the customer's local times were computed in at the end of the replay (after
    /// defaults).
    public var timeZone: String
    public var eventCount: Int
    public var timeline: [TimelineRecord]
    public var outbox: [OutboxMessage]
    public var finalState: CustomerState
    /// The zones in force over the replay, oldest first: the first at the start, then one per
    /// profile update that changed the zone.
    public var zoneChanges: [ZoneChange]

    public init(
        id: String, timeZone: String, eventCount: Int, timeline: [TimelineRecord], outbox: [OutboxMessage], finalState: CustomerState,
        zoneChanges: [ZoneChange] = []
    ) {
        self.id = id
        self.timeZone = timeZone
        self.eventCount = eventCount
        self.timeline = timeline
        self.outbox = outbox
        self.finalState = finalState
        self.zoneChanges = zoneChanges
    }

    /// The zone in force at `t`: from a change on, the new zone.
    public func timeZone(at t: Double) -> String {
        zoneChanges.last { $0.at <= t }?.zone ?? zoneChanges.first?.zone ?? timeZone
    }
}

/// The customer's zone from `at` on.
public struct ZoneChange: Sendable, Equatable {
    public var at: Double
    public var zone: String
    public init(at: Double, zone: String) {
        self.at = at
        self.zone = zone
    }
}

public struct DryRunResult: Sendable {
    public var from: Double
    public var until: Double
    public var seed: UInt64
    /// Sorted by customer id.
    public var customers: [CustomerResult]
    /// Events replayed (inside the window).
    public var eventCount: Int
    /// Malformed input lines that were skipped.
    public var issues: [LoadIssue]
    /// Other remarks about the input (unknown customers, events outside the window).
    public var notes: [String]
    public var engine: JourneyEngine
    /// The decided winners of splits with a winner rule (the engine ran with them).
    public var winners: [SplitWinner] = []
    /// `DryRunOptions.threads` of the run (the report is built with as many).
    var threads: Int?

    public var outbox: [OutboxMessage] { customers.flatMap(\.outbox) }

    public func customer(_ id: String) -> CustomerResult? {
        customers.first { $0.id == id }
    }

    /// The per-journey and per-stage report.
    public var report: DryRunReport { DryRunReport(result: self) }
}
