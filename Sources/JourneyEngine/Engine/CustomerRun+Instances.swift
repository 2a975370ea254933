import JourneyLanguage

extension CustomerRun {
    // MARK: Entry

    /// Enters the customer into `program` if its entry rule allows it, and runs the new instance
    /// to its first wait or exit.
    mutating func tryEnter(_ program: JourneyProgram, trigger: EntryTrigger, event: MatchedEvent?, at t: Double) {
        let name = program.name
        let previous = state.entries[name]
        let hasActive = state.instances.contains { $0.journey == name && $0.isActive }
        var refusal: NotEnteredReason?
        switch program.entry {
        case _ where engine.isPaused(name):
            refusal = .journeyPaused
        case .oneAtATime:
            if hasActive { refusal = .alreadyActive }
        case .onceEver:
            if let previous { refusal = .onceEver(enteredAt: previous.firstEnteredAt) }
        case .oncePer(let period):
            if hasActive {
                refusal = .alreadyActive
            } else if let previous, t < previous.lastEnteredAt + period {
                refusal = .oncePer(period: period, lastEnteredAt: previous.lastEnteredAt, nextAllowedAt: previous.lastEnteredAt + period)
            }
        case .always:
            break
        }
        if refusal == nil, engine.index.hasConditionExits {
            let evaluator = evaluator(journeyZone: program.timeZone, event: event, at: t)
            for exit in program.exits {
                if case .condition(let condition) = exit, evaluator.holds(condition) {
                    refusal = .exitConditionHolds
                    break
                }
            }
        }
        if let refusal {
            output.timeline.append(
                TimelineRecord(
                    at: t, customerID: state.profile.id, journey: name, version: program.version, entrySequence: 0,
                    kind: .notEntered(trigger: trigger, reason: refusal)))
            return
        }
        let sequence = (previous?.count ?? 0) + 1
        let heldOut = isInGlobalHoldout(program)
        state.entries[name] = EntryRecord(count: sequence, firstEnteredAt: previous?.firstEnteredAt ?? t, lastEnteredAt: t)
        let initialLabel = program.states.indices.contains(program.initial) ? program.states[program.initial].label : ""
        state.instances.append(
            JourneyInstance(
                journey: name, version: program.version, entrySequence: sequence, enteredAt: t, state: program.initial,
                step: initialLabel, deadline: nil, lastEvent: event, variants: [], status: .active, convertedAt: nil,
                goalDeadline: program.goal.map { t + $0.within }, sendVisits: []))
        let i = state.instances.count - 1
        record(.entered(trigger: trigger), instance: i, at: t)
        if heldOut {
            // Held out of marketing: the entry is recorded and ends at once, and the finished
            // instance still counts the goal (kept until its window closes), which is how the
            // holdout's conversions are measured.
            finish(i, .explicit(Self.globalHoldoutReason), at: t)
            return
        }
        advance(i, to: program.initial, program: program, at: t)
    }

    /// The exit reason of an entry kept out by the policy's `global holdout`.
    static let globalHoldoutReason = "global holdout"

    /// Whether the policy's `global holdout` keeps this customer out of `program`: a marketing
    /// journey (one with a marketing send) and a stable hash of the customer id below the share.
    /// The hash is the split hash of `customer id | | global holdout`, the same in every journey,
    /// so the same customers are held out of all of them.
    func isInGlobalHoldout(_ program: JourneyProgram) -> Bool {
        guard let share = catalog.policy.globalHoldout, share > 0, engine.index.marketingJourneys.contains(program.name) else { return false }
        return StableHash.splitPoint(customer: state.profile.id, journey: "", split: "global holdout", salt: options.splitSalt) < share
    }

    // MARK: Running steps

    /// Runs instance `i` from state `target` through action steps until it waits or exits.
    mutating func advance(_ i: Int, to target: StateID, at t: Double) {
        let engine = engine
        guard let k = heldIndex(of: i) else { return }
        advance(i, to: target, program: engine.held[k], at: t)
    }

