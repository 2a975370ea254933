import JourneyLanguage

/// One run-to-completion step for one customer: the mutable working set of
/// ``JourneyEngine/handle(_:state:now:)``. Lives only for the duration of one call.
struct CustomerRun {
    let engine: EngineCore
    let decide: @Sendable ([SendRequest], SendLedger, CustomerContact, Double) -> [DeliveryDecision]
    let audience: AudienceHours
    var state: CustomerState
    var output = EngineOutput()
    /// Bumped whenever the profile changes, so that segments and exit conditions are re-checked.
    var profileChanges = 0
    /// Timer firings in this call (guards against zero-length wait cycles).
    var firings = 0
    /// The customer's time zone when the journey names none (resolved once per call).
    var cachedZone: String?

    var catalog: JourneyCatalog { engine.catalog }
    var options: JourneyEngine.Options { engine.options }
    var journeys: [JourneyProgram] { engine.catalog.journeys }

    // MARK: The step

    mutating func handle(_ input: EngineInput, now: Double) {
        retireUnheldVersions()
        switch input {
        case .profile(let profile):
            let t = instant(for: now, now: now)
            begin(at: t)
            applyProfile(profile, at: t)
            completeInstant(at: t)
        case .event(let event):
            let t = instant(for: event.timestamp, now: now)
            begin(at: t)
            if remember(eventID: event.id) {
                processEvent(event, at: t)
                completeInstant(at: t)
            }
        case .wake:
            let t = instant(for: now, now: now)
            begin(at: t)
        case .deliveryOutcome(let messageID, let delivered, let detail):
            let t = instant(for: now, now: now)
            begin(at: t)
            var properties: [String: Value] = ["message_id": .string(messageID), "detail": .string(detail)]
            if let i = state.ledger.entries.firstIndex(where: { "\($0.requestID)/\($0.channel.rawValue)" == messageID }) {
                let entry = state.ledger.entries[i]
                properties["journey"] = .string(entry.journey)
                properties["message"] = .string(entry.message)
                properties["channel"] = .string(entry.channel.rawValue)
                // A permanently failed message releases its cap slot.
                if !delivered { state.ledger.release(requestID: entry.requestID) }
            }
            let event = CustomerEvent(
                id: "outcome:\(messageID):\(delivered ? "delivered" : "failed")", customerID: state.profile.id,
                name: delivered ? "message.delivered" : "message.failed", properties: properties, timestamp: t)
            if remember(eventID: event.id) {
                processEvent(event, at: t)
                completeInstant(at: t)
            }
        }
        fireTimers(upTo: now)
        prune()
        state.nextWakeAt = nextDue()
    }

    /// The instant an input is processed at: its own time, never before the customer's clock and
    /// never after `now`.
    private func instant(for time: Double, now: Double) -> Double {
        let t = min(time, max(now, state.clock ?? now))
        return max(t, state.clock ?? t)
    }

    /// Starts the customer's clock if new, sets up schedules, and fires the timers due at or
    /// before `t`: timers come before an input at the same instant, so an event at exactly a
    /// wait's timeout arrives too late. The service's scheduler may fire that timer before the
    /// event reaches it or after; either order gives this result, so both worlds agree.
    private mutating func begin(at t: Double) {
        if state.clock == nil { state.clock = t }
        ensureSchedules()
        if !engine.migrating.isEmpty { applyDeclaredMigrations(at: t) }
        updateHolds(at: t)
        fireTimers(upTo: t)
        advanceClock(to: t)
    }

    private mutating func advanceClock(to t: Double) {
        if let clock = state.clock, clock >= t { return }
        state.clock = t
    }

    /// Whether the event is new (and remembers it).
    private mutating func remember(eventID: String) -> Bool {
        if state.recentEventIDs.contains(eventID) { return false }
        state.recentEventIDs.append(eventID)
        if state.recentEventIDs.count > options.recentEventIDLimit {
            state.recentEventIDs.removeFirst(state.recentEventIDs.count - options.recentEventIDLimit)
        }
        return true
    }

