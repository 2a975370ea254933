public import JourneyLanguage

/// What deploying a candidate journey set would do, before doing it: per journey, the structural
/// difference between the live version and the candidate, how many instances wait at each step of
/// each version now, and what happens to them; and whether the deployment would be refused.
///
/// Steps are identified by their label (the name the author gave, or the one the compiler derived
/// from the step). A step is *added* or *removed* when its label appears only on one side,
/// *changed* when its own content differs (another message, channel, duration, condition), and
/// *moved* when its content is the same but it leads elsewhere (its successors differ).
///
/// ```swift
/// let plan = DeploymentPlan(live: liveJourneys, candidate: catalog.journeys, archive: versions, waiting: counts)
/// for journey in plan.journeys { print(journey.name, journey.status) }
/// ```
public struct DeploymentPlan: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case added, removed, changed, unchanged
    }

    /// One step's structural change.
    public struct StepChange: Sendable, Hashable, Codable {
        public enum Change: String, Sendable, Hashable, Codable {
            case added, removed, changed, moved
        }
        public var step: String
        public var change: Change
        /// `send`, `wait`, `branch`, `split`, `update` or `exit` (the candidate's, or the live one's when removed).
        public var kind: String
        /// What differs, in words.
        public var detail: String
    }

    /// Instances waiting at one step of one version, and what happens to them.
    public struct Waiting: Sendable, Hashable, Codable {
        public var version: String
        public var step: String
        public var count: Int
        /// Whether `version` is the live one (the others are older versions still running).
        public var live: Bool
        /// What the deployment does to them, in words.
        public var outcome: String
        /// What a declared migration does to them (`nil`: the candidate declares none for this
        /// journey, or nothing changes): the engine applies exactly this.
        public var migration: PlannedMigration?
    }

    /// A declared migration's effect on the customers at one step, in fields.
    public struct PlannedMigration: Sendable, Hashable, Codable {
        public enum Action: String, Sendable, Hashable, Codable {
            /// They move to `toStep` of `toVersion`.
            case move
            /// They leave the journey.
            case exit
            /// They finish on their version (`migrate others stay`, a step no rule names, or a
            /// rule whose target is another kind of wait).
            case stay
        }
        public var action: Action
        public var toVersion: String?
        public var toStep: String?
        /// For a move: whether the wait keeps its deadline (else it restarts).
        public var keepDeadline: Bool?
        /// The `migrate` line that decides it (`nil`: `migrate others`, or no rule).
        public var line: Int?

        public init(action: Action, toVersion: String? = nil, toStep: String? = nil, keepDeadline: Bool? = nil, line: Int? = nil) {
            self.action = action
            self.toVersion = toVersion
            self.toStep = toStep
            self.keepDeadline = keepDeadline
            self.line = line
        }
    }

    public struct JourneyPlan: Sendable, Hashable, Codable {
        public var name: String
        public var status: Status
        public var liveVersion: String?
        public var candidateVersion: String?
        /// Journey-level settings that differ (`trigger`, `entry`, `exit criteria`, …).
        public var settings: [String]
        public var steps: [StepChange]
        public var waiting: [Waiting]
        public var waitingTotal: Int { waiting.reduce(0) { $0 + $1.count } }
    }

    public var journeys: [JourneyPlan]
    /// The reload would be refused (the candidate does not check): nothing would change.
    public var refused: Bool
    /// Why it would be refused (`file:line:column: error: message`).
    public var reasons: [String]

    /// - Parameters:
    ///   - live: the deployed journeys (one version each).
    ///   - candidate: the candidate's journeys, or `nil` when it does not compile (`reasons` say why).
    ///   - waiting: the store's counts (``WaitingInstanceCounting``).
    ///   - archive: older versions still running (so that a declared migration is checked against
    ///     the version the customers wait in, not only the live one).
    public init(
        live: [JourneyProgram], candidate: [JourneyProgram]?, waiting: [WaitingInstances], archive: [JourneyProgram] = [], reasons: [String] = []
    ) {
        refused = candidate == nil
        self.reasons = reasons
        let liveByName = Dictionary(live.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        let candidateByName = Dictionary((candidate ?? []).map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        let waitingByJourney = Dictionary(grouping: waiting, by: \.journey)
        var names = Set(liveByName.keys).union(waitingByJourney.keys)
        if let candidate { names.formUnion(candidate.map(\.name)) }
        journeys = names.sorted().map { name in
            let old = liveByName[name]
            let new = candidateByName[name]
            let status: Status
            switch (old, new) {
            case (nil, _?): status = .added
            case (_, nil) where candidate == nil: status = .unchanged
            case (_, nil): status = .removed
            case (let old?, let new?): status = old.version == new.version ? .unchanged : .changed
            }
            let steps = old.flatMap { o in new.map { n in Self.stepChanges(from: o, to: n) } } ?? []
            let settings = old.flatMap { o in new.map { n in Self.settingChanges(from: o, to: n) } } ?? []
            let outcome: String
            switch status {
            case _ where candidate == nil: outcome = "nothing changes: the reload would be refused"
            case .removed: outcome = "finishes on its version (the journey takes no new entries)"
            case .unchanged: outcome = "stays on its version (nothing changes)"
            default: outcome = "finishes on its version (new entrants start on the candidate)"
            }
            let here = (waitingByJourney[name] ?? []).map { w in
                var said = outcome
                var planned: PlannedMigration?
                if candidate != nil, let new, let migration = new.migration, w.version != new.version {
                    let own = w.version == old?.version ? old : archive.first { $0.name == name && $0.version == w.version }
                    let decision = MigrationDecision(migration, step: w.step, old: own, new: new)
                    said = Self.declaredOutcome(decision, step: w.step, new: new)
                    planned = PlannedMigration(decision, new: new)
                }
                return Waiting(
                    version: w.version, step: w.step, count: w.count, live: w.version == old?.version, outcome: said, migration: planned)
            }
            return JourneyPlan(
                name: name, status: status, liveVersion: old?.version, candidateVersion: new?.version, settings: settings, steps: steps,
                waiting: here)
        }
    }

    /// The journeys whose deployment changes something, or that have waiting instances.
    public var hasChanges: Bool { journeys.contains { $0.status != .unchanged } }

    // MARK: Declared migrations

    /// What a declared migration does to the customers waiting at `step`, in words: moved to a
    /// step of `new` (its deadline kept or restarted), out of the journey, or left on their version
    /// (and why: `migrate others stay`, a step no rule names, a target of another kind of wait).
    static func declaredOutcome(_ decision: MigrationDecision, step: String, new: JourneyProgram) -> String {
        switch decision {
        case .move(_, let target, let keepDeadline, let line):
            return "declared (line \(line)): migrate to \(new.version.prefix(12)) \(target), deadline \(keepDeadline ? "kept" : "restarted")"
        case .exit(let line?):
            return "declared (line \(line)): exit the journey"
        case .exit(nil):
            return "declared: exit the journey (migrate others exit)"
        case .stay(.others):
            return "finishes on its version (migrate others stay)"
        case .stay(.unaccounted):
            return
                "declared migration leaves this step unaccounted for: finishes on its version; add `migrate from \(step) to STEP` or `migrate others stay|exit`"
        case .stay(.kindMismatch(let line, let from, let to)):
            return "declared migration (line \(line)) cannot apply: `\(step)` is \(from) and the target \(to); finishes on its version"
        case .stay(.unknownTarget(let line)):
            return "declared migration (line \(line)) names no wait of the candidate: finishes on its version"
        }
    }

    /// The `migrate from` rules of `candidate` that name no step of the live version of their
    /// journey: where they are and what is wrong, with the closest live step as a suggestion.
    public static func unknownMigrationSteps(live: [JourneyProgram], candidate: [JourneyProgram]) -> [(at: SourceLocation, message: String)] {
        let liveByName = Dictionary(live.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        var problems: [(at: SourceLocation, message: String)] = []
        for journey in candidate {
            guard let migration = journey.migration, let old = liveByName[journey.name] else { continue }
            let labels = old.states.map(\.label)
            for rule in migration.rules where !labels.contains(rule.from) {
                let hint = Suggestions.closest(to: rule.from, in: labels).map { "; did you mean `\($0)`?" } ?? ""
                problems.append(
                    (rule.location, "migrate from `\(rule.from)`: the live version of journey `\(journey.name)` has no step `\(rule.from)`\(hint)"))
            }
        }
        return problems
    }

    // MARK: Structural difference

    static func stepChanges(from old: JourneyProgram, to new: JourneyProgram) -> [StepChange] {
        let before = Dictionary(old.states.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.states.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        var changes: [StepChange] = []
        for state in new.states {
            guard let previous = before[state.label] else {
                changes.append(StepChange(step: state.label, change: .added, kind: kindName(state.kind), detail: describe(state.kind, in: new)))
                continue
            }
            let (oldContent, oldNext) = shape(previous.kind, in: old)
            let (newContent, newNext) = shape(state.kind, in: new)
            if oldContent != newContent {
                changes.append(
                    StepChange(
                        step: state.label, change: .changed, kind: kindName(state.kind),
                        detail: "was \(describe(previous.kind, in: old)); now \(describe(state.kind, in: new))"))
            } else if oldNext != newNext {
                changes.append(
                    StepChange(
                        step: state.label, change: .moved, kind: kindName(state.kind),
                        detail: "led to \(list(oldNext)); now leads to \(list(newNext))"))
            }
        }
        for state in old.states where after[state.label] == nil {
            changes.append(StepChange(step: state.label, change: .removed, kind: kindName(state.kind), detail: describe(state.kind, in: old)))
        }
        return changes
    }

    static func list(_ labels: [String]) -> String { labels.isEmpty ? "nothing" : labels.joined(separator: ", ") }

    /// The step's own content (successors blanked) and the labels of its successors.
    static func shape(_ kind: StateKind, in program: JourneyProgram) -> (StateKind, [String]) {
        func label(_ id: StateID) -> String { program.states.indices.contains(id) ? program.states[id].label : "#\(id)" }
        switch kind {
        case .send(let send, let next): return (.send(send, next: 0), [label(next)])
        case .update(let updates, let next): return (.update(updates, next: 0), [label(next)])
        case .branch(let branches, let otherwise):
            return (
                .branch(branches.map { Branch(condition: $0.condition, target: 0) }, otherwise: 0),
                branches.map { label($0.target) } + [label(otherwise)]
            )
        case .split(var split):
            let targets = split.variants.map { label($0.target) }
            for k in split.variants.indices { split.variants[k].target = 0 }
            return (.split(split), targets)
        case .wait(let wait):
            switch wait {
            case .duration(let seconds, let next): return (.wait(.duration(seconds: seconds, next: 0)), [label(next)])
            case .calendarDays(let days, let next): return (.wait(.calendarDays(days, next: 0)), [label(next)])
            case .untilTime(let e, let next): return (.wait(.untilTime(e, next: 0)), [label(next)])
            case .untilLocalTime(let t, let days, let next): return (.wait(.untilLocalTime(t, weekdays: days, next: 0)), [label(next)])
            case .event(let name, let filter, let timeout, let onEvent, let onTimeout):
                return (
                    .wait(.event(name: name, filter: filter, timeout: timeout, onEvent: 0, onTimeout: 0)), [label(onEvent), label(onTimeout)]
                )
            case .events(let arms, let timeout, let onTimeout):
                return (
                    .wait(.events(arms.map { EventArm(name: $0.name, filter: $0.filter, target: 0) }, timeout: timeout, onTimeout: 0)),
                    arms.map { label($0.target) } + [label(onTimeout)]
                )
            }
        case .exit: return (kind, [])
        }
    }

    static func kindName(_ kind: StateKind) -> String {
        switch kind {
        case .send: "send"
        case .update: "update"
        case .branch: "branch"
        case .split: "split"
        case .wait: "wait"
        case .exit: "exit"
        }
    }

    static func describe(_ kind: StateKind, in program: JourneyProgram) -> String {
        switch kind {
        case .send(let send, _):
            "send \(send.channel.rawValue) \(send.message)" + (send.fallback.map { " fallback \($0.rawValue)" } ?? "")
                + (send.category == .transactional ? " (transactional)" : "")
        case .update(let updates, _): "update \(updates.count) attribute(s)"
        case .branch(let branches, _): "branch with \(branches.count) condition(s)"
        case .split(let split):
            "split \(split.name): " + split.variants.map { "\($0.name) \(Int($0.weight))%" }.joined(separator: ", ")
                + (split.winner.map { " · winner after \(DurationText.format($0.after)) by conversion, min \($0.minimumPerVariant) per variant" }
                    ?? "")
        case .wait(let wait):
            switch wait {
            case .duration(let seconds, _): "wait \(DurationText.format(seconds))"
            case .calendarDays(let days, _): "wait \(days) calendar day(s)"
            case .untilTime: "wait until a time"
            case .untilLocalTime(let t, _, _): "wait until \(t)"
            case .event(let name, _, let timeout, _, _): "wait for \(name) up to \(DurationText.format(timeout))"
            case .events(let arms, let timeout, _):
                "wait for \(arms.map(\.name).joined(separator: " or ")) up to \(DurationText.format(timeout))"
            }
        case .exit: "exit"
        }
    }

    static func settingChanges(from old: JourneyProgram, to new: JourneyProgram) -> [String] {
        var changed: [String] = []
        if old.trigger != new.trigger { changed.append("trigger") }
        if old.entry != new.entry { changed.append("entry rule") }
        if old.exits != new.exits { changed.append("exit criteria") }
        if old.goal != new.goal { changed.append("goal") }
        if old.priority != new.priority { changed.append("priority \(old.priority) → \(new.priority)") }
        if old.stage != new.stage { changed.append("stage") }
        if old.timeZone != new.timeZone { changed.append("time zone") }
        if old.caps != new.caps { changed.append("caps") }
        if old.title != new.title { changed.append("title") }
        if old.states.first(where: { $0.id == old.initial })?.label != new.states.first(where: { $0.id == new.initial })?.label {
            changed.append("first step")
        }
        return changed
    }
}

extension DeploymentPlan.PlannedMigration {
    init(_ decision: MigrationDecision, new: JourneyProgram) {
        switch decision {
        case .move(_, let label, let keepDeadline, let line):
            self.init(action: .move, toVersion: new.version, toStep: label, keepDeadline: keepDeadline, line: line)
        case .exit(let line):
            self.init(action: .exit, line: line)
        case .stay(let reason):
            switch reason {
            case .kindMismatch(let line, _, _), .unknownTarget(let line): self.init(action: .stay, line: line)
            case .others, .unaccounted: self.init(action: .stay)
            }
        }
    }
}
