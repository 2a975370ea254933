import JourneyLanguage

extension CustomerRun {
    /// Turns a send step into a pending ``SendRequest``: decided by the delivery policy after the
    /// settle window (at the end of this instant when it is 0). Transactional sends take no part in
    /// conflicts, so they are decided at once.
    mutating func requestSend(_ i: Int, program: JourneyProgram, step: JourneyState, send: Send, at t: Double) {
        let entrySequence = state.instances[i].entrySequence
        let visits = state.instances[i].sendVisits.reduce(0) { $0 + ($1 == step.id ? 1 : 0) }
        state.instances[i].sendVisits.append(step.id)
        var id = "\(state.profile.id)/\(program.name)/\(entrySequence)/\(step.label)"
        if visits > 0 { id += "#\(visits + 1)" }
        if state.ledger.contains(requestID: id) || state.pendingSends.contains(where: { $0.request.id == id }) {
            record(.skipped(step: step.label, message: send.message, channel: send.channel, reason: .duplicate(requestID: id)), instance: i, at: t)
            return
        }
        if let variant = messageVariant(of: send, journey: program.name),
            !state.instances[i].variants.contains(where: { $0.split == send.message })
        {
            // A message's variants are an experiment named after the message, assigned (and
            // recorded) when the instance first reaches a send of it.
            state.instances[i].variants.append(VariantAssignment(split: send.message, variant: variant, isControl: false))
            record(.variantAssigned(split: send.message, variant: variant, isControl: false), instance: i, at: t)
        }
        // The pending send keeps the delivery rules only (the stored form has no variants): the
        // variant is read from the program again when the send is decided, in both worlds alike.
        var rules = send
        rules.variants = nil
        // A send at the best time is requested at the chosen instant (its settle window, caps and
        // quiet hours apply from then on); the pending send keeps no window of its own.
        let requestedAt = requestTime(of: send, step: step.label, instance: i, program: program, at: t)
        rules.bestTime = nil
        let request = SendRequest(
            id: id, journey: program.name, priority: program.priority, step: step.label, send: rules, requestedAt: requestedAt)
        state.pendingSends.append(
            PendingSend(
                request: request, journeyVersion: program.version, entrySequence: entrySequence,
                event: state.instances[i].lastEvent?.properties ?? [:],
                dueAt: send.category == .transactional ? requestedAt : requestedAt + max(0, catalog.policy.settleWindow), deferrals: 0))
    }

    /// Asks the policy about every pending send due at `t`, as one batch.
    mutating func decidePendingSends(at t: Double) {
        guard state.pendingSends.contains(where: { $0.dueAt <= t && !engine.isPaused($0.request.journey) }) else { return }
        if let first = state.ledger.entries.first, first.at < t - engine.index.ledgerHorizon {
            state.ledger = state.ledger.pruned(keepingWithin: engine.index.ledgerHorizon, now: t)
        }

        // The first settle deadline decides every send requested by then (the window gathers
        // them); deferred sends come back at their own time.
        // A transactional send falling due does not close the window of marketing sends early.
        let marketingDue = state.pendingSends.contains {
            $0.dueAt <= t && $0.request.send.category == .marketing && !engine.isPaused($0.request.journey)
        }
        let due = state.pendingSends.indices.filter { k in
            // Fields read in place: binding the element would copy the whole pending send.
            if engine.isPaused(state.pendingSends[k].request.journey) { return false }  // held until the journey resumes
            return state.pendingSends[k].dueAt <= t
                || (marketingDue && state.pendingSends[k].deferrals == 0 && state.pendingSends[k].request.requestedAt <= t)
        }
        let requests = due.map { state.pendingSends[$0].request }
        let contact = CustomerContact(
            timeZone: zoneID(journeyZone: nil), hasEmail: !(state.profile.email ?? "").isEmpty,
            hasPhone: !(state.profile.phone ?? "").isEmpty, subscriptions: state.profile.subscriptions, suppressions: activeSuppressions())
        let decisions = decide(requests, state.ledger, contact, t)

        var done: [Int] = []
        for (k, p) in due.enumerated() {
            let pending = state.pendingSends[p]
            let request = pending.request
            let decision = k < decisions.count ? decisions[k] : .skipped(reason: .duplicate(requestID: request.id))
            switch decision {
            case .send(let channel, let notes):
                done.append(p)
                if state.ledger.contains(requestID: request.id) {
                    recordDecision(
                        .skipped(
                            step: request.step, message: request.send.message, channel: request.send.channel,
                            reason: .duplicate(requestID: request.id)), pending, at: t)
                    continue
                }
                let messageID = "\(request.id)/\(channel.rawValue)"
                let message = OutboxMessage(
                    id: messageID, customerID: state.profile.id, journey: request.journey, journeyVersion: pending.journeyVersion,
                    step: request.step, channel: channel, message: request.send.message, category: request.send.category, at: t,
                    context: templateContext(pending))
                output.outbox.append(message)
                state.ledger.record(LedgerEntry(request: request, channel: channel, at: t))
                recordDecision(
                    .sent(
                        step: request.step, message: request.send.message, requested: request.send.channel, channel: channel, messageID: messageID,
                        notes: notes),
                    pending, at: t)
                rememberSent(message, entrySequence: pending.entrySequence, at: t)
            case .deferred(let until, let reason):
                state.pendingSends[p].deferrals += 1
                if state.pendingSends[p].deferrals > 1_000 {
                    done.append(p)
                    let expired = DecisionReason.deferBoundExpired(bound: t - request.requestedAt, blockedBy: reason)
                    recordDecision(
                        .skipped(step: request.step, message: request.send.message, channel: request.send.channel, reason: expired), pending, at: t)
                    continue
                }
                // A policy that answers "until now" would spin: the engine asks again a second later.
                state.pendingSends[p].dueAt = until > t ? until : t + 1
                recordDecision(
                    .deferred(
                        step: request.step, message: request.send.message, channel: request.send.channel, until: state.pendingSends[p].dueAt,
                        reason: reason),
                    pending, at: t)
            case .skipped(let reason):
                done.append(p)
                recordDecision(
                    .skipped(step: request.step, message: request.send.message, channel: request.send.channel, reason: reason), pending, at: t)
            }
        }
        for p in done.sorted(by: >) { state.pendingSends.remove(at: p) }
    }