    /// After an input or a group of timers at `t`: exit conditions, segment entries, then the
    /// delivery decisions due.
    mutating func completeInstant(at t: Double) {
        var passes = 0
        repeat {
            let before = profileChanges
            if engine.index.hasConditionExits { checkConditionExits(at: t) }
            if !engine.index.trackedSegments.isEmpty { refreshSegments(at: t) }
            passes += 1
            if profileChanges == before { break }
        } while passes < 8
        decidePendingSends(at: t)
    }

    // MARK: Timers

    /// The earliest instant something is due for this customer.
    func nextDue() -> Double? { Self.nextDue(in: state, engine: engine) }

    /// The earliest instant something is due: instance timers, schedules and undecided sends —
    /// except what a paused journey already holds (work of a paused journey not yet marked held is
    /// due at its own time, when the step marks it). Work held by a journey that is no longer
    /// paused is due at once (at the instant it was held), so the next step releases it.
    static func nextDue(in state: CustomerState, engine: EngineCore) -> Double? {
        var due: Double?
        func consider(_ t: Double?) {
            if let t, due.map({ t < $0 }) ?? true { due = t }
        }
        // By index: iterating the arrays would copy every instance and send (a retain and a
        // release of each of their strings).
        for k in state.instances.indices where state.instances[k].isActive {
            if engine.isPaused(state.instances[k].journey) {
                if state.instances[k].heldSince == nil { consider(state.instances[k].deadline) }
            } else {
                consider(state.instances[k].heldSince ?? state.instances[k].deadline)
            }
        }
        if !state.schedules.isEmpty {
            for (_, t) in state.schedules { consider(t) }
        }
        for k in state.pendingSends.indices {
            if engine.isPaused(state.pendingSends[k].request.journey) {
                if state.pendingSends[k].heldSince == nil { consider(state.pendingSends[k].dueAt) }
            } else {
                consider(state.pendingSends[k].heldSince ?? state.pendingSends[k].dueAt)
            }
        }
        return due
    }

    // MARK: Paused journeys

    /// Holds the work of paused journeys and releases the work of journeys resumed since it was
    /// held. Held at `t`: the instance or send is marked (`heldSince`). Released at `t`: a deadline
    /// that passed while held moves to `t`, a held event advances its wait, undecided sends are
    /// decided at `t` at the earliest.
    private mutating func updateHolds(at t: Double) {
        if engine.paused.isEmpty, !state.instances.contains(where: { $0.heldSince != nil }),
            !state.pendingSends.contains(where: { $0.heldSince != nil })
        {
            return
        }
        for i in orderedInstances() where state.instances[i].isActive {
            let instance = state.instances[i]
            if engine.isPaused(instance.journey) {
                if instance.heldSince == nil {
                    state.instances[i].heldSince = t
                    record(.held(step: instance.step), instance: i, at: t)
                }
                continue
            }
            guard let since = instance.heldSince else { continue }
            state.instances[i].heldSince = nil
            record(.resumed(step: instance.step, heldFor: max(0, t - since)), instance: i, at: t)
            if let event = instance.heldEvent, let k = engine.heldIndex(named: instance.journey, version: instance.version),
                let onEvent = heldEventTarget(engine.held[k], state: instance.state, event: event, at: t)
            {
                state.instances[i].heldEvent = nil
                state.instances[i].lastEvent = event
                record(.eventReceived(step: instance.step, event: event.name), instance: i, at: t)
                advance(i, to: onEvent, at: t)
            } else {
                state.instances[i].heldEvent = nil
                if let deadline = instance.deadline, deadline < t { state.instances[i].deadline = t }
            }
        }
        for k in state.pendingSends.indices {
            let held = engine.isPaused(state.pendingSends[k].request.journey)
            if held {
                if state.pendingSends[k].heldSince == nil { state.pendingSends[k].heldSince = t }
            } else if state.pendingSends[k].heldSince != nil {
                state.pendingSends[k].heldSince = nil
                state.pendingSends[k].dueAt = max(state.pendingSends[k].dueAt, t)
            }
        }
    }

