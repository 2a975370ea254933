/// A journey compiled to an explicit state machine: the unit the engine runs, one instance per
/// customer.
///
/// States are numbered densely from 0 (`states[id].id == id`). Action states (send, update,
/// branch, split) run immediately and move on; wait states park the instance until an event or a
/// timer moves it; an exit state ends it.
public struct JourneyProgram: Sendable, Hashable, Codable {
    /// The identifier after `journey` (`cart_abandonment`); unique across the catalog.
    public var name: String
    /// The human title (`"Cart abandonment recovery"`); defaults to the name.
    public var title: String
    /// Stable content hash (hex SHA-256 of the canonical form) identifying this version.
    public var version: String
    public var location: SourceLocation
    /// The journey's default lifecycle stage; a state may override it.
    public var stage: Stage?
    /// Higher wins when journeys compete for one customer. Default 50.
    public var priority: Int
    public var trigger: Trigger
    public var entry: EntryRule
    public var exits: [ExitCriterion]
    public var goal: Goal?
    /// Time zone for customers who have none (else the policy's default).
    public var timeZone: String?
    /// Caps declared in the journey itself (scope already set to this journey).
    public var caps: [Cap]
    public var states: [JourneyState]
    public var initial: StateID
    /// How customers waiting in the live version move to this one (`migrate …`); `nil`: they
    /// finish on their version. Left out of the canonical form when `nil`, so a journey without
    /// one keeps its version.
    public var migration: JourneyMigration? = nil

    public init(
        name: String, title: String, version: String, location: SourceLocation, stage: Stage?,
        priority: Int, trigger: Trigger, entry: EntryRule, exits: [ExitCriterion], goal: Goal?,
        timeZone: String?, caps: [Cap], states: [JourneyState], initial: StateID
    ) {
        self.name = name
        self.title = title
        self.version = version
        self.location = location
        self.stage = stage
        self.priority = priority
        self.trigger = trigger
        self.entry = entry
        self.exits = exits
        self.goal = goal
        self.timeZone = timeZone
        self.caps = caps
        self.states = states
        self.initial = initial
    }
}

public typealias StateID = Int

public enum Stage: String, Sendable, Hashable, Codable, CaseIterable {
    case awareness, consideration, purchase, retention, advocacy
}

public struct JourneyState: Sendable, Hashable, Codable {
    public var id: StateID
    /// A stable, human-readable name (`"send_cart_reminder"`, or the label the author gave the
    /// step); unique within the journey. Used in reports, graphs and timelines.
    public var label: String
    public var stage: Stage?
    public var location: SourceLocation
    public var kind: StateKind

    public init(id: StateID, label: String, stage: Stage?, location: SourceLocation, kind: StateKind) {
        self.id = id
        self.label = label
        self.stage = stage
        self.location = location
        self.kind = kind
    }
}

public enum StateKind: Sendable, Hashable, Codable {
    case send(Send, next: StateID)
    case update([AttributeUpdate], next: StateID)
    /// The first branch whose condition holds wins; otherwise `otherwise`.
    case branch([Branch], otherwise: StateID)
    case split(Split)
    case wait(Wait)
    case exit(ExitKind)
}

public struct Branch: Sendable, Hashable, Codable {
    public var condition: Expression
    public var target: StateID
    public init(condition: Expression, target: StateID) {
        self.condition = condition
        self.target = target
    }
}

/// A weighted experiment split. Variants are assigned by a stable hash of
/// (customer id, journey name, split name); weights are percentages that add up to 100.
public struct Split: Sendable, Hashable, Codable {
    public var name: String
    public var variants: [Variant]
    /// `winner after … by conversion min N per variant`: once a winner is decided (outside the
    /// engine, see `JourneyEngine.Options.winners`), later entrants go to it.
    public var winner: WinnerRule?
    public init(name: String, variants: [Variant], winner: WinnerRule? = nil) {
        self.name = name
        self.variants = variants
        self.winner = winner
    }
}

/// A split's winner rule: after `after` seconds from the split's first entrant, the variant with
/// the best conversion among those with at least `minimumPerVariant` entrants wins if it beats
/// every other such variant significantly (two-proportion test, 95 %). See docs/semantics.md.
public struct WinnerRule: Sendable, Hashable, Codable {
    /// The period, in seconds, from the split's first entrant to the first decision.
    public var after: Double
    /// The smallest number of entrants each competing variant needs.
    public var minimumPerVariant: Int
    public init(after: Double, minimumPerVariant: Int) {
        self.after = after
        self.minimumPerVariant = minimumPerVariant
    }
}

public struct Variant: Sendable, Hashable, Codable {
    public var name: String
    public var weight: Double
    /// The control group receives nothing from the split: its target is the step after the split.
    public var isControl: Bool
    public var target: StateID
    public init(name: String, weight: Double, isControl: Bool, target: StateID) {
        self.name = name
        self.weight = weight
        self.isControl = isControl
        self.target = target
    }
}

