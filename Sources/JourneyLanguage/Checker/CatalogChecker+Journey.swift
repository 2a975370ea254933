/// Checking one journey and lowering it to its state machine.
///
/// Every step that does something becomes one state, numbered in source order (the first step is
/// state 0). A block's last step moves on to whatever follows the block; the end of the journey is a
/// `completed` exit state, added when some path reaches it.
struct JourneyLowering {
    var name: String
    var states: [JourneyState?]
    var generatedLabels: [StateID: String] = [:]
    var userLabels: [StateID: Name] = [:]
    var exitEvents: Set<String> = []
    var goal: Goal?
    var goalLocation: SourceLocation?
    var warnedGoalWindow = false
    var warnedMarketingCap = false
    var hasOwnCaps = false
    var splitNames: [String: SourceLocation] = [:]
    /// The variants of each message sent with variants (an experiment named after the message).
    var messageVariants: [String: [MessageVariant]] = [:]
    var completedID: StateID
    /// The states of the steps labelled `step NAME:`, for `go to NAME`.
    var labelTargets: [String: StateID] = [:]
    /// The states some `go to` continues at: such a step is reachable even after an `exit`.
    var goToTargets: Set<StateID> = []
    /// Every `go to` that resolved, for the loop check.
    var goTos: [(name: Name, target: StateID)] = []
    /// Whether some `go to` names no label (reported once; reachability is then unknown).
    var hasUnresolvedGoTo = false
}

/// What flows into a step: its stage and the least time since entry.
struct FlowContext {
    var stage: Stage?
    var minimumElapsed: Double
}

extension CatalogChecker {
    mutating func checkJourney(_ syntax: JourneySyntax) -> JourneyProgram? {
        let errorsBefore = diagnostics.filter(\.isError).count
        var stage: Stage?
        var priority = 50
        var trigger: Trigger?
        var entry: EntryRule = .oneAtATime
        var exits: [ExitCriterion] = []
        var goal: Goal?
        var goalLocation: SourceLocation?
        var timeZone: String?
        var caps: [Cap] = []
        var capNames: Set<String> = []
        var seen: [String: SourceLocation] = [:]
        var exitEvents: Set<String> = []

        for setting in syntax.settings {
            if setting.afterSteps {
                error(
                    .settingAfterSteps, at: setting.location, length: setting.length,
                    "`\(setting.keyword)` is a journey setting; move it above the journey's first step"
                )
            }
            let singular: Bool
            switch setting.kind {
            case .exitOnEvent, .exitWhen, .cap, .migrate: singular = false
            default: singular = true
            }
            if singular {
                if let first = seen[setting.keyword] {
                    error(
                        .duplicateSetting, at: setting.location, length: setting.length,
                        "journey `\(syntax.name.text)` sets `\(setting.keyword)` twice", notes: [.init("first set here", at: first)])
                    continue
                }
                seen[setting.keyword] = setting.location
            }
            switch setting.kind {
            case .stage(let name):
                stage = resolveStage(name)
            case .priority(let value):
                if value != value.rounded() || value < 0 || value > 100 {
                    error(
                        .valueOutOfRange, at: setting.location, length: setting.length, "priority must be a whole number from 0 to 100 (higher wins)")
                } else {
                    priority = Int(value)
                }
            case .trigger(let syntax):
                trigger = checkTrigger(syntax, at: setting)
            case .entry(let rule):
                if case .oncePer(let seconds) = rule, seconds <= 0 {
                    error(.valueOutOfRange, at: setting.location, length: setting.length, "the re-entry period must be longer than 0")
                }
                entry = rule
            case .exitOnEvent(let event, let filter):
                checkEventName(event)
                var filterExpression: Expression?
                if let filter {
                    let typed = check(filter, in: ExpressionScope(description: "an exit filter", allowsEvent: true, eventName: event.value))
                    requireBool(typed, filter, what: "the exit filter")
                    filterExpression = typed.expression
                } else {
                    exitEvents.insert(event.value)
                }
                exits.append(.event(name: event.value, filter: filterExpression))
            case .exitWhen(let condition):
                let typed = check(condition, in: ExpressionScope(description: "an exit condition", allowsEvent: true, eventName: nil))
                requireBool(typed, condition, what: "the exit condition")
                if case .bool(true)? = ConstantFolder.value(of: typed.expression) {
                    error(
                        .journeyNeverStarts, at: condition.location, length: condition.length,
                        "this exit condition is always true, so every customer leaves at once")
                }
                exits.append(.condition(typed.expression))
            case .goal(let event, let filter, let within, let exitOnGoal):
                checkEventName(event)
                var filterExpression: Expression?
                if let filter {
                    let typed = check(filter, in: ExpressionScope(description: "the goal's filter", allowsEvent: true, eventName: event.value))
                    requireBool(typed, filter, what: "the goal's filter")
                    filterExpression = typed.expression
                } else if exitOnGoal {
                    exitEvents.insert(event.value)
                }
                if within.seconds <= 0 {
                    error(.valueOutOfRange, at: within.location, length: within.length, "the goal's window must be longer than 0")
                }
                goal = Goal(event: event.value, filter: filterExpression, within: within.seconds, exitOnGoal: exitOnGoal)
                goalLocation = setting.location
            case .cap(let cap):
                if let program = checkCap(cap, journey: syntax.name.text, names: &capNames) { caps.append(program) }
            case .timeZone(let literal):
                timeZone = checkTimeZone(literal)
            case .migrate:
                break  // checked once the steps have their labels (checkMigration)
            }
        }
        if trigger == nil && seen["trigger"] == nil && !syntax.hasSyntaxErrors {
            error(
                .missingTrigger, at: syntax.name.location, length: syntax.name.length,
                "journey `\(syntax.name.text)` has no trigger, so no customer can enter it",
                notes: [.init("add `trigger on event \"…\"`, `trigger on segment …` or `trigger every … at …`")]
            )
        }

        // Number the steps in source order, then lower them.
        var steps = syntax.steps
        var counter = 0
        Self.number(&steps, counter: &counter)
        var lowering = JourneyLowering(
            name: syntax.name.text, states: Array(repeating: nil, count: counter), exitEvents: exitEvents, goal: goal, goalLocation: goalLocation,
            hasOwnCaps: !caps.isEmpty, completedID: counter)
        Self.forEachStep(in: steps) { step in
            if let label = step.label, step.kind.makesState, lowering.labelTargets[label.text] == nil {
                lowering.labelTargets[label.text] = step.id
            }
        }
        Self.forEachStep(in: steps) { step in
            guard case .goTo(let name) = step.kind else { return }
            if let target = lowering.labelTargets[name.text] {
                lowering.goToTargets.insert(target)
            } else {
                lowering.hasUnresolvedGoTo = true
            }
        }
        if steps.isEmpty && !syntax.hasSyntaxErrors {
            warning(
                .emptyJourney, at: syntax.name.location, length: syntax.name.length,
                "journey `\(syntax.name.text)` has no steps; customers enter and complete at once")
        }
        let (initial, fallsThrough) = lowerBlock(steps, next: counter, context: FlowContext(stage: stage, minimumElapsed: 0), &lowering)
        if fallsThrough || steps.isEmpty {
            lowering.states.append(JourneyState(id: counter, label: "completed", stage: nil, location: syntax.location, kind: .exit(.completed)))
            lowering.generatedLabels[counter] = "completed"
        }

        checkGoToLoops(lowering)
        guard diagnostics.filter(\.isError).count == errorsBefore, let trigger else { return nil }
        let states = assignLabels(&lowering)
        let migration = checkMigration(syntax, states: states)
        guard diagnostics.filter(\.isError).count == errorsBefore else { return nil }
        var program = JourneyProgram(
            name: syntax.name.text, title: syntax.title ?? syntax.name.text, version: "", location: syntax.location, stage: stage,
            priority: priority, trigger: trigger, entry: entry, exits: exits, goal: goal, timeZone: timeZone, caps: caps,
            states: states, initial: initial
        )
        program.migration = migration
        if computesVersions { program.version = ContentHash.version(of: program, segments: segments) }
        return program
    }