    /// Where an event kept while the journey was paused takes its wait on resume. For `wait for
    /// events`, the first arm of its name whose filter holds now, else the first arm of its name
    /// (its filter held when the event was kept).
    private mutating func heldEventTarget(_ program: JourneyProgram, state id: StateID, event: MatchedEvent, at t: Double) -> StateID? {
        guard program.states.indices.contains(id), case .wait(let wait) = program.states[id].kind else { return nil }
        switch wait {
        case .event(let name, _, _, let onEvent, _):
            return name == event.name ? onEvent : nil
        case .events(let arms, _, _):
            let named = arms.filter { $0.name == event.name }
            return (named.first { holds($0.filter, program: program, event: event, at: t) } ?? named.first)?.target
        default:
            return nil
        }
    }

    /// Where the wait in state `id` continues when `event` arrives, or `nil` when it does not take
    /// it: the `received` arm of `wait for event`, or the first arm of `wait for events` (in source
    /// order) whose event and filter match.
    private mutating func eventTarget(_ program: JourneyProgram, state id: StateID, event: MatchedEvent, at t: Double) -> StateID? {
        guard program.states.indices.contains(id), case .wait(let wait) = program.states[id].kind else { return nil }
        switch wait {
        case .event(let name, let filter, _, let onEvent, _):
            return name == event.name && holds(filter, program: program, event: event, at: t) ? onEvent : nil
        case .events(let arms, _, _):
            for arm in arms where arm.name == event.name && holds(arm.filter, program: program, event: event, at: t) {
                return arm.target
            }
            return nil
        default:
            return nil
        }
    }

    /// Fires everything due at or before `limit`, in time order.
    private mutating func fireTimers(upTo limit: Double) {
        while let t = nextDue(), t <= limit {
            firings += 1
            advanceClock(to: t)
            if firings > 10_000 {
                // A cycle of zero-length waits: stop the instances stuck at this instant.
                for i in state.instances.indices where state.instances[i].isActive && (state.instances[i].deadline ?? .infinity) <= t {
                    finish(i, .stepLimit, at: t)
                }
            }
            for i in orderedInstances() {
                guard state.instances[i].isActive, let deadline = state.instances[i].deadline, deadline <= t,
                    !engine.isPaused(state.instances[i].journey)
                else { continue }
                wakeInstance(i, at: t)
            }
            for j in engine.index.scheduleJourneys {
                let program = journeys[j]
                if let due = state.schedules[program.name], due <= t { fireSchedule(program, at: t) }
            }
            completeInstant(at: t)
            // A schedule still due now belongs to no scheduled journey any more (one removed or
            // changed by a reload): nothing would ever move it, so it goes, and time moves on.
            for (name, due) in state.schedules where due <= t { state.schedules[name] = nil }
            // The last guard against work that does not move forward: this step ends here, and
            // the next one takes over (bounded work per step, never a loop without end).
            if firings > 20_000 { break }
        }
    }

    /// Active-or-not instance indices in processing order: higher journey priority first, then
    /// journey name, then entry sequence.
    func orderedInstances() -> [Int] {
        let count = state.instances.count
        // Most customers have one instance: no array to build or sort.
        if count <= 1 { return count == 0 ? [] : Self.firstOnly }
        let engine = engine
        let priorities = state.instances.map { engine.priority(named: $0.journey, version: $0.version) }
        return state.instances.indices.sorted { a, b in
            if priorities[a] != priorities[b] { return priorities[a] > priorities[b] }
            if state.instances[a].journey != state.instances[b].journey { return state.instances[a].journey < state.instances[b].journey }
            return state.instances[a].entrySequence < state.instances[b].entrySequence
        }
    }

    private static let firstOnly = [0]

    private mutating func wakeInstance(_ i: Int, at t: Double) {
        let engine = engine
        guard let k = heldIndex(of: i) else { return }
        wakeInstance(i, program: engine.held[k], at: t)
    }

    private mutating func wakeInstance(_ i: Int, program: JourneyProgram, at t: Double) {
        let id = state.instances[i].state
        guard program.states.indices.contains(id), case .wait(let wait) = program.states[id].kind else {
            finish(i, .invalidState(id), at: t)
            return
        }
        switch wait {
        case .duration(_, let next), .calendarDays(_, let next), .untilLocalTime(_, _, let next), .untilTime(_, let next):
            advance(i, to: next, program: program, at: t)
        case .event(_, _, _, _, let onTimeout), .events(_, _, let onTimeout):
            record(.timedOut(step: program.states[id].label), instance: i, at: t)
            advance(i, to: onTimeout, program: program, at: t)
        }
    }