    /// `advance(_:to:at:)` with instance `i`'s program already looked up.
    mutating func advance(_ i: Int, to target: StateID, program: JourneyProgram, at t: Double) {
        var target = target
        var steps = 0
        while true {
            steps += 1
            guard steps <= options.stepLimit else {
                finish(i, .stepLimit, at: t)
                return
            }
            guard program.states.indices.contains(target) else {
                finish(i, .invalidState(target), at: t)
                return
            }
            let step = program.states[target]
            state.instances[i].state = target
            state.instances[i].step = step.label
            if options.recordsSteps { record(.stepReached(step: step.label, stage: step.stage ?? program.stage), instance: i, at: t) }
            switch step.kind {
            case .send(let send, let next):
                requestSend(i, program: program, step: step, send: send, at: t)
                target = next
            case .update(let updates, let next):
                applyUpdates(updates, instance: i, program: program, step: step, at: t)
                target = next
            case .branch(let branches, let otherwise):
                let evaluator = evaluator(journeyZone: program.timeZone, event: state.instances[i].lastEvent, at: t)
                target = branches.first { evaluator.holds($0.condition) }?.target ?? otherwise
            case .split(let split):
                guard var variant = assign(split, journey: program.name) else {
                    finish(i, .invalidState(target), at: t)
                    return
                }
                if !state.instances[i].variants.contains(where: { $0.split == split.name }) {
                    var note: String?
                    if split.winner != nil, !variant.isControl, let winner = decidedWinner(of: split, journey: program.name, at: t) {
                        variant = winner.variant
                        note = winner.note
                    }
                    state.instances[i].variants.append(VariantAssignment(split: split.name, variant: variant.name, isControl: variant.isControl))
                    record(.variantAssigned(split: split.name, variant: variant.name, isControl: variant.isControl, winner: note), instance: i, at: t)
                } else if let kept = state.instances[i].variants.first(where: { $0.split == split.name }),
                    let own = split.variants.first(where: { $0.name == kept.variant })
                {
                    // A split reached again (a `go to` loop) keeps the variant first assigned.
                    variant = own
                }
                target = variant.target
            case .wait(let wait):
                let deadline: Double
                var forEvent: String?
                switch wait {
                case .duration(let seconds, _):
                    deadline = t + max(0, seconds)
                case .untilTime(let expression, _):
                    let value = evaluator(journeyZone: program.timeZone, event: state.instances[i].lastEvent, at: t).value(of: expression)
                    deadline = max(t, ExpressionEvaluator.asTime(value) ?? t)
                case .calendarDays(let days, _):
                    let zone = LocalClock.zone(zoneID(journeyZone: program.timeZone)) ?? LocalClock.zone("UTC")!
                    deadline = LocalClock.adding(calendarDays: max(1, days), to: t, in: zone)
                case .untilLocalTime(let time, let weekdays, _):
                    let zone = LocalClock.zone(zoneID(journeyZone: program.timeZone)) ?? LocalClock.zone("UTC")!
                    deadline = LocalClock.nextOccurrence(of: time, weekdays: weekdays, after: t, in: zone)
                case .event(let name, _, let timeout, _, _):
                    deadline = t + max(0, timeout)
                    forEvent = name
                case .events(let arms, let timeout, _):
                    deadline = t + max(0, timeout)
                    var names: [String] = []
                    for arm in arms where !names.contains(arm.name) { names.append(arm.name) }
                    forEvent = names.joined(separator: " or ")
                }
                state.instances[i].deadline = deadline
                record(.waiting(step: step.label, until: deadline, forEvent: forEvent), instance: i, at: t)
                return
            case .exit(let kind):
                switch kind {
                case .completed: finish(i, .completed, at: t)
                case .explicit(let reason): finish(i, .explicit(reason), at: t)
                }
                return
            }
        }
    }

    /// The decided winner of `split` in force at `t`, with the timeline's note.
    func decidedWinner(of split: Split, journey: String, at t: Double) -> (variant: Variant, note: String)? {
        guard let winner = options.winners.first(where: { $0.journey == journey && $0.split == split.name }), t >= winner.since,
            let variant = split.variants.first(where: { $0.name == winner.variant && !$0.isControl })
        else { return nil }
        return (variant, winner.note)
    }