    mutating func resolveStage(_ name: Name) -> Stage? {
        if let stage = Stage(rawValue: name.text) { return stage }
        unknown(
            .unknownStage, "stage", name, candidates: Stage.allCases.map(\.rawValue),
            notes: [.init("stages are " + Stage.allCases.map(\.rawValue).joined(separator: ", "))])
        return nil
    }

    mutating func resolveSegment(_ name: Name) -> Bool {
        if segmentSyntax[name.text] != nil { return true }
        unknown(.unknownSegment, "segment", name, candidates: segmentSyntax.keys)
        return false
    }

    mutating func checkTrigger(_ syntax: TriggerSyntax, at setting: JourneySetting) -> Trigger? {
        switch syntax {
        case .event(let event, let filter):
            checkEventName(event)
            guard let filter else { return .event(name: event.value, filter: nil) }
            let typed = check(filter, in: ExpressionScope(description: "the trigger's filter", allowsEvent: true, eventName: event.value))
            requireBool(typed, filter, what: "the trigger's filter")
            if case .bool(false)? = ConstantFolder.value(of: typed.expression) {
                error(.journeyNeverStarts, at: filter.location, length: filter.length, "the trigger's filter is never true, so no customer can enter")
            }
            return .event(name: event.value, filter: typed.expression)
        case .segment(let name):
            return resolveSegment(name) ? .segmentEntry(segment: name.text) : nil
        case .schedule(let weekdays, let time, let segment):
            if let segment, !resolveSegment(segment) { return nil }
            return .schedule(segment: segment?.text, at: time, weekdays: weekdays)
        case .calendar(let rule, let time, let segment):
            if let segment, !resolveSegment(segment) { return nil }
            switch rule {
            case .everyWeeks(let n, let weekdays): return .calendar(segment: segment?.text, at: time, rule: .everyWeeks(n, weekdays: weekdays))
            case .monthly(let day): return .calendar(segment: segment?.text, at: time, rule: .monthly(day))
            case .anniversary(let syntax):
                let typed = check(syntax, in: ExpressionScope(description: "the anniversary's date", allowsEvent: false, eventName: nil))
                if typed.expression == TypedExpression.invalid.expression { return nil }  // already reported
                guard case .customer(let path) = typed.expression else {
                    error(
                        .typeMismatch, at: syntax.location, length: syntax.length,
                        "an anniversary is of a customer attribute that holds a date (`customer.birthday`)")
                    return nil
                }
                guard typed.type == .time || typed.type == .any else {
                    error(
                        .typeMismatch, at: syntax.location, length: syntax.length,
                        "an anniversary needs a date, but `customer.\(path.joined(separator: "."))` is \(typed.type.spoken); declare it `time` in the schema"
                    )
                    return nil
                }
                return .calendar(segment: segment?.text, at: time, rule: .anniversary(attribute: path))
            }
        }
    }

    // MARK: Numbering

    static func number(_ steps: inout [StepSyntax], counter: inout Int) {
        for index in steps.indices {
            if steps[index].kind.makesState {
                steps[index].id = counter
                counter += 1
            }
            switch steps[index].kind {
            case .waitForEvent(var wait):
                if var received = wait.received {
                    number(&received, counter: &counter)
                    wait.received = received
                }
                if var onTimeout = wait.onTimeout {
                    number(&onTimeout, counter: &counter)
                    wait.onTimeout = onTimeout
                }
                steps[index].kind = .waitForEvent(wait)
            case .waitForEvents(var wait):
                for arm in wait.arms.indices { number(&wait.arms[arm].body, counter: &counter) }
                if var onTimeout = wait.onTimeout {
                    number(&onTimeout, counter: &counter)
                    wait.onTimeout = onTimeout
                }
                steps[index].kind = .waitForEvents(wait)
            case .branch(var arms, var otherwise, let location):
                for arm in arms.indices { number(&arms[arm].body, counter: &counter) }
                if otherwise != nil { number(&otherwise!, counter: &counter) }
                steps[index].kind = .branch(arms, otherwise: otherwise, otherwiseLocation: location)
            case .split(let name, var variants, let winner):
                for variant in variants.indices { number(&variants[variant].body, counter: &counter) }
                steps[index].kind = .split(name: name, variants: variants, winner: winner)
            default:
                break
            }
        }
    }

    // MARK: Lowering

