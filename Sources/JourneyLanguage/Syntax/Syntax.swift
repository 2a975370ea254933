/// The syntax tree of journey files, as parsed (before names and types are checked).

/// A name as written, with where it was written.
struct Name: Sendable, Equatable {
    var text: String
    var location: SourceLocation
    var length: Int
}

/// A string literal with its location.
struct StringLiteral: Sendable, Equatable {
    var value: String
    var location: SourceLocation
    var length: Int
}

/// A duration as written (`3 days`), in seconds.
struct DurationLiteral: Sendable, Equatable {
    var seconds: Double
    /// Canonical text: `3 days`.
    var text: String
    var location: SourceLocation
    var length: Int
}

struct SourceFileSyntax: Sendable {
    var path: String
    var declarations: [DeclarationSyntax]
}

enum DeclarationSyntax: Sendable {
    case journey(JourneySyntax)
    case segment(SegmentSyntax)
    case policy(PolicySyntax)
    case schema(SchemaSyntax)
}

// MARK: - Segments, schema, policy

struct SegmentSyntax: Sendable {
    var name: Name
    var title: String?
    var condition: ExpressionSyntax?
    var location: SourceLocation
}

struct SchemaSyntax: Sendable {
    var location: SourceLocation
    var customer: [FieldSyntax]
    var hasCustomerBlock: Bool
    var events: [(name: StringLiteral, fields: [FieldSyntax])]
}

struct FieldSyntax: Sendable {
    var name: Name
    var type: TypeSyntax
}

indirect enum TypeSyntax: Sendable, Equatable {
    case named(Name)
    case list(TypeSyntax, SourceLocation)
}

struct PolicySyntax: Sendable {
    var location: SourceLocation
    var settings: [PolicySetting]
}

struct PolicySetting: Sendable {
    enum Kind: Sendable {
        case timeZone(StringLiteral)
        case settleWindow(DurationLiteral)
        case cap(CapSyntax)
        case minimumGap(DurationLiteral)
        case quietHours(start: LocalTime, end: LocalTime, channels: [Name])
        case transactionalCountsTowardCaps
        /// `global holdout 5%`: the share of customers kept out of every marketing journey.
        case globalHoldout(Double, SourceLocation, Int)
    }
    var kind: Kind
    var location: SourceLocation
    var length: Int
}

struct CapSyntax: Sendable {
    enum Scope: Sendable, Equatable {
        case all
        case marketing
        case transactional
        case channel(Name)
        case eachJourney
        case journey(Name)
    }
    var scopes: [(scope: Scope, location: SourceLocation, length: Int)]
    var limit: Int
    var limitLocation: SourceLocation
    var window: CapWindow
    /// `day`, `7_days`, `rolling_24_hours`: used to name the cap.
    var windowName: String
    var location: SourceLocation
}

// MARK: - Journeys

struct JourneySyntax: Sendable {
    var name: Name
    var title: String?
    var location: SourceLocation
    var settings: [JourneySetting]
    var steps: [StepSyntax]
    /// Whether parsing its body reported errors (the checker then stays quiet about what may
    /// simply have failed to parse, such as a missing trigger).
    var hasSyntaxErrors = false
}

struct JourneySetting: Sendable {
    enum Kind: Sendable {
        case stage(Name)
        case priority(Double)
        case trigger(TriggerSyntax)
        case entry(EntryRule)
        case exitOnEvent(StringLiteral, filter: ExpressionSyntax?)
        case exitWhen(ExpressionSyntax)
        case goal(event: StringLiteral, filter: ExpressionSyntax?, within: DurationLiteral, exitOnGoal: Bool)
        case cap(CapSyntax)
        case timeZone(StringLiteral)
        case migrate(MigrationRuleSyntax)
    }
    var kind: Kind
    var location: SourceLocation
    var length: Int
    /// Whether a step came before this setting in the journey body.
    var afterSteps: Bool

    var keyword: String {
        switch kind {
        case .stage: "stage"
        case .priority: "priority"
        case .trigger: "trigger"
        case .entry: "entry"
        case .exitOnEvent, .exitWhen: "exit"
        case .goal: "goal"
        case .cap: "cap"
        case .timeZone: "time zone"
        case .migrate: "migrate"
        }
    }
}

/// One line of a declared in-flight migration: how customers waiting in the live version move
/// when this version is deployed.
enum MigrationRuleSyntax: Sendable {
    /// `migrate from OLD to NEW [keep deadline | restart]`
    case move(from: Name, to: Name, keepDeadline: Bool)
    /// `migrate from OLD exit`
    case exit(from: Name)
    /// `migrate others stay` / `migrate others exit`: the steps no rule names.
    case others(exit: Bool)
}

enum TriggerSyntax: Sendable {
    case event(StringLiteral, filter: ExpressionSyntax?)
    case segment(Name)
    case schedule(weekdays: Set<Weekday>?, at: LocalTime, segment: Name?)
    case calendar(CalendarRuleSyntax, at: LocalTime, segment: Name?)
}

enum CalendarRuleSyntax: Sendable {
    case everyWeeks(Int, weekdays: Set<Weekday>)
    case monthly(MonthDay)
    case anniversary(ExpressionSyntax)
}