    // MARK: Profiles

    private mutating func applyProfile(_ update: CustomerProfile, at t: Double) {
        let previousZone = state.profile.timeZone
        if let email = update.email { state.profile.email = email.isEmpty ? nil : email }
        if let phone = update.phone { state.profile.phone = phone.isEmpty ? nil : phone }
        if let zone = update.timeZone { state.profile.timeZone = zone.isEmpty ? nil : zone }
        for (key, value) in update.subscriptions { state.profile.subscriptions[key] = value }
        for (key, value) in update.attributes {
            state.profile.attributes[key] = value == .null ? nil : coerce(value, as: engine.index.timeAttributes[key])
        }
        profileChanged()
        rescheduleAnniversaries(changed: Set(update.attributes.keys))
        if state.profile.timeZone != previousZone {
            // Schedules and `wait until` deadlines follow the customer's new zone.
            state.schedules.removeAll()
            ensureSchedules()
            rescheduleLocalTimeWaits(at: t)
        }
    }

    /// After a time zone change: every instance waiting `until` a local time waits for the next
    /// occurrence of that time, strictly after `t`, in the zone now in force (the rule schedules
    /// follow too). The new deadline is recorded as a new `waiting` row.
    private mutating func rescheduleLocalTimeWaits(at t: Double) {
        let engine = engine
        for i in state.instances.indices where state.instances[i].isActive && state.instances[i].deadline != nil {
            guard let k = heldIndex(of: i) else { continue }
            let id = state.instances[i].state
            guard engine.held[k].states.indices.contains(id),
                case .wait(.untilLocalTime(let time, let weekdays, _)) = engine.held[k].states[id].kind
            else { continue }
            let zone = LocalClock.zone(zoneID(journeyZone: engine.held[k].timeZone)) ?? LocalClock.zone("UTC")!
            let deadline = LocalClock.nextOccurrence(of: time, weekdays: weekdays, after: t, in: zone)
            guard deadline != state.instances[i].deadline else { continue }
            state.instances[i].deadline = deadline
            record(.waiting(step: engine.held[k].states[id].label, until: deadline, forEvent: nil), instance: i, at: t)
        }
    }

    mutating func profileChanged() {
        profileChanges += 1
        cachedZone = nil
    }

    func coerce(_ value: Value, as type: ValueType?) -> Value {
        switch (type, value) {
        case (.time?, .string(let s)): Value.parseTime(s).map(Value.time) ?? value
        case (.time?, .number(let n)): Value.representableTime(n).map(Value.time) ?? value
        case (.duration?, .number(let n)): .duration(n)
        default: value
        }
    }

    // MARK: Events

    private mutating func processEvent(_ event: CustomerEvent, at t: Double) {
        var properties = event.properties
        if let types = engine.index.timeEventProperties[event.name] {
            for (key, type) in types { if let v = properties[key] { properties[key] = coerce(v, as: type) } }
        }
        let matched = MatchedEvent(name: event.name, timestamp: event.timestamp, properties: properties)
        recordHistory(matched, at: t)
        handleEngagement(event, at: t)
        if let kind = EngagementHistogram.events[event.name] { recordEngagement(kind, event, at: t) }

        // Instances that existed before this event: goals, exit events, event waits.
        let engine = engine
        for i in orderedInstances() {
            guard let k = heldIndex(of: i) else { continue }
            processEvent(event, matched, instance: i, program: engine.held[k], at: t)
        }

        // Undecided sends of entries that already finished still obey their journey's exit events.
        if !state.pendingSends.isEmpty {
            var cancelled: [Int] = []
            for k in state.pendingSends.indices {
                guard let p = engine.heldIndex(named: state.pendingSends[k].request.journey, version: state.pendingSends[k].journeyVersion)
                else { continue }
                if exits(engine.held[p], on: matched, at: t) { cancelled.append(k) }
            }
            if !cancelled.isEmpty {
                let ids = Set(cancelled.map { state.pendingSends[$0].request.id })
                cancelPendingSends(because: .event(event.name), at: t) { ids.contains($0.request.id) }
            }
        }

        // Event triggers.
        for j in engine.index.eventTriggers[event.name] ?? [] {
            enter(engine.catalog.journeys[j], on: matched, at: t)
        }
    }