    /// Lowers a block whose last step continues at `next`. Returns the block's entry state and
    /// whether control can run off its end.
    mutating func lowerBlock(_ steps: [StepSyntax], next: StateID, context: FlowContext, _ lowering: inout JourneyLowering) -> (StateID, Bool) {
        var context = context
        var reachable = true
        var reportedUnreachable = false
        for (index, step) in steps.enumerated() {
            if case .stage(let name) = step.kind {
                if let stage = resolveStage(name) { context.stage = stage }
                continue
            }
            if step.kind.makesState, lowering.goToTargets.contains(step.id) {
                // A `go to` continues here: reachable whatever came before, and possibly sooner.
                reachable = true
                reportedUnreachable = false
                context.minimumElapsed = 0
            }
            if !reachable && !reportedUnreachable && !lowering.hasUnresolvedGoTo {
                reportedUnreachable = true
                error(
                    .unreachableStep, at: step.location, length: step.length,
                    "this step can never run: every path before it has already ended the journey",
                    notes: [.init("remove it, or move it before the `exit`")]
                )
            }
            let following = Self.entry(of: Array(steps[(index + 1)...]), next: next, lowering)
            let (fallsThrough, elapsed) = lowerStep(step, next: following, context: context, &lowering)
            context.minimumElapsed = elapsed
            if !fallsThrough { reachable = false }
        }
        return (Self.entry(of: steps, next: next, lowering), reachable)
    }

    /// The state a run of steps starts at: its first step that makes a state, the target of a
    /// `go to` that comes first, or `next` when there is none.
    static func entry(of steps: [StepSyntax], next: StateID, _ lowering: JourneyLowering) -> StateID {
        for step in steps {
            if step.kind.makesState { return step.id }
            if case .goTo(let name) = step.kind { return lowering.labelTargets[name.text] ?? next }
        }
        return next
    }

    /// Calls `body` for every step, nested ones included, in source order.
    static func forEachStep(in steps: [StepSyntax], _ body: (StepSyntax) -> Void) {
        for step in steps {
            body(step)
            switch step.kind {
            case .waitForEvent(let wait):
                forEachStep(in: wait.received ?? [], body)
                forEachStep(in: wait.onTimeout ?? [], body)
            case .waitForEvents(let wait):
                for arm in wait.arms { forEachStep(in: arm.body, body) }
                forEachStep(in: wait.onTimeout ?? [], body)
            case .branch(let arms, let otherwise, _):
                for arm in arms { forEachStep(in: arm.body, body) }
                forEachStep(in: otherwise ?? [], body)
            case .split(_, let variants, _):
                for variant in variants { forEachStep(in: variant.body, body) }
            default:
                break
            }
        }
    }

    /// A `go to` whose target leads back to it through action steps only would run forever
    /// without waiting: refused (with a wait in the loop it is a loop over time, which is fine).
    mutating func checkGoToLoops(_ lowering: JourneyLowering) {
        var reported: Set<StateID> = []
        for (name, target) in lowering.goTos where !reported.contains(target) {
            var seen: Set<StateID> = []
            var pending = [target]
            var loops = false
            while let id = pending.popLast() {
                guard lowering.states.indices.contains(id), let state = lowering.states[id] else { continue }
                let successors: [StateID]
                switch state.kind {
                case .send(_, let next), .update(_, let next): successors = [next]
                case .branch(let branches, let otherwise): successors = branches.map(\.target) + [otherwise]
                case .split(let split): successors = split.variants.map(\.target)
                case .wait, .exit: successors = []
                }
                for successor in successors {
                    if successor == target { loops = true }
                    if seen.insert(successor).inserted { pending.append(successor) }
                }
                if loops { break }
            }
            guard loops else { continue }
            reported.insert(target)
            error(
                .loopWithoutWait, at: name.location, length: name.length,
                "`go to \(name.text)` makes a loop with no wait in it, so a customer would run it forever at one instant",
                notes: [.init("put a wait in the loop, or go to a step after it")])
        }
    }