public enum Wait: Sendable, Hashable, Codable {
    /// A fixed duration: `wait 7 days` is 7 × 24 hours, whatever the clocks do.
    case duration(seconds: Double, next: StateID)
    /// `days` calendar days in the customer's time zone, ending at the local time of day the wait
    /// started (`wait 7 calendar days`): across a daylight-saving change it lasts an hour more or
    /// less than `days` × 24 hours.
    case calendarDays(Int, next: StateID)
    /// Until the instant a `time` expression gives when the wait starts (`wait until
    /// customer.trial_ends_at - 3 days`); at once when it is `null` or already past.
    case untilTime(Expression, next: StateID)
    /// Until the next occurrence of a local time of day in the customer's time zone, optionally
    /// only on the given weekdays. "Next" is strictly after the moment the wait starts.
    case untilLocalTime(LocalTime, weekdays: Set<Weekday>?, next: StateID)
    /// For a matching event, or until `timeout` seconds pass. An event at exactly the timeout
    /// instant is too late (timers are processed before inputs at the same instant).
    case event(name: String, filter: Expression?, timeout: Double, onEvent: StateID, onTimeout: StateID)
    /// For the first event that matches one of `arms` (tried in order), or until `timeout`
    /// seconds pass; each arm continues at its own state. Same boundary as `event`: an event at
    /// exactly the timeout instant is too late.
    case events([EventArm], timeout: Double, onTimeout: StateID)
}

/// One arm of a `wait for events` step: the event (and filter) it takes and where it continues.
public struct EventArm: Sendable, Hashable, Codable {
    public var name: String
    public var filter: Expression?
    public var target: StateID
    public init(name: String, filter: Expression?, target: StateID) {
        self.name = name
        self.filter = filter
        self.target = target
    }
}

public struct LocalTime: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int
    public init(hour: Int, minute: Int) {
        self.hour = hour
        self.minute = minute
    }
    public var minutesOfDay: Int { hour * 60 + minute }
    public static func < (a: LocalTime, b: LocalTime) -> Bool { a.minutesOfDay < b.minutesOfDay }
    public var description: String {
        (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }
}

/// ISO weekday numbering: 1 = Monday … 7 = Sunday.
public enum Weekday: Int, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday
    public static func < (a: Weekday, b: Weekday) -> Bool { a.rawValue < b.rawValue }
}

public enum ExitKind: Sendable, Hashable, Codable {
    /// Reached the end of the journey.
    case completed
    /// An explicit `exit "reason"` step.
    case explicit(reason: String)
}

public enum Channel: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case email, sms, webhook
    public static func < (a: Channel, b: Channel) -> Bool { a.rawValue < b.rawValue }
}

public enum MessageCategory: String, Sendable, Hashable, Codable {
    case marketing, transactional
}

public struct Send: Sendable, Hashable, Codable {
    public var channel: Channel
    /// The message name: its templates live in `Journeys/messages/<message>/`.
    public var message: String
    public var category: MessageCategory
    /// Subscription topic for consent beyond the channel (`newsletter`), if any.
    public var topic: String?
    /// Where to send instead when this channel is not allowed (no consent, no contact data, capped
    /// with `whenCapped: .fallback`).
    public var fallback: Channel?
    /// What to do when a cap, the minimum gap or a higher-priority journey blocks the send.
    public var whenCapped: CappedRule
    /// What to do when the send falls in quiet hours (marketing only).
    public var inQuietHours: QuietHoursRule
    /// Versions of the message (`variant question 50%` under the send), chosen per customer by a
    /// stable hash of (customer, journey, message) like a split's variants; the templates tell
    /// them apart with `{{#variant.question}}…{{/variant.question}}`. `nil`: one version.
    public var variants: [MessageVariant]?
    /// `at best time within …`: the send goes out at the local hour the customer engages most
    /// within the window (see ``SendTimeRule``); `nil`: at once.
    public var bestTime: SendTimeRule?

    public init(
        channel: Channel, message: String, category: MessageCategory, topic: String? = nil,
        fallback: Channel? = nil, whenCapped: CappedRule = .skip, inQuietHours: QuietHoursRule = .deferUntilEnd,
        variants: [MessageVariant]? = nil, bestTime: SendTimeRule? = nil
    ) {
        self.variants = variants
        self.bestTime = bestTime
        self.channel = channel
        self.message = message
        self.category = category
        self.topic = topic
        self.fallback = fallback
        self.whenCapped = whenCapped
        self.inQuietHours = inQuietHours
    }
}