    /// Whether an exit event of `program` matches `event`.
    private mutating func exits(_ program: JourneyProgram, on event: MatchedEvent, at t: Double) -> Bool {
        for exit in program.exits {
            if case .event(let name, let filter) = exit, name == event.name, holds(filter, program: program, event: event, at: t) {
                return true
            }
        }
        return false
    }

    /// Enters `program` if its event trigger's filter holds for `event`.
    private mutating func enter(_ program: JourneyProgram, on event: MatchedEvent, at t: Double) {
        guard case .event(_, let filter) = program.trigger, holds(filter, program: program, event: event, at: t) else { return }
        tryEnter(program, trigger: .event(event.name), event: event, at: t)
    }

    /// An event for one instance that existed before it: its goal, exit events and event wait.
    private mutating func processEvent(_ event: CustomerEvent, _ matched: MatchedEvent, instance i: Int, program: JourneyProgram, at t: Double) {
        if let goal = program.goal, goal.event == event.name, state.instances[i].convertedAt == nil {
            let entered = state.instances[i].enteredAt
            if event.timestamp >= entered, event.timestamp <= entered + goal.within,
                holds(goal.filter, program: program, event: matched, at: t)
            {
                state.instances[i].convertedAt = event.timestamp
                record(
                    .converted(goal: goal.event, timeToConvert: event.timestamp - entered, variants: state.instances[i].variants),
                    instance: i, at: t)
                attributeConversion(i, event: event, at: t)
                if goal.exitOnGoal, state.instances[i].isActive { finish(i, .goal, at: t) }
            }
        }
        guard state.instances[i].isActive else { return }
        if exits(program, on: matched, at: t) { finish(i, .event(event.name), at: t) }
        guard state.instances[i].isActive else { return }
        let id = state.instances[i].state
        if let onEvent = eventTarget(program, state: id, event: matched, at: t) {
            if engine.isPaused(program.name) {
                // Held: the first matching event before the timeout is kept for the resume (one at
                // the timeout instant is too late, as when the journey runs).
                if state.instances[i].heldEvent == nil, t < state.instances[i].deadline ?? .infinity {
                    state.instances[i].heldEvent = matched
                }
                return
            }
            state.instances[i].lastEvent = matched
            record(.eventReceived(step: program.states[id].label, event: event.name), instance: i, at: t)
            advance(i, to: onEvent, program: program, at: t)
        }
    }

    mutating func importHistory(_ event: CustomerEvent) {
        var properties = event.properties
        if let types = engine.index.timeEventProperties[event.name] {
            for (key, type) in types { if let v = properties[key] { properties[key] = coerce(v, as: type) } }
        }
        recordHistory(
            MatchedEvent(name: event.name, timestamp: event.timestamp, properties: properties),
            at: max(state.clock ?? event.timestamp, event.timestamp))
        if let kind = EngagementHistogram.events[event.name] { recordEngagement(kind, event, at: nil) }
    }

    private mutating func recordHistory(_ event: MatchedEvent, at t: Double) {
        guard let need = engine.index.historyNeeds[event.name] else { return }
        let entry = HistoryEntry(timestamp: event.timestamp, properties: need.keepsProperties ? event.properties : [:])
        let limit = max(1, options.historyLimit)
        let window = need.window
        modifying(&state.history.events[event.name, default: []]) { list in
            var at = list.endIndex
            while at > list.startIndex, list[at - 1].timestamp > entry.timestamp { at -= 1 }
            list.insert(entry, at: at)
            if let window {
                let cutoff = t - window
                var drop = 0
                while drop < list.count - 1, list[drop].timestamp < cutoff { drop += 1 }
                if drop > 0 { list.removeFirst(drop) }
            }
            if list.count > limit { list.removeFirst(list.count - limit) }
        }
    }

    // MARK: Segments and exit conditions

