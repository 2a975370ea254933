public import JourneyLanguage

/// Everything the engine keeps about one customer: the unit of consistency (see
/// docs/architecture.md). Stores persist it whole, together with `nextWakeAt` as the timer index.
///
/// A new customer starts as `CustomerState(profile:)`; only ``JourneyEngine/handle(_:state:now:)``
/// changes the rest.
public struct CustomerState: Sendable, Hashable, Codable {
    public var profile: CustomerProfile
    /// Journey instances: the active ones, and finished ones whose conversion goal window is still
    /// open (a conversion after the journey ended still counts for that entry).
    public internal(set) var instances: [JourneyInstance]
    /// Per journey name: how often and when the customer entered (what entry rules read).
    public internal(set) var entries: [String: EntryRecord]
    /// Recent events kept for behavioural counts, bounded by the catalog's count windows.
    public internal(set) var history: EventHistory
    /// The tracked segments (those a segment-entry trigger names) the customer is a member of, sorted.
    public internal(set) var segments: [String]
    /// Per schedule-triggered journey: the next instant its schedule fires for this customer.
    public internal(set) var schedules: [String: Double]
    /// The sends made to this customer (what caps count).
    public internal(set) var ledger: SendLedger
    /// Sends requested but not decided yet: inside the settle window, or deferred by the policy.
    public internal(set) var pendingSends: [PendingSend]
    /// Ids of the most recent events handled (a redelivered event is ignored).
    public internal(set) var recentEventIDs: [String]
    /// The latest instant the engine has processed for this customer; it never moves back.
    public internal(set) var clock: Double?
    /// The earliest instant at which the engine must be woken for this customer (instance timers,
    /// schedule triggers, deferred sends, settle-window decisions); `nil` when nothing is due.
    public internal(set) var nextWakeAt: Double?
    /// The messages engagement events are tied to, and the suppressions they caused
    /// (docs/engagement.md).
    public internal(set) var engagement: CustomerEngagement
    /// Opens and clicks by local hour, decayed (what `at best time` chooses from); `nil` until the
    /// first open or click.
    public internal(set) var engagementHours: EngagementHistogram?

    public init(profile: CustomerProfile) {
        self.profile = profile
        self.instances = []
        self.entries = [:]
        self.history = EventHistory()
        self.segments = []
        self.schedules = [:]
        self.ledger = SendLedger()
        self.pendingSends = []
        self.recentEventIDs = []
        self.clock = nil
        self.nextWakeAt = nil
        self.engagement = CustomerEngagement()
        self.engagementHours = nil
    }

    private enum CodingKeys: String, CodingKey {
        case profile, instances, entries, history, segments, schedules, ledger, pendingSends, recentEventIDs, clock, nextWakeAt, engagement,
            engagementHours
    }

    /// Decodes the JSON stores wrote before the binary format (which has no `engagement`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        profile = try c.decode(CustomerProfile.self, forKey: .profile)
        instances = try c.decode([JourneyInstance].self, forKey: .instances)
        entries = try c.decode([String: EntryRecord].self, forKey: .entries)
        history = try c.decode(EventHistory.self, forKey: .history)
        segments = try c.decode([String].self, forKey: .segments)
        schedules = try c.decode([String: Double].self, forKey: .schedules)
        ledger = try c.decode(SendLedger.self, forKey: .ledger)
        pendingSends = try c.decode([PendingSend].self, forKey: .pendingSends)
        recentEventIDs = try c.decode([String].self, forKey: .recentEventIDs)
        clock = try c.decodeIfPresent(Double.self, forKey: .clock)
        nextWakeAt = try c.decodeIfPresent(Double.self, forKey: .nextWakeAt)
        engagement = try c.decodeIfPresent(CustomerEngagement.self, forKey: .engagement) ?? CustomerEngagement()
        engagementHours = try c.decodeIfPresent(EngagementHistogram.self, forKey: .engagementHours)
    }

    /// The active instance of a journey, if any (the newest when the entry rule allows several).
    public func activeInstance(of journey: String) -> JourneyInstance? {
        instances.last { $0.journey == journey && $0.isActive }
    }
}