/// `send email weekly at best time within 24 hours [default 10:00]`: send-time optimisation.
///
/// When the send step is reached the engine picks, in the customer's time zone, the local hour
/// with the most decayed engagement inside `[now, now + window)`, falling back to the journey's
/// audience-wide best hour and then to `defaultTime` (or the window start); docs/semantics.md,
/// "Send-time optimisation", has the rule.
public struct SendTimeRule: Sendable, Hashable, Codable {
    /// The window's length in seconds (1 hour to 7 days).
    public var window: Double
    /// The fixed local time used when neither the customer nor the journey has enough history
    /// (its first occurrence in the window); `nil`: the window start.
    public var defaultTime: LocalTime?

    public init(window: Double, defaultTime: LocalTime? = nil) {
        self.window = window
        self.defaultTime = defaultTime
    }

    /// The shortest window: shorter ones leave no hour to choose.
    public static let minimumWindow: Double = 3_600
    /// The longest window: a week holds every local hour of every weekday.
    public static let maximumWindow: Double = 7 * 86_400
}

/// One version of a message: its name (`{{variant.name}}` in the templates) and its share in percent.
public struct MessageVariant: Sendable, Hashable, Codable {
    public var name: String
    public var weight: Double
    public init(name: String, weight: Double) {
        self.name = name
        self.weight = weight
    }
}

public enum CappedRule: Sendable, Hashable, Codable {
    case skip
    /// Defer to the next allowed moment, but give up (skip, with the reason) after this many seconds.
    case deferUpTo(seconds: Double)
    /// Send on the `fallback` channel instead (skip when that is blocked too).
    case fallback
}

public enum QuietHoursRule: Sendable, Hashable, Codable {
    case deferUntilEnd
    case skip
}

public struct AttributeUpdate: Sendable, Hashable, Codable {
    public var attribute: [String]
    public var operation: Operation
    public enum Operation: Sendable, Hashable, Codable {
        case set(Expression)
        /// Adds a number (or a duration to a time) to the current value; a missing value counts as 0.
        case increment(Expression)
        case unset
    }
    public init(attribute: [String], operation: Operation) {
        self.attribute = attribute
        self.operation = operation
    }
}

public enum Trigger: Sendable, Hashable, Codable {
    /// Enter when the customer has an event with this name (and the filter holds for it).
    case event(name: String, filter: Expression?)
    /// Enter when the customer starts matching the segment (was not a member, now is).
    case segmentEntry(segment: String)
    /// Enter every member of the segment (everyone when `nil`) at a local time in the customer's own
    /// time zone, on the given weekdays (every day when `nil`).
    case schedule(segment: String?, at: LocalTime, weekdays: Set<Weekday>?)
    /// Enter every member of the segment (everyone when `nil`) at a local time in the customer's
    /// own time zone, on the days of a calendar rule (monthly, every N weeks, an anniversary).
    case calendar(segment: String?, at: LocalTime, rule: CalendarRule)
}

/// The days a calendar trigger fires on.
public enum CalendarRule: Sendable, Hashable, Codable {
    /// Every `weeks` weeks on `weekdays`. Weeks are counted from the week of Monday 1970-01-05, the
    /// same weeks for every customer (`every 2 weeks` fires in even-numbered weeks).
    case everyWeeks(Int, weekdays: Set<Weekday>)
    /// Every month on one day of it.
    case monthly(MonthDay)
    /// Every year on the month and day of a `time` attribute (`customer.birthday`); 29 February
    /// is 28 February in years without it. No attribute, no firing.
    case anniversary(attribute: [String])
}

public enum MonthDay: Sendable, Hashable, Codable {
    /// Day 1–31; a month without that day fires on its last day.
    case day(Int)
    case lastDay
    /// The `ordinal`th (1–4) weekday of the month, or the last one (`ordinal` -1).
    case weekday(Weekday, ordinal: Int)
}

public enum EntryRule: Sendable, Hashable, Codable {
    /// At most one active instance; may enter again once the previous one finished. The default.
    case oneAtATime
    /// Only ever once per customer.
    case onceEver
    /// At most once per period (counted from the previous entry) and never while one is active.
    case oncePer(seconds: Double)
    /// Every trigger enters, even while other instances are active.
    case always
}

public enum ExitCriterion: Sendable, Hashable, Codable {
    /// Leave wherever the instance is when this event arrives.
    case event(name: String, filter: Expression?)
    /// Leave as soon as the condition holds (checked after every event and profile update).
    case condition(Expression)
}

/// A conversion goal: reached when the event happens within `within` seconds of entry; counted
/// once per entry, with the time to convert.
public struct Goal: Sendable, Hashable, Codable {
    public var event: String
    public var filter: Expression?
    public var within: Double
    /// Whether reaching the goal also ends the instance.
    public var exitOnGoal: Bool
    public init(event: String, filter: Expression?, within: Double, exitOnGoal: Bool) {
        self.event = event
        self.filter = filter
        self.within = within
        self.exitOnGoal = exitOnGoal
    }
}