    private mutating func checkConditionExits(at t: Double) {
        let engine = engine
        for i in state.instances.indices where state.instances[i].isActive {
            guard let k = heldIndex(of: i) else { continue }
            checkConditionExits(i, program: engine.held[k], at: t)
        }
    }

    private mutating func checkConditionExits(_ i: Int, program: JourneyProgram, at t: Double) {
        for exit in program.exits {
            if case .condition(let condition) = exit,
                evaluator(journeyZone: program.timeZone, event: state.instances[i].lastEvent, at: t).holds(condition)
            {
                finish(i, .condition, at: t)
                break
            }
        }
    }

    private mutating func refreshSegments(at t: Double) {
        for segment in engine.index.trackedSegments {
            guard let definition = catalog.segments[segment] else { continue }
            let member = evaluator(journeyZone: nil, event: nil, at: t).holds(definition)
            let position = state.segments.firstIndex { $0 >= segment }
            let wasMember = position.map { state.segments[$0] == segment } ?? false
            if member, !wasMember {
                state.segments.insert(segment, at: position ?? state.segments.endIndex)
                for j in engine.index.segmentTriggers[segment] ?? [] {
                    tryEnter(journeys[j], trigger: .segment(segment), event: nil, at: t)
                }
            } else if !member, wasMember, let position {
                state.segments.remove(at: position)
            }
        }
    }

    // MARK: Schedules

    private mutating func ensureSchedules() {
        let scheduled = engine.index.scheduleJourneys
        if state.schedules.isEmpty && scheduled.isEmpty { return }
        if state.schedules.count > scheduled.count || state.schedules.keys.contains(where: { engine.currentIndex[$0] == nil }) {
            state.schedules = state.schedules.filter { name, _ in
                engine.currentProgram(named: name).map {
                    switch $0.trigger {
                    case .schedule, .calendar: true
                    default: false
                    }
                } ?? false
            }
        }
        guard let clock = state.clock else { return }
        for j in scheduled where state.schedules[journeys[j].name] == nil {
            let program = journeys[j]
            state.schedules[program.name] = nextScheduleTime(program, after: clock)
        }
    }

    /// The next firing strictly after `t`, or `nil` when there is none (an anniversary of an
    /// attribute the customer does not have). Checked: a time that is not strictly after `t` is
    /// none — a schedule that did not move forward would fire at the same instant forever.
    private mutating func nextScheduleTime(_ program: JourneyProgram, after t: Double) -> Double? {
        guard let next = uncheckedScheduleTime(program, after: t), next > t, Value.timeRange.contains(next) else { return nil }
        return next
    }

    private mutating func uncheckedScheduleTime(_ program: JourneyProgram, after t: Double) -> Double? {
        let zone = LocalClock.zone(zoneID(journeyZone: program.timeZone)) ?? LocalClock.zone("UTC")!
        switch program.trigger {
        case .schedule(_, let at, let weekdays):
            return LocalClock.nextOccurrence(of: at, weekdays: weekdays, after: t, in: zone)
        case .calendar(_, let at, .anniversary(let path)):
            let value = ExpressionEvaluator.asTime(evaluator(journeyZone: program.timeZone, event: nil, at: t).value(of: .customer(path)))
            guard let value else { return nil }
            let date = CivilDate(dayNumber: LocalClock.calendarDay(of: value, in: zone))
            return CalendarSchedule.next(.anniversary(date), at: at, after: t, in: zone)
        case .calendar(_, let at, .monthly(let day)):
            return CalendarSchedule.next(.monthly(day), at: at, after: t, in: zone)
        case .calendar(_, let at, .everyWeeks(let n, let weekdays)):
            return CalendarSchedule.next(.everyWeeks(n, weekdays), at: at, after: t, in: zone)
        default:
            return nil
        }
    }

    /// After a profile update: anniversaries of attributes it changed are computed again.
    private mutating func rescheduleAnniversaries(changed keys: Set<String>) {
        guard !keys.isEmpty else { return }
        for j in engine.index.scheduleJourneys {
            guard case .calendar(_, _, .anniversary(let path)) = journeys[j].trigger, let first = path.first, keys.contains(first) else { continue }
            state.schedules[journeys[j].name] = nil
        }
        ensureSchedules()
    }