    /// Lowers one step; returns whether it can continue to `next`, and the least time since entry
    /// when it does.
    mutating func lowerStep(_ step: StepSyntax, next: StateID, context: FlowContext, _ lowering: inout JourneyLowering) -> (Bool, Double) {
        let id = step.id
        var kind: StateKind = .exit(.completed)
        var label = ""
        var fallsThrough = true
        var elapsed = context.minimumElapsed
        if let name = step.label { lowering.userLabels[id] = name }

        switch step.kind {
        case .stage:
            return (true, elapsed)
        case .waitDuration(let duration):
            if duration.seconds <= 0 {
                error(.valueOutOfRange, at: duration.location, length: duration.length, "a wait must be longer than 0")
            }
            kind = .wait(.duration(seconds: duration.seconds, next: next))
            label = "wait_" + duration.text.split(separator: " ").joined(separator: "_")
            elapsed += duration.seconds
            checkGoalWindow(after: elapsed, at: step, &lowering)
        case .waitCalendarDays(let duration):
            let days = Int((duration.seconds / 86_400).rounded())
            kind = .wait(.calendarDays(days, next: next))
            label = "wait_" + duration.text.split(separator: " ").joined(separator: "_")
            // A calendar day lasts 23 hours at the least (the spring-forward day).
            elapsed += Double(days) * 86_400 - 3_600
            checkGoalWindow(after: elapsed, at: step, &lowering)
        case .waitUntilTime(let syntax):
            let typed = check(syntax, in: ExpressionScope(description: "the wait's time", allowsEvent: true, eventName: nil))
            if typed.type != .time, typed.type != .any {
                error(
                    .typeMismatch, at: syntax.location, length: syntax.length,
                    "`wait until` needs a time, such as `customer.trial_ends_at - 3 days`, but this is \(typed.type.spoken)",
                    notes: [.init("for a time of day, write `wait until 09:00`; for a delay, `wait 3 days`")])
            }
            kind = .wait(.untilTime(typed.expression, next: next))
            label = "wait_until_" + Self.slug("\(typed.expression)")
        case .waitUntil(let time, let weekdays):
            kind = .wait(.untilLocalTime(time, weekdays: weekdays, next: next))
            label = "wait_until_" + time.description.filter { $0 != ":" }
        case .waitForEvent(let wait):
            checkEventName(wait.event)
            let (filter, neverReceived) = checkEventFilter(
                wait.filter, event: wait.event.value, what: "the wait's filter", never: "the event can never be received")
            var timeout = 0.0
            if let duration = wait.timeout {
                timeout = duration.seconds
                if duration.seconds <= 0 {
                    error(.valueOutOfRange, at: duration.location, length: duration.length, "the timeout must be longer than 0")
                }
            } else {
                error(
                    .waitWithoutWayOut, at: step.location, length: step.length,
                    "this wait has no way out if \"\(wait.event.value)\" never arrives; add a timeout with `up to <duration>`",
                    notes: [.init("then say what happens in a `timeout ->` block (or let it continue with the next step)")]
                )
            }
            if wait.filter == nil, lowering.exitEvents.contains(wait.event.value) {
                warning(
                    .receivedPreemptedByExit, at: wait.event.location, length: wait.event.length,
                    "\"\(wait.event.value)\" also ends the journey (an exit or goal), so a customer who sends it leaves before `received ->` runs"
                )
            }
            let (onEvent, receivedFalls) = lowerBlock(
                wait.received ?? [], next: next, context: FlowContext(stage: context.stage, minimumElapsed: elapsed), &lowering)
            let timeoutElapsed = elapsed + timeout
            if timeout > 0 { checkGoalWindow(after: timeoutElapsed, at: step, &lowering) }
            let (onTimeout, timeoutFalls) = lowerBlock(
                wait.onTimeout ?? [], next: next, context: FlowContext(stage: context.stage, minimumElapsed: timeoutElapsed), &lowering)
            kind = .wait(.event(name: wait.event.value, filter: filter, timeout: timeout, onEvent: onEvent, onTimeout: onTimeout))
            label = "wait_for_" + Self.slug(wait.event.value)
            fallsThrough = (receivedFalls && !neverReceived) || timeoutFalls
            elapsed = receivedFalls && !neverReceived ? elapsed : timeoutElapsed
        case .goTo(let name):
            if lowering.labelTargets[name.text] != nil {
                lowering.goTos.append((name, lowering.labelTargets[name.text]!))
            } else {
                unknown(
                    .unknownLabel, "step label", name, candidates: lowering.labelTargets.keys,
                    notes: [.init("`go to` continues at a step labelled in this journey with `step NAME:` (`step thanks: send email thank_you`)")])
            }
            return (false, elapsed)
        case .waitForEvents(let wait):
            let (waitKind, falls, after) = lowerWaitForEvents(wait, step: step, next: next, context: context, elapsed: elapsed, &lowering)
            kind = waitKind
            label = "wait_for_" + (wait.arms.count == 1 ? Self.slug(wait.arms[0].event.value) : "events")
            fallsThrough = falls
            elapsed = after
        case .send(let send):
            kind = .send(
                checkSend(send, step: step, &lowering) ?? Send(channel: .email, message: send.message.text, category: .marketing), next: next)
            label = "send_\(send.channel.text)_\(send.message.text)"
        case .branch(let arms, let otherwise, let otherwiseLocation):
            var branches: [Branch] = []
            var anyFalls = false
            var decidedAt: SourceLocation?
            var earlier: [(Expression, SourceLocation)] = []
            var elapsedAfter = Double.infinity
            for arm in arms {
                let typed = check(arm.condition, in: ExpressionScope(description: "a condition", allowsEvent: true, eventName: nil))
                requireBool(typed, arm.condition, what: "the condition of `if`")
                if let decidedAt {
                    error(
                        .branchNeverTaken, at: arm.location, length: 4,
                        "this branch is never taken: the condition at line \(decidedAt.line) is always true")
                } else if case .bool(let constant)? = ConstantFolder.value(of: typed.expression) {
                    if constant {
                        decidedAt = arm.condition.location
                    } else {
                        error(
                            .branchNeverTaken, at: arm.condition.location, length: arm.condition.length,
                            "this condition is never true, so its branch is never taken")
                    }
                } else if let same = earlier.first(where: { $0.0 == typed.expression }) {
                    error(
                        .branchNeverTaken, at: arm.condition.location, length: arm.condition.length,
                        "this branch is never taken: the same condition is tested first at line \(same.1.line)")
                }
                earlier.append((typed.expression, arm.condition.location))
                let (target, falls) = lowerBlock(arm.body, next: next, context: context, &lowering)
                if falls {
                    anyFalls = true
                    elapsedAfter = min(elapsedAfter, context.minimumElapsed)
                }
                branches.append(Branch(condition: typed.expression, target: target))
            }
            var otherwiseTarget = next
            if let otherwise {
                if let decidedAt, let otherwiseLocation {
                    error(
                        .branchNeverTaken, at: otherwiseLocation, length: 4,
                        "this `else` is never taken: the condition at line \(decidedAt.line) is always true")
                }
                let (target, falls) = lowerBlock(otherwise, next: next, context: context, &lowering)
                otherwiseTarget = target
                if falls { anyFalls = true }
            } else {
                anyFalls = true
            }
            kind = .branch(branches, otherwise: otherwiseTarget)
            label = "branch"
            fallsThrough = anyFalls
        case .split(let name, let variants, let winner):
            var split = checkSplit(
                name: name, variants: variants, step: step, next: next, context: context, fallsThrough: &fallsThrough, &lowering)
            if let winner { split.winner = checkWinnerRule(winner, split: split, splitName: name, lowering: lowering) }
            kind = .split(split)
            label = "split_" + Self.slug(name.value)
        case .update(let update):
            let lowered = checkUpdate(update)
            kind = .update(lowered.map { [$0] } ?? [], next: next)
            label =
                (update.operation.verb) + "_"
                + Self.slug(update.attribute.text.hasPrefix("customer.") ? String(update.attribute.text.dropFirst(9)) : update.attribute.text)
        case .exit(let reason):
            kind = .exit(.explicit(reason: reason ?? "exit"))
            label = reason.map { "exit_" + Self.slug($0) } ?? "exit"
            fallsThrough = false
        }
        if id >= 0 && id < lowering.states.count {
            lowering.states[id] = JourneyState(id: id, label: "", stage: context.stage, location: step.location, kind: kind)
            lowering.generatedLabels[id] = label.isEmpty ? "step" : label
        }
        return (fallsThrough, elapsed)
    }