/// One customer's run through one journey, from entry to exit.
public struct JourneyInstance: Sendable, Hashable, Codable {
    public var journey: String
    /// The program version the instance entered with (it stays on it).
    public var version: String
    /// 1 for the customer's first entry into this journey, 2 for the second, …
    public var entrySequence: Int
    public var enteredAt: Double
    /// The current state; while active, always a wait state.
    public var state: StateID
    /// The current state's label (what maps the instance onto a newer version if its own retires).
    public var step: String
    /// When the current wait ends (duration, local time) or times out (event wait); `nil` once finished.
    public var deadline: Double?
    /// The most recent event the instance matched: its trigger, or what a `wait for event` received.
    public var lastEvent: MatchedEvent?
    /// Experiment assignments made so far, in the order the splits were reached.
    public var variants: [VariantAssignment]
    public var status: InstanceStatus
    /// When the conversion goal was reached, if it was.
    public var convertedAt: Double?
    /// The end of the goal window (`enteredAt + goal.within`), when the journey has a goal.
    public var goalDeadline: Double?
    /// Send states visited more than once in this entry (their dedup keys get a visit suffix).
    public var sendVisits: [StateID]
    /// Set while the instance's journey is paused and the instance was found holding (its timer
    /// came due, or an input arrived): the instant the engine first held it. On resume, a deadline
    /// that passed while held fires at the resume instant, not in the past.
    public var heldSince: Double?
    /// The event a held `wait for event` received while its journey was paused (before the wait's
    /// timeout): on resume it advances the instance as if it had just arrived.
    public var heldEvent: MatchedEvent?

    public var isActive: Bool { status == .active }
}

public enum InstanceStatus: Sendable, Hashable, Codable {
    case active
    case finished(ExitReason, at: Double)
}

/// Why an instance left its journey.
public enum ExitReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// It reached the end of the journey.
    case completed
    /// An explicit `exit "reason"` step.
    case explicit(String)
    /// An `exit on event` criterion matched this event.
    case event(String)
    /// An `exit when` condition became true.
    case condition
    /// The conversion goal was reached and the goal ends the journey.
    case goal
    /// The version the instance entered with is no longer held and its state has no counterpart
    /// in the current version.
    case versionRetired
    /// The journey's current version declares a migration that takes customers waiting at this
    /// step out of the journey (`migrate from STEP exit`, `migrate others exit`).
    case migration
    /// The instance ran too many steps without waiting (a cycle of action steps).
    case stepLimit
    /// The program pointed at a state that does not exist.
    case invalidState(StateID)

    public var description: String {
        switch self {
        case .completed: "completed"
        case .explicit(let reason): "exit \"\(reason)\""
        case .event(let name): "event \(name)"
        case .condition: "exit condition"
        case .goal: "goal"
        case .versionRetired: "version retired"
        case .migration: "exited by migration"
        case .stepLimit: "step limit"
        case .invalidState(let id): "invalid state \(id)"
        }
    }
}

/// An event as an instance remembers it (for `event.*` in expressions and templates).
public struct MatchedEvent: Sendable, Hashable, Codable {
    public var name: String
    public var timestamp: Double
    public var properties: [String: Value]
    public init(name: String, timestamp: Double, properties: [String: Value]) {
        self.name = name
        self.timestamp = timestamp
        self.properties = properties
    }
}

public struct VariantAssignment: Sendable, Hashable, Codable {
    public var split: String
    public var variant: String
    public var isControl: Bool
    public init(split: String, variant: String, isControl: Bool) {
        self.split = split
        self.variant = variant
        self.isControl = isControl
    }
}

/// How often and when a customer entered one journey.
public struct EntryRecord: Sendable, Hashable, Codable {
    public var count: Int
    public var firstEnteredAt: Double
    public var lastEnteredAt: Double
}

/// A send waiting for its decision: inside the settle window, or deferred by the policy.
public struct PendingSend: Sendable, Hashable, Codable {
    public var request: SendRequest
    public var journeyVersion: String
    public var entrySequence: Int
    /// The instance's matched event when the send was requested (the template's `event`).
    public var event: [String: Value]
    /// When the policy is (next) asked about it.
    public var dueAt: Double
    /// How many times the policy deferred it.
    public var deferrals: Int
    /// Set while the send's journey is paused and the send came due: it is decided at the resume
    /// instant, not at its old due time.
    public var heldSince: Double?
}

/// Recent events per name, oldest first, kept only for the names the catalog counts and only as
/// far back as the longest count window over that name (capped in number).
public struct EventHistory: Sendable, Hashable, Codable {
    public var events: [String: [HistoryEntry]]
    public init(events: [String: [HistoryEntry]] = [:]) { self.events = events }
}

public struct HistoryEntry: Sendable, Hashable, Codable {
    public var timestamp: Double
    /// Kept only when a count over this event name has a filter.
    public var properties: [String: Value]
    public init(timestamp: Double, properties: [String: Value]) {
        self.timestamp = timestamp
        self.properties = properties
    }
}