    private mutating func fireSchedule(_ program: JourneyProgram, at t: Double) {
        state.schedules[program.name] = nextScheduleTime(program, after: t)
        let segment: String?
        switch program.trigger {
        case .schedule(let s, _, _), .calendar(let s, _, _): segment = s
        default: return
        }
        if let segment {
            guard let definition = catalog.segments[segment], evaluator(journeyZone: program.timeZone, event: nil, at: t).holds(definition) else {
                return
            }
        }
        tryEnter(program, trigger: .schedule, event: nil, at: t)
    }

    // MARK: Versions

    /// Instances whose version is no longer held move to the current version by state label, or
    /// exit with `versionRetired`.
    private mutating func retireUnheldVersions() {
        for i in state.instances.indices {
            guard heldIndex(of: i) == nil else { continue }
            let instance = state.instances[i]
            guard instance.isActive else { continue }  // finished ones are pruned
            let at = state.clock ?? instance.enteredAt
            if let current = engine.currentProgram(named: instance.journey),
                let target = current.states.first(where: { $0.label == instance.step }), case .wait = target.kind
            {
                state.instances[i].version = current.version
                state.instances[i].state = target.id
                record(.migrated(from: instance.version, to: current.version, step: instance.step), instance: i, at: at)
            } else {
                state.instances[i].status = .finished(.versionRetired, at: at)
                state.instances[i].deadline = nil
                record(.exited(step: instance.step, reason: .versionRetired), instance: i, at: at)
            }
        }
    }

    /// The position in `engine.held` of instance `i`'s program, if it is held. Pass
    /// `engine.held[k]` on as an argument (borrowed) rather than binding it to a local (a copy).
    @inline(__always)
    func heldIndex(of i: Int) -> Int? {
        engine.heldIndex(named: state.instances[i].journey, version: state.instances[i].version)
    }

    // MARK: Housekeeping

    private mutating func prune() {
        let clock = state.clock ?? 0
        let engine = engine
        state.instances.removeAll { instance in
            guard case .finished = instance.status else { return false }
            guard engine.heldIndex(named: instance.journey, version: instance.version) != nil, instance.convertedAt == nil,
                let goalEnd = instance.goalDeadline
            else { return true }
            return clock > goalEnd
        }
        if let first = state.ledger.entries.first, first.at < clock - engine.index.ledgerHorizon {
            state.ledger = state.ledger.pruned(keepingWithin: engine.index.ledgerHorizon, now: clock)
        }
    }

    // MARK: Helpers

    /// The time zone for the customer in a journey (customer → journey → policy → UTC).
    /// - Parameter journeyZone: the journey's own time zone (`JourneyProgram.timeZone`; passed
    ///   instead of the program, which would be copied to make it optional).
    mutating func zoneID(journeyZone: String?) -> String {
        if journeyZone == nil, let cachedZone { return cachedZone }
        let zone = engine.timeZoneIdentifier(for: state.profile, journeyZone: journeyZone)
        if journeyZone == nil { cachedZone = zone }
        return zone
    }

    mutating func evaluator(journeyZone: String?, event: MatchedEvent?, at t: Double) -> ExpressionEvaluator {
        ExpressionEvaluator(
            profile: state.profile, event: event, now: t, timeZone: zoneID(journeyZone: journeyZone), history: state.history,
            segments: catalog.segments)
    }

    mutating func holds(_ filter: Expression?, program: JourneyProgram, event: MatchedEvent?, at t: Double) -> Bool {
        guard let filter else { return true }
        return evaluator(journeyZone: program.timeZone, event: event, at: t).holds(filter)
    }

    mutating func record(_ kind: TimelineKind, instance i: Int, at t: Double) {
        output.timeline.append(
            TimelineRecord(
                at: t, customerID: state.profile.id, journey: state.instances[i].journey, version: state.instances[i].version,
                entrySequence: state.instances[i].entrySequence, kind: kind))
    }
}

/// Mutates a value in place (avoids a copy-on-write copy of a dictionary's value).
@inline(__always)
func modifying<T>(_ value: inout T, _ body: (inout T) -> Void) {
    body(&value)
}