    private mutating func recordDecision(_ kind: TimelineKind, _ pending: PendingSend, at t: Double) {
        output.timeline.append(
            TimelineRecord(
                at: t, customerID: state.profile.id, journey: pending.request.journey, version: pending.journeyVersion,
                entrySequence: pending.entrySequence, kind: kind))
    }

    /// This customer's version of a message sent with variants (`nil` for one without): a stable
    /// hash of (customer, journey, message), weighted like a split's variants.
    func messageVariant(of send: Send, journey: String) -> String? {
        guard let variants = send.variants, !variants.isEmpty else { return nil }
        let split = Split(
            name: send.message, variants: variants.map { Variant(name: $0.name, weight: $0.weight, isControl: false, target: 0) })
        return assign(split, journey: journey)?.name
    }

    /// The variant of the message a pending send delivers, read from the program it was requested
    /// by (the stored pending send keeps only the send's delivery rules).
    private func messageVariant(of pending: PendingSend) -> String? {
        guard let k = engine.heldIndex(named: pending.request.journey, version: pending.journeyVersion),
            let state = engine.held[k].states.first(where: { $0.label == pending.request.step }),
            case .send(let send, _) = state.kind
        else { return nil }
        return messageVariant(of: send, journey: pending.request.journey)
    }

    /// The template context: `customer` (attributes plus the built-in fields), `event` (the
    /// instance's matched event when the send was requested), `journey`, and for a message sent
    /// with variants `variant` (`{"name": "question", "question": true}`).
    private mutating func templateContext(_ pending: PendingSend) -> [String: Value] {
        let zone = zoneID(journeyZone: nil)
        // Sized up front: the attributes grow by four keys, which would otherwise rehash them.
        var customer = [String: Value](minimumCapacity: state.profile.attributes.count + 4)
        for (key, value) in state.profile.attributes { customer[key] = value }
        customer["id"] = .string(state.profile.id)
        customer["email"] = state.profile.email.map(Value.string) ?? .null
        customer["phone"] = state.profile.phone.map(Value.string) ?? .null
        customer["time_zone"] = .string(zone)
        var context: [String: Value] = [
            "customer": .object(customer),
            "event": .object(pending.event),
            "journey": .object([
                "name": .string(pending.request.journey), "version": .string(pending.journeyVersion),
                "step": .string(pending.request.step),
            ]),
        ]
        if let variant = messageVariant(of: pending) {
            var object: [String: Value] = [variant: .bool(true)]
            object["name"] = .string(variant)  // the checker refuses a variant called `name`
            context["variant"] = .object(object)
        }
        return context
    }
}