    /// Checks a `wait for events` step and lowers its arms; returns the state kind, whether control
    /// can continue after the wait, and the least time since entry when it does.
    mutating func lowerWaitForEvents(
        _ wait: WaitForEventsSyntax, step: StepSyntax, next: StateID, context: FlowContext, elapsed: Double, _ lowering: inout JourneyLowering
    ) -> (StateKind, Bool, Double) {
        var arms: [EventArm] = []
        var anyReceivedFalls = false
        // Earlier arms by event: the filter (nil: every event of that name) and where it was written.
        var earlier: [String: [(filter: Expression?, location: SourceLocation)]] = [:]
        for arm in wait.arms {
            checkEventName(arm.event)
            let (filter, neverMatches) = checkEventFilter(
                arm.filter, event: arm.event.value, what: "the arm's filter", never: "this arm can never run")
            for previous in earlier[arm.event.value] ?? [] {
                if previous.filter == nil {
                    error(
                        .duplicateWaitEvent, at: arm.event.location, length: arm.event.length,
                        "this arm can never run: the arm at line \(previous.location.line) already takes every \"\(arm.event.value)\" event",
                        notes: [
                            .init("arms are tried top to bottom; put the arms with a `where` filter first", at: previous.location)
                        ])
                    break
                }
                if previous.filter == filter {
                    error(
                        .duplicateWaitEvent, at: arm.event.location, length: arm.event.length,
                        "\"\(arm.event.value)\" is waited for twice with the same filter in one wait",
                        notes: [.init("first here; join the two arms, or tell them apart with different `where` filters", at: previous.location)])
                    break
                }
            }
            earlier[arm.event.value, default: []].append((filter, arm.location))
            if arm.filter == nil, lowering.exitEvents.contains(arm.event.value) {
                warning(
                    .receivedPreemptedByExit, at: arm.event.location, length: arm.event.length,
                    "\"\(arm.event.value)\" also ends the journey (an exit or goal), so a customer who sends it leaves before this arm runs"
                )
            }
            let (target, falls) = lowerBlock(arm.body, next: next, context: FlowContext(stage: context.stage, minimumElapsed: elapsed), &lowering)
            if falls && !neverMatches { anyReceivedFalls = true }
            arms.append(EventArm(name: arm.event.value, filter: filter, target: target))
        }
        var timeout = 0.0
        if let duration = wait.timeout {
            timeout = duration.seconds
            if duration.seconds <= 0 {
                error(.valueOutOfRange, at: duration.location, length: duration.length, "the timeout must be longer than 0")
            }
        } else {
            error(
                .waitWithoutWayOut, at: step.location, length: step.length,
                "this wait has no way out if none of its events arrives; add a timeout with `up to <duration>`",
                notes: [.init("then say what happens in a `timeout ->` arm (or let it continue with the next step)")]
            )
        }
        let timeoutElapsed = elapsed + timeout
        if timeout > 0 { checkGoalWindow(after: timeoutElapsed, at: step, &lowering) }
        let (onTimeout, timeoutFalls) = lowerBlock(
            wait.onTimeout ?? [], next: next, context: FlowContext(stage: context.stage, minimumElapsed: timeoutElapsed), &lowering)
        return (
            .wait(.events(arms, timeout: timeout, onTimeout: onTimeout)), anyReceivedFalls || timeoutFalls,
            anyReceivedFalls ? elapsed : timeoutElapsed
        )
    }

    mutating func checkGoalWindow(after elapsed: Double, at step: StepSyntax, _ lowering: inout JourneyLowering) {
        guard let goal = lowering.goal, elapsed > goal.within, !lowering.warnedGoalWindow else { return }
        lowering.warnedGoalWindow = true
        warning(
            .waitBeyondGoal, at: step.location, length: step.length,
            "this wait ends at least \(Self.describe(seconds: elapsed)) after entry, after the goal window (\(Self.describe(seconds: goal.within))) has closed",
            notes: [.init("conversions after the window do not count; lengthen the goal's window or shorten the waits", at: lowering.goalLocation)]
        )
    }

