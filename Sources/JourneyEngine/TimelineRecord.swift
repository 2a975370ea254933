public import JourneyLanguage

/// One thing that happened to a customer in a journey: what the dry-run prints, what reports
/// count, and what the service keeps as the customer's recent history.
public struct TimelineRecord: Sendable, Hashable, Codable {
    public var at: Double
    public var customerID: String
    public var journey: String
    /// The program version of the instance (empty for records about a refused entry).
    public var version: String
    /// The instance's entry sequence (0 for records about a refused entry).
    public var entrySequence: Int
    public var kind: TimelineKind

    public init(at: Double, customerID: String, journey: String, version: String, entrySequence: Int, kind: TimelineKind) {
        self.at = at
        self.customerID = customerID
        self.journey = journey
        self.version = version
        self.entrySequence = entrySequence
        self.kind = kind
    }
}

public enum TimelineKind: Sendable, Hashable, Codable {
    /// The customer entered the journey.
    case entered(trigger: EntryTrigger)
    /// A trigger fired but the entry rule (or an exit condition) refused the entry.
    case notEntered(trigger: EntryTrigger, reason: NotEnteredReason)
    /// The instance reached a step.
    case stepReached(step: String, stage: Stage?)
    /// The instance waits at `step` until `until` (for an event wait: its timeout).
    case waiting(step: String, until: Double, forEvent: String?)
    /// A `wait for event` received its event.
    case eventReceived(step: String, event: String)
    /// A `wait for event` timed out.
    case timedOut(step: String)
    /// An experiment split assigned a variant; `winner` says why when a decided winner (see
    /// `JourneyEngine.Options.winners`) took the place of the customer's own variant
    /// ("winner since 2026-03-10: conversion 12.1 % vs 8.0 %, n=1,200").
    case variantAssigned(split: String, variant: String, isControl: Bool, winner: String? = nil)
    /// An update step changed these attributes.
    case attributesUpdated(step: String, attributes: [String])
    /// The policy allowed the send: it went to the outbox as `messageID` on `channel` (which is not
    /// `requested` when the send fell back; `notes` say why).
    case sent(step: String, message: String, requested: Channel, channel: Channel, messageID: String, notes: [DecisionReason])
    /// The policy deferred the send; it is decided again at `until`.
    case deferred(step: String, message: String, channel: Channel, until: Double, reason: DecisionReason)
    case skipped(step: String, message: String, channel: Channel, reason: DecisionReason)
    /// A send still waiting for its decision was dropped because its instance exited.
    case sendCancelled(step: String, message: String, channel: Channel, because: ExitReason)
    /// The instance left the journey at `step`.
    case exited(step: String, reason: ExitReason)
    /// The conversion goal was reached, `timeToConvert` seconds after entry.
    case converted(goal: String, timeToConvert: Double, variants: [VariantAssignment])
    /// The instance moved to the current version of its journey because its own version is no
    /// longer held (mapped by state label).
    case migrated(from: String, to: String, step: String)
    /// The journey's current version declares a migration (`migrate from … to …`, at `line` of
    /// its file) and it moved the instance from `fromStep` of version `fromVersion` to `toStep` of
    /// the current version `toVersion`, keeping the wait's deadline or restarting it.
    /// An instance the declaration takes out of the journey gets an `exited` record with
    /// ``ExitReason/migration`` instead.
    case movedByMigration(fromVersion: String, fromStep: String, toVersion: String, toStep: String, keptDeadline: Bool, line: Int)
    /// The instance's journey is paused: it holds at `step` (no timer fires, no event wait
    /// advances, no send is decided) until the journey is resumed.
    case held(step: String)
    /// A count for the per-step engagement statistics (a send, an engagement event tied to a
    /// message, a conversion attributed to its last message): see docs/engagement.md.
    case engaged(EngagementRecord)
    /// The journey was resumed: the instance continues from `step` after holding `heldFor` seconds.
    case resumed(step: String, heldFor: Double)
    /// A send with `at best time within …` chose when it is requested, and why
    /// ("best hour 19:00 local, from 14 clicks").
    case sendTimeChosen(step: String, message: String, channel: Channel, choice: SendTimeChoice)
    /// An engagement event (opened, clicked) for a message of this journey, at `localHour` in the
    /// customer's zone: counted into the journey's audience hours (``AudienceHours``).
    case sendTimeEngagement(localHour: Int)
}

extension TimelineKind {
    /// `moved from 3f2a9c1d0b7e wait_1_hour to 81c4e0d2aa19 wait_2_hours, deadline kept (migrate, line 4)`:
    /// how timelines (the dry-run's and the service's customer log) say a declared migration moved
    /// an instance.
    public static func movedByMigrationText(
        fromVersion: String, fromStep: String, toVersion: String, toStep: String, keptDeadline: Bool, line: Int
    ) -> String {
        "moved from \(fromVersion.prefix(12)) \(fromStep) to \(toVersion.prefix(12)) \(toStep), deadline \(keptDeadline ? "kept" : "restarted") (migrate, line \(line))"
    }
}

/// What made a customer enter (or try to enter) a journey.
public enum EntryTrigger: Sendable, Hashable, Codable, CustomStringConvertible {
    case event(String)
    case segment(String)
    case schedule
    public var description: String {
        switch self {
        case .event(let name): "event \(name)"
        case .segment(let name): "segment \(name)"
        case .schedule: "schedule"
        }
    }
}

/// Why a trigger did not enter the customer.
public enum NotEnteredReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The journey allows one active instance and one is active.
    case alreadyActive
    /// `entry once`: the customer entered before.
    case onceEver(enteredAt: Double)
    /// `entry once per …`: the previous entry is too recent.
    case oncePer(period: Double, lastEnteredAt: Double, nextAllowedAt: Double)
    /// An `exit when` condition already holds.
    case exitConditionHolds
    /// The journey is paused: it takes no new entries.
    case journeyPaused

    public var description: String {
        switch self {
        case .alreadyActive: "already active"
        case .onceEver(let at): "entry once: already entered at \(Value.formatTime(at))"
        case .oncePer(let period, let last, let next):
            "entry once per \(DurationText.format(period)): last entered \(Value.formatTime(last)), next allowed \(Value.formatTime(next))"
        case .exitConditionHolds: "an exit condition holds"
        case .journeyPaused: "the journey is paused"
        }
    }
}

/// Human-readable durations (`1d 2h`, `30m`, `45s`) for timelines and reports.
public enum DurationText {
    public static func format(_ seconds: Double) -> String {
        if seconds == 0 { return "0s" }
        var rest = Int((abs(seconds)).rounded())
        var parts: [String] = []
        let units: [(Int, String)] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        for (size, suffix) in units where rest >= size {
            parts.append("\(rest / size)\(suffix)")
            rest %= size
        }
        if parts.isEmpty { parts = ["\(abs(seconds))s"] }
        return (seconds < 0 ? "-" : "") + parts.joined(separator: " ")
    }
}