struct StepSyntax: Sendable {
    var label: Name?
    var kind: StepKindSyntax
    var location: SourceLocation
    /// Length of the step's first line (for the underline).
    var length: Int
    /// The state this step compiles to (assigned by the compiler; -1 for steps with no state).
    var id: StateID = -1
}

indirect enum StepKindSyntax: Sendable {
    case waitDuration(DurationLiteral)
    /// `wait 7 calendar days` (`seconds` is days × 86 400; the text says `calendar`).
    case waitCalendarDays(DurationLiteral)
    case waitUntil(LocalTime, weekdays: Set<Weekday>?)
    /// `wait until customer.trial_ends_at - 3 days`.
    case waitUntilTime(ExpressionSyntax)
    case waitForEvent(WaitForEventSyntax)
    /// `wait for events up to 5 days` with one `on event "…" ->` arm per event.
    case waitForEvents(WaitForEventsSyntax)
    /// `go to LABEL`: continue at the labelled step (a join).
    case goTo(Name)
    case send(SendSyntax)
    case branch([BranchArmSyntax], otherwise: [StepSyntax]?, otherwiseLocation: SourceLocation?)
    /// `split NAME` with its variants and an optional winner rule.
    case split(name: StringLiteral, variants: [VariantSyntax], winner: WinnerRuleSyntax?)
    case update(UpdateSyntax)
    case exit(reason: String?)
    case stage(Name)

    /// Whether this step becomes a state of the machine.
    var makesState: Bool {
        switch self {
        case .stage, .goTo: false
        default: true
        }
    }
}

struct WaitForEventSyntax: Sendable {
    var event: StringLiteral
    var filter: ExpressionSyntax?
    var timeout: DurationLiteral?
    var received: [StepSyntax]?
    var receivedLocation: SourceLocation?
    var onTimeout: [StepSyntax]?
    var timeoutLocation: SourceLocation?
}

struct WaitForEventsSyntax: Sendable {
    var arms: [EventArmSyntax]
    var timeout: DurationLiteral?
    var onTimeout: [StepSyntax]?
    var timeoutLocation: SourceLocation?
}

/// `on event "nps.answered" where event.score >= 9 ->` and its steps.
struct EventArmSyntax: Sendable {
    var event: StringLiteral
    var filter: ExpressionSyntax?
    var body: [StepSyntax]
    var location: SourceLocation
    var length: Int
}

struct BranchArmSyntax: Sendable {
    var condition: ExpressionSyntax
    var body: [StepSyntax]
    var location: SourceLocation
}

struct VariantSyntax: Sendable {
    var name: Name
    var weight: Double
    var weightLocation: SourceLocation
    var isControl: Bool
    var body: [StepSyntax]
    var location: SourceLocation
}

/// `winner after 14 days by conversion min 500 per variant` inside a split.
struct WinnerRuleSyntax: Sendable {
    var after: DurationLiteral
    /// The measure the variants compete on (`conversion`, the only one).
    var metric: Name
    var minimum: Double
    var minimumLocation: SourceLocation
    var minimumLength: Int
    var location: SourceLocation
}

struct SendSyntax: Sendable {
    enum Option: Sendable {
        case transactional
        case marketing
        case topic(StringLiteral)
        case fallback(Name)
        case whenCapped(CappedRule)
        case inQuietHours(QuietHoursRule)
        /// `at best time within DURATION [default TIME]`; the window's location for diagnostics.
        case bestTime(window: DurationLiteral, defaultTime: LocalTime?)
    }
    var channel: Name
    var message: Name
    var options: [(option: Option, location: SourceLocation, length: Int)]
    /// `variant NAME N%` lines under the send: versions of the message (a subject-line test).
    var variants: [VariantSyntax] = []
}

struct UpdateSyntax: Sendable {
    enum Operation: Sendable {
        case set(ExpressionSyntax)
        case increment(ExpressionSyntax)
        case unset
    }
    var attribute: Name
    var operation: Operation
}

// MARK: - Expressions

struct ExpressionSyntax: Sendable {
    var kind: ExpressionKindSyntax
    var location: SourceLocation
    var length: Int
}

indirect enum ExpressionKindSyntax: Sendable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case duration(Double)
    /// `2026-03-01`: a time (the date's midnight UTC, read back as that date by date functions).
    case date(CivilDate)
    /// A dotted name: `customer.x`, `event.items`, `now`.
    case path([String])
    case unary(UnaryOperator, ExpressionSyntax)
    case binary(BinaryOperator, ExpressionSyntax, ExpressionSyntax)
    case call(Name, [ExpressionSyntax])
    case exists(ExpressionSyntax)
    case inSegment(ExpressionSyntax, Name)
    case count(event: StringLiteral, filter: ExpressionSyntax?, within: DurationLiteral?)
    case last(event: StringLiteral)
    /// `event "x" [where f] at least N times [in last D]`.
    case behaviour(event: StringLiteral, filter: ExpressionSyntax?, comparison: BinaryOperator, times: ExpressionSyntax, within: DurationLiteral?)
    case list([ExpressionSyntax])
    /// Stands in for an expression that failed to parse (already diagnosed).
    case invalid
}