    static func describe(seconds: Double) -> String {
        for (unit, size) in [("day", 86400.0), ("hour", 3600), ("minute", 60)]
        where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            let n = Int(seconds / size)
            return "\(n) \(unit)\(n == 1 ? "" : "s")"
        }
        if seconds >= 3600 {
            let hours = (seconds / 3600 * 10).rounded() / 10
            return "\(hours) hours"
        }
        return "\(Int(seconds)) seconds"
    }

    static func slug(_ text: String) -> String {
        var result = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else if !result.hasSuffix("_") {
                result += "_"
            }
        }
        while result.hasSuffix("_") { result.removeLast() }
        return result.isEmpty ? "step" : result
    }

    // MARK: Send

    mutating func checkSend(_ syntax: SendSyntax, step: StepSyntax, _ lowering: inout JourneyLowering) -> Send? {
        let channel = resolveChannel(syntax.channel)
        var category: MessageCategory = .marketing
        var categoryLocation: SourceLocation?
        var topic: String?
        var fallback: Channel?
        var fallbackName: Name?
        var whenCapped: CappedRule = .skip
        var inQuietHours: QuietHoursRule = .deferUntilEnd
        var bestTime: SendTimeRule?
        var bestTimeLocation: (SourceLocation, Int)?
        var seen: [String: SourceLocation] = [:]
        var marketingOnly: [(String, SourceLocation, Int)] = []
        for (option, location, length) in syntax.options {
            let key: String
            switch option {
            case .transactional, .marketing: key = "category"
            case .topic: key = "topic"
            case .fallback: key = "fallback"
            case .whenCapped: key = "when capped"
            case .inQuietHours: key = "in quiet hours"
            case .bestTime: key = "at best time"
            }
            if let first = seen[key] {
                error(
                    .duplicateSetting, at: location, length: length,
                    "this send already says `\(key == "category" ? "marketing/transactional" : key)`", notes: [.init("first said here", at: first)])
                continue
            }
            seen[key] = location
            switch option {
            case .transactional:
                category = .transactional
                categoryLocation = location
            case .marketing:
                category = .marketing
            case .topic(let literal):
                topic = literal.value
                marketingOnly.append(("topic", location, length))
                if literal.value.isEmpty { error(.valueOutOfRange, at: literal.location, length: literal.length, "the topic name is empty") }
            case .fallback(let name):
                fallbackName = name
                fallback = resolveChannel(name)
            case .whenCapped(let rule):
                whenCapped = rule
                marketingOnly.append(("when capped", location, length))
                if case .deferUpTo(let seconds) = rule, seconds <= 0 {
                    error(.valueOutOfRange, at: location, length: length, "the deferral bound must be longer than 0")
                }
            case .inQuietHours(let rule):
                inQuietHours = rule
                marketingOnly.append(("in quiet hours", location, length))
            case .bestTime(let window, let defaultTime):
                marketingOnly.append(("at best time", location, length))
                bestTimeLocation = (location, length)
                bestTime = checkSendTime(window: window, defaultTime: defaultTime)
            }
        }
        if let (location, length) = bestTimeLocation, channel == .webhook {
            error(
                .invalidSendTime, at: location, length: length,
                "`at best time` needs engagement (opens and clicks), which a webhook does not have: send it at once",
                notes: [.init("remove `at best time …`, or send by email or sms")],
                fixIts: [.init(location: location, length: length, replacement: "")])
            bestTime = nil
        }
        if category == .transactional {
            for (option, location, length) in marketingOnly {
                let why =
                    option == "topic"
                    ? "transactional messages do not depend on topic subscriptions"
                    : option == "when capped"
                        ? "transactional messages are never capped"
                        : option == "at best time"
                            ? "transactional messages go out at once" : "transactional messages are not held by quiet hours"
                error(
                    .transactionalMarketingOption, at: location, length: length,
                    "`\(option)` is a marketing-only option, but this send is transactional: \(why)",
                    notes: [.init("remove `\(option) …`, or remove `transactional`", at: categoryLocation)],
                    fixIts: [.init(location: location, length: length, replacement: "")]
                )
            }
        }
        if let channel, let fallback, fallback == channel, let fallbackName {
            error(
                .invalidFallback, at: fallbackName.location, length: fallbackName.length,
                "the fallback channel is the channel of the send itself; name a different channel")
        }
        if whenCapped == .fallback, fallbackName == nil {
            error(
                .invalidFallback, at: step.location, length: step.length,
                "`when capped fallback` needs a fallback channel; add `fallback sms` (or another channel)")
        }
        if let channel { checkMessage(syntax.message, channel: channel, role: nil) }
        if let fallback, let fallbackName { checkMessage(syntax.message, channel: fallback, role: fallbackName) }
        if category == .marketing, !lowering.warnedMarketingCap, let channel,
            !hasCapCovering(channel: channel, journey: lowering.name, ownCaps: lowering.hasOwnCaps)
        {
            lowering.warnedMarketingCap = true
            warning(
                .marketingWithoutCap, at: step.location, length: step.length,
                hasPolicy
                    ? "marketing send on \(channel.rawValue), but no cap in the policy or the journey limits \(channel.rawValue) marketing"
                    : "marketing send, but there is no delivery policy, so nothing caps how often customers hear from you",
                notes: [
                    .init(
                        hasPolicy
                            ? "add a cap such as `cap marketing 3 per day` to the policy"
                            : "add a `policy` (by convention in policy.journey) with caps such as `cap marketing 3 per day`")
                ]
            )
        }
        let variants = checkMessageVariants(syntax, &lowering)
        guard let channel else { return nil }
        return Send(
            channel: channel, message: syntax.message.text, category: category, topic: topic, fallback: fallback, whenCapped: whenCapped,
            inQuietHours: inQuietHours, variants: variants, bestTime: category == .marketing ? bestTime : nil)
    }

    /// The window of `at best time within …`: from 1 hour (shorter leaves no hour to choose) to
    /// 7 days (longer delays a marketing message past the point of being timely).
    mutating func checkSendTime(window: DurationLiteral, defaultTime: LocalTime?) -> SendTimeRule? {
        if window.seconds < SendTimeRule.minimumWindow {
            error(
                .invalidSendTime, at: window.location, length: window.length,
                window.seconds <= 0
                    ? "the best-time window is empty; give it at least 1 hour"
                    : "a best-time window of \(window.text) holds no choice of hour; give it at least 1 hour",
                notes: [.init("for example `at best time within 24 hours`")])
            return nil
        }
        if window.seconds > SendTimeRule.maximumWindow {
            error(
                .invalidSendTime, at: window.location, length: window.length,
                "a best-time window of \(window.text) is longer than 7 days; a message held that long is no longer timely",
                notes: [.init("use at most `within 7 days` (24 hours already holds every hour of the day)")])
            return nil
        }
        return SendTimeRule(window: window.seconds, defaultTime: defaultTime)
    }

    /// The `variant NAME N%` lines under a send: unique names, weights adding up to 100%, no
    /// control group and no steps. They are an experiment named after the message, so a split of
    /// that name, or another send of the message with other variants, is refused.
    mutating func checkMessageVariants(_ syntax: SendSyntax, _ lowering: inout JourneyLowering) -> [MessageVariant]? {
        guard !syntax.variants.isEmpty else { return nil }
        var names: [String: SourceLocation] = [:]
        var total = 0.0
        var variants: [MessageVariant] = []
        for variant in syntax.variants {
            if variant.isControl {
                error(
                    .splitWeights, at: variant.location, length: 7,
                    "a message's variants have no control group: every customer gets one version",
                    notes: [.init("to hold customers out, put the send in a `split` with a `control` group")])
                continue
            }
            if let first = variant.body.first {
                error(
                    .expected, at: first.location, length: first.length,
                    "a message variant has no steps: the templates tell the versions apart with `{{#variant.\(variant.name.text)}}…{{/variant.\(variant.name.text)}}`",
                    notes: [.init("for different steps per group, use a `split`")])
            }
            if let first = names[variant.name.text] {
                error(
                    .duplicateVariant, at: variant.name.location, length: variant.name.length,
                    "variant `\(variant.name.text)` appears twice in this send", notes: [.init("first here", at: first)])
            }
            if variant.name.text == "name" {
                error(
                    .duplicateVariant, at: variant.name.location, length: variant.name.length,
                    "a message variant cannot be called `name`: templates read the variant's name as `{{variant.name}}`")
            }
            names[variant.name.text] = variant.name.location
            if variant.weight <= 0 || variant.weight > 100 {
                error(.splitWeights, at: variant.weightLocation, "a variant's weight must be more than 0% and at most 100%")
            }
            total += variant.weight
            variants.append(MessageVariant(name: variant.name.text, weight: variant.weight))
        }
        if variants.count == syntax.variants.count, abs(total - 100) > 1e-9 {
            let listing = variants.map { "\($0.name) \(Self.formatPercent($0.weight))" }.joined(separator: " + ")
            error(
                .splitWeights, at: syntax.message.location, length: syntax.message.length,
                "the weights of the variants of message `\(syntax.message.text)` add up to \(Self.formatPercent(total)), not 100%",
                notes: [.init("\(listing) = \(Self.formatPercent(total))")])
        }
        let name = syntax.message.text
        if let first = lowering.splitNames[name] {
            if lowering.messageVariants[name] != variants {
                error(
                    .duplicateVariant, at: syntax.message.location, length: syntax.message.length,
                    lowering.messageVariants[name] == nil
                        ? "the variants of message `\(name)` are an experiment named `\(name)`, but a split of that name is already used in this journey"
                        : "message `\(name)` is sent with other variants at line \(first.line); a message's variants are one experiment, the same wherever it is sent",
                    notes: [.init("first used here", at: first)])
            }
        } else {
            lowering.splitNames[name] = syntax.message.location
            lowering.messageVariants[name] = variants
        }
        return variants
    }

    func hasCapCovering(channel: Channel, journey: String, ownCaps: Bool) -> Bool {
        if ownCaps { return true }
        return policy.caps.contains { cap in
            (cap.category == nil || cap.category == .marketing) && (cap.channels?.contains(channel) ?? true)
                && (cap.journey == .all || cap.journey == .each || cap.journey == .named(journey))
        }
    }

    mutating func checkMessage(_ name: Name, channel: Channel, role: Name?) {
        guard let messages else { return }
        guard let source = messages[name.text] else {
            if role != nil { return }  // already reported for the send's own channel
            let (hint, suggestion) = Suggestions.didYouMean(name.text, in: messages.keys)
            error(
                .unknownMessage, at: name.location, length: name.length, "unknown message `\(name.text)`\(hint)",
                notes: [.init("a message's templates live in messages/\(name.text)/")],
                fixIts: suggestion.map { [.init(location: name.location, length: name.length, replacement: $0)] } ?? []
            )
            return
        }
        let missing = source.missingFiles(for: channel)
        guard !missing.isEmpty else { return }
        let place = role ?? name
        let subject =
            role == nil
            ? "message `\(name.text)` has no \(channel.rawValue) template"
            : "the fallback on \(channel.rawValue) needs an \(channel.rawValue) template of `\(name.text)`"
        let available = source.channels.map(\.rawValue).sorted()
        error(
            .missingTemplate, at: place.location, length: place.length,
            "\(subject): add \(missing.map { "\(source.displayDirectory)/\($0)" }.joined(separator: " and "))",
            notes: available.isEmpty ? [] : [.init("`\(name.text)` has templates for: \(available.joined(separator: ", "))")]
        )
    }

    // MARK: Split

    mutating func checkSplit(
        name: StringLiteral, variants: [VariantSyntax], step: StepSyntax, next: StateID, context: FlowContext, fallsThrough: inout Bool,
        _ lowering: inout JourneyLowering
    ) -> Split {
        if let first = lowering.splitNames[name.value] {
            error(
                .duplicateVariant, at: name.location, length: name.length,
                "split \"\(name.value)\" is already used in this journey; give each split its own name (it seeds the variant assignment)",
                notes: [.init("first used here", at: first)])
        }
        lowering.splitNames[name.value] = name.location
        var lowered: [Variant] = []
        var names: [String: SourceLocation] = [:]
        var total = 0.0
        var controls = 0
        var anyFalls = false
        for variant in variants {
            if let first = names[variant.name.text] {
                error(
                    .duplicateVariant, at: variant.name.location, length: variant.name.length,
                    "variant `\(variant.name.text)` appears twice in this split", notes: [.init("first here", at: first)])
            }
            names[variant.name.text] = variant.name.location
            if variant.isControl {
                controls += 1
                if controls > 1 { error(.duplicateVariant, at: variant.location, length: 7, "a split has at most one control group") }
            }
            if variant.weight <= 0 || variant.weight > 100 {
                error(.splitWeights, at: variant.weightLocation, "a variant's weight must be more than 0% and at most 100%")
            }
            total += variant.weight
            var target = next
            if variant.isControl {
                anyFalls = true
            } else {
                let (entry, falls) = lowerBlock(variant.body, next: next, context: context, &lowering)
                target = entry
                if falls { anyFalls = true }
            }
            lowered.append(Variant(name: variant.name.text, weight: variant.weight, isControl: variant.isControl, target: target))
        }
        if variants.isEmpty {
            anyFalls = true
        } else if abs(total - 100) > 1e-9 {
            let listing = variants.map { "\($0.name.text) \(Self.formatPercent($0.weight))" }.joined(separator: " + ")
            error(
                .splitWeights, at: name.location, length: name.length,
                "the weights of split \"\(name.value)\" add up to \(Self.formatPercent(total)), not 100%",
                notes: [.init("\(listing) = \(Self.formatPercent(total))")]
            )
        }
        fallsThrough = anyFalls
        return Split(name: name.value, variants: lowered)
    }

    /// The smallest `min N per variant` a winner rule accepts: below it the two-proportion test's
    /// normal approximation is not to be trusted.
    static let winnerMinimumFloor = 30

    mutating func checkWinnerRule(_ rule: WinnerRuleSyntax, split: Split, splitName: StringLiteral, lowering: JourneyLowering) -> WinnerRule? {
        var valid = true
        if rule.metric.text != "conversion" {
            valid = false
            let (hint, suggestion) = Suggestions.didYouMean(rule.metric.text, in: ["conversion"])
            error(
                .invalidWinnerRule, at: rule.metric.location, length: rule.metric.length,
                "a winner is chosen by `conversion`, not `\(rule.metric.text)`\(hint)",
                fixIts: suggestion.map { [.init(location: rule.metric.location, length: rule.metric.length, replacement: $0)] } ?? [])
        }
        if lowering.goal == nil {
            valid = false
            error(
                .invalidWinnerRule, at: rule.location, length: 6,
                "a winner by conversion needs a goal to convert on; add `goal event \"EVENT\" within DURATION` to journey `\(lowering.name)`")
        }
        if rule.after.seconds <= 0 {
            valid = false
            error(
                .invalidWinnerRule, at: rule.after.location, length: rule.after.length,
                "the winner rule's period must be longer than 0 (`winner after 14 days …`)")
        }
        if rule.minimum != rule.minimum.rounded() || rule.minimum < Double(Self.winnerMinimumFloor) || rule.minimum > 1e9 {
            valid = false
            error(
                .invalidWinnerRule, at: rule.minimumLocation, length: rule.minimumLength,
                "the minimum sample must be a whole number of customers from \(Self.winnerMinimumFloor) up, not \(rule.minimum == rule.minimum.rounded() && abs(rule.minimum) < 1e15 ? String(Int(rule.minimum)) : String(rule.minimum))",
                notes: [.init("below \(Self.winnerMinimumFloor) customers per variant the two-proportion test cannot tell a winner")])
        }
        let competitors = split.variants.filter { !$0.isControl }
        if competitors.count < 2 {
            valid = false
            error(
                .invalidWinnerRule, at: rule.location, length: 6,
                "split \"\(splitName.value)\" has \(competitors.count == 1 ? "one variant" : "no variants") besides its control group, so there is no winner to pick; a winner rule needs two variants or more",
                notes: [.init("the control group never wins: it keeps its share so the uplift stays measurable")])
        }
        guard valid else { return nil }
        return WinnerRule(after: rule.after.seconds, minimumPerVariant: Int(rule.minimum))
    }

    static func formatPercent(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }

    // MARK: Updates

    mutating func checkUpdate(_ syntax: UpdateSyntax) -> AttributeUpdate? {
        let parts = syntax.attribute.text.split(separator: ".").map(String.init)
        guard parts.first == "customer", parts.count >= 2 else {
            error(
                .unknownAttribute, at: syntax.attribute.location, length: syntax.attribute.length,
                "only customer attributes can be updated; write `customer.\(parts.last ?? "x")`"
            )
            return nil
        }
        let path = Array(parts.dropFirst())
        if path == ["id"] {
            error(
                .readOnlyAttribute, at: syntax.attribute.location, length: syntax.attribute.length,
                "`customer.id` identifies the customer and cannot be changed")
            return nil
        }
        let target = checkPath(
            parts, ExpressionSyntax(kind: .path(parts), location: syntax.attribute.location, length: syntax.attribute.length),
            in: ExpressionScope(description: "an update", allowsEvent: false, eventName: nil))
        let scope = ExpressionScope(description: "an update", allowsEvent: true, eventName: nil)
        switch syntax.operation {
        case .set(let value):
            let typed = check(value, in: scope)
            if !target.type.accepts(typed.type), typed.type != .null {
                error(
                    .typeMismatch, at: value.location, length: value.length,
                    "`\(syntax.attribute.text)` holds \(target.type.spoken), but this is \(typed.type.spoken)")
            }
            return AttributeUpdate(attribute: path, operation: .set(typed.expression))
        case .increment(let value):
            let typed = check(value, in: scope)
            switch (target.type, typed.type) {
            case (.number, .number), (.number, .any), (.time, .duration), (.time, .any), (.any, .number), (.any, .duration), (.any, .any): break
            default:
                error(
                    .typeMismatch, at: value.location, length: value.length,
                    "cannot increment \(target.type.spoken) by \(typed.type.spoken); increment a number by a number or a time by a duration")
            }
            return AttributeUpdate(attribute: path, operation: .increment(typed.expression))
        case .unset:
            return AttributeUpdate(attribute: path, operation: .unset)
        }
    }

    // MARK: Labels

    mutating func assignLabels(_ lowering: inout JourneyLowering) -> [JourneyState] {
        var used: [String: SourceLocation] = [:]
        var labels: [StateID: String] = [:]
        for id in lowering.userLabels.keys.sorted() {
            let name = lowering.userLabels[id]!
            if let first = used[name.text] {
                error(
                    .duplicateLabel, at: name.location, length: name.length, "step label `\(name.text)` is already used in this journey",
                    notes: [.init("first used here", at: first)])
            }
            used[name.text] = name.location
            labels[id] = name.text
        }
        var states: [JourneyState] = []
        for (id, state) in lowering.states.enumerated() {
            guard var state else { continue }
            if labels[id] == nil {
                let base = lowering.generatedLabels[id] ?? "step"
                var label = base
                var suffix = 2
                while used[label] != nil {
                    label = "\(base)_\(suffix)"
                    suffix += 1
                }
                used[label] = state.location
                labels[id] = label
            }
            state.label = labels[id]!
            states.append(state)
        }
        return states
    }
}

extension UpdateSyntax.Operation {
    var verb: String {
        switch self {
        case .set: "set"
        case .increment: "increment"
        case .unset: "unset"
        }
    }
}

extension CatalogChecker {
    /// Checks the filter of an event a wait takes (`what` names it in messages): a boolean over the
    /// event's properties. Returns the filter, and whether it can never be true (reported as
    /// "this filter is never true, so `never`").
    mutating func checkEventFilter(
        _ syntax: ExpressionSyntax?, event: String, what: String, never: String
    ) -> (filter: Expression?, neverTrue: Bool) {
        guard let syntax else { return (nil, false) }
        let typed = check(syntax, in: ExpressionScope(description: what, allowsEvent: true, eventName: event))
        requireBool(typed, syntax, what: what)
        guard case .bool(false)? = ConstantFolder.value(of: typed.expression) else { return (typed.expression, false) }
        error(.branchNeverTaken, at: syntax.location, length: syntax.length, "this filter is never true, so \(never)")
        return (typed.expression, true)
    }
}
