public import JourneyLanguage

/// What a journey's declared migration (`migrate …` in its current version) does to one instance
/// waiting in an older version: the single answer both the engine (which applies it) and the
/// deployment plan (which counts it) read, so that the plan's counts and the outcome agree.
///
/// The rules name steps by label, so they apply to every older version of the journey, not only
/// the one live just before: a customer still in version 2 when version 4 is deployed moves by
/// version 4's rules, checked against version 2's step.
///
/// ```swift
/// switch MigrationDecision(migration, step: "wait_1_hour", old: v3, new: v4) {
/// case .move(let target, let label, let keepDeadline, _): …  // to v4's `label`
/// case .exit: …                                              // leaves the journey
/// case .stay: …                                              // finishes on v3
/// }
/// ```
public enum MigrationDecision: Sendable, Hashable {
    /// Move to the new version's step `label` (state `target`), keeping the wait's deadline or
    /// restarting it; `line` is the rule's.
    case move(target: StateID, label: String, keepDeadline: Bool, line: Int)
    /// Leave the journey: `line` is the rule's, `nil` for `migrate others exit`.
    case exit(line: Int?)
    /// Finish on its own version, and why.
    case stay(StayReason)

    public enum StayReason: Sendable, Hashable {
        /// `migrate others stay`.
        case others
        /// No rule names the step and there is no `migrate others` line.
        case unaccounted
        /// The rule's target is another kind of wait than the step (a timed wait and a wait for
        /// events): moving would change what the customer waits for, so they stay.
        case kindMismatch(line: Int, from: String, to: String)
        /// The rule's target is not a wait step of the new version (the checker refuses this;
        /// kept for programs built by hand).
        case unknownTarget(line: Int)
    }

    /// - Parameters:
    ///   - migration: the new version's declaration.
    ///   - step: the label of the step the instance waits at.
    ///   - old: the instance's own version, when held (for the kind check).
    ///   - new: the journey's current version (the one that declares `migration`).
    public init(_ migration: JourneyMigration, step: String, old: JourneyProgram?, new: JourneyProgram) {
        guard let rule = migration.rule(from: step) else {
            switch migration.others {
            case .stay?: self = .stay(.others)
            case .exit?: self = .exit(line: nil)
            case nil: self = .stay(.unaccounted)
            }
            return
        }
        let line = rule.location.line
        switch rule.target {
        case .exit:
            self = .exit(line: line)
        case .step(let label, let keepDeadline):
            guard let to = new.states.first(where: { $0.label == label }), let toKind = Self.waitKind(to.kind) else {
                self = .stay(.unknownTarget(line: line))
                return
            }
            if let from = old?.states.first(where: { $0.label == step }), let fromKind = Self.waitKind(from.kind), fromKind != toKind {
                self = .stay(.kindMismatch(line: line, from: fromKind, to: toKind))
                return
            }
            self = .move(target: to.id, label: label, keepDeadline: keepDeadline, line: line)
        }
    }

    /// The kind of wait a state is, in words (`nil`: not a wait).
    static func waitKind(_ kind: StateKind) -> String? {
        guard case .wait(let wait) = kind else { return nil }
        switch wait {
        case .duration, .calendarDays, .untilTime, .untilLocalTime: return "a timed wait"
        case .event, .events: return "a wait for events"
        }
    }

    /// Whether the instance leaves its version (moves or exits).
    public var applies: Bool {
        if case .stay = self { return false }
        return true
    }
}