    /// The variant of `split` for this customer: a stable hash of customer, journey and split.
    func assign(_ split: Split, journey: String) -> Variant? {
        guard !split.variants.isEmpty else { return nil }
        let total = split.variants.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return split.variants.first }
        let point =
            StableHash.splitPoint(customer: state.profile.id, journey: journey, split: split.name, salt: options.splitSalt) / 100 * total
        var cumulative = 0.0
        for variant in split.variants {
            cumulative += max(0, variant.weight)
            if point < cumulative { return variant }
        }
        return split.variants.last
    }

    /// Ends instance `i`. Sends still waiting for their decision are cancelled when the exit comes
    /// from outside the journey's own flow (an exit event or condition, or the goal).
    mutating func finish(_ i: Int, _ reason: ExitReason, at t: Double) {
        guard state.instances[i].isActive else { return }
        state.instances[i].status = .finished(reason, at: t)
        state.instances[i].deadline = nil
        state.instances[i].heldSince = nil
        state.instances[i].heldEvent = nil
        record(.exited(step: state.instances[i].step, reason: reason), instance: i, at: t)
        switch reason {
        case .event, .condition, .goal:
            let journey = state.instances[i].journey, sequence = state.instances[i].entrySequence
            cancelPendingSends(because: reason, at: t) { $0.request.journey == journey && $0.entrySequence == sequence }
        default:
            break
        }
    }

    /// Drops undecided sends (in the settle window or deferred) that `matches` selects.
    mutating func cancelPendingSends(because reason: ExitReason, at t: Double, where matches: (PendingSend) -> Bool) {
        guard state.pendingSends.contains(where: matches) else { return }
        var kept: [PendingSend] = []
        for pending in state.pendingSends {
            guard matches(pending) else {
                kept.append(pending)
                continue
            }
            output.timeline.append(
                TimelineRecord(
                    at: t, customerID: state.profile.id, journey: pending.request.journey, version: pending.journeyVersion,
                    entrySequence: pending.entrySequence,
                    kind: .sendCancelled(
                        step: pending.request.step, message: pending.request.send.message, channel: pending.request.send.channel, because: reason)))
        }
        state.pendingSends = kept
    }

    // MARK: Attribute updates

    mutating func applyUpdates(_ updates: [AttributeUpdate], instance i: Int, program: JourneyProgram, step: JourneyState, at t: Double) {
        for update in updates {
            let evaluator = evaluator(journeyZone: program.timeZone, event: state.instances[i].lastEvent, at: t)
            switch update.operation {
            case .set(let expression):
                setAttribute(update.attribute, to: evaluator.value(of: expression))
            case .increment(let expression):
                let current = evaluator.value(of: Expression.customer(update.attribute))
                let amount = evaluator.value(of: expression)
                let sum: Value =
                    switch (current, amount) {
                    case (.null, _): amount
                    default: ExpressionEvaluator.binary(.add, current, amount)
                    }
                setAttribute(update.attribute, to: sum)
            case .unset:
                setAttribute(update.attribute, to: .null)
            }
        }
        profileChanged()
        record(.attributesUpdated(step: step.label, attributes: updates.map { $0.attribute.joined(separator: ".") }), instance: i, at: t)
    }

    /// Sets (or with `.null` removes) a profile attribute; `email`, `phone`, `time_zone` and
    /// `subscribed.<channel or topic>` set the built-in fields.
    mutating func setAttribute(_ path: [String], to value: Value) {
        guard let first = path.first else { return }
        func text() -> String? {
            if case .string(let s) = value, !s.isEmpty { return s }
            return nil
        }
        switch (first, path.count) {
        case ("email", 1): state.profile.email = text()
        case ("phone", 1): state.profile.phone = text()
        case ("time_zone", 1): state.profile.timeZone = text()
        case ("subscribed", 2):
            if case .bool(let b) = value { state.profile.subscriptions[path[1]] = b } else { state.profile.subscriptions[path[1]] = nil }
        default:
            if path.count == 1 {
                state.profile.attributes[first] = value == .null ? nil : value
            } else {
                state.profile.attributes[first] = Self.setting(state.profile.attributes[first] ?? .null, path.dropFirst(), to: value)
            }
        }
    }

    private static func setting(_ base: Value, _ path: ArraySlice<String>, to value: Value) -> Value? {
        guard let key = path.first else { return value == .null ? nil : value }
        var fields: [String: Value] = [:]
        if case .object(let existing) = base { fields = existing }
        fields[key] = setting(fields[key] ?? .null, path.dropFirst(), to: value)
        return .object(fields)
    }
}
