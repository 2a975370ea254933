import JourneyLanguage

extension CustomerRun {
    // MARK: Declared migrations

    /// Moves the customer's instances waiting in an older version of a journey whose current
    /// version declares a migration, as it declares (``MigrationDecision``), at the start of the
    /// step at `t`: before timers fire, so a kept deadline that passed fires on the new version.
    ///
    /// A move keeps the instance's entry (sequence, entry time, goal window, experiment variants,
    /// last event); a send step of the new version with the label of one it already passed makes
    /// the same message id, so it is not sent again. Sends already requested (in the
    /// settle window, deferred, or in the outbox) are untouched: they keep their id and are decided
    /// or delivered as before. A held instance (its journey is paused) moves and stays held.
    mutating func applyDeclaredMigrations(at t: Double) {
        for i in state.instances.indices where state.instances[i].isActive {
            guard let decision = engine.migrationDecision(for: state.instances[i]) else { continue }
            switch decision {
            case .stay:
                continue
            case .exit:
                finish(i, .migration, at: t)
            case .move(let target, let label, let keepDeadline, let line):
                guard let j = engine.currentIndex[state.instances[i].journey] else { continue }
                move(i, to: target, label: label, in: catalog.journeys[j], keepDeadline: keepDeadline, line: line, at: t)
            }
        }
    }

    /// Moves instance `i` onto `program` (the current version) at the wait `target`.
    private mutating func move(
        _ i: Int, to target: StateID, label: String, in program: JourneyProgram, keepDeadline: Bool, line: Int, at t: Double
    ) {
        let before = state.instances[i]
        state.instances[i].version = program.version
        // Send visits are state ids of the old version, and count a loop's repeated sends. They
        // start afresh: a send step of the new version with the label of one the customer already
        // passed then makes the same message id, which the ledger recognises as sent (skipped as a
        // duplicate) and the outbox as the same message.
        state.instances[i].sendVisits = []
        state.instances[i].state = target
        state.instances[i].step = label
        let kept = keepDeadline && before.deadline != nil
        record(
            .movedByMigration(
                fromVersion: before.version, fromStep: before.step, toVersion: program.version, toStep: label, keptDeadline: kept, line: line),
            instance: i, at: t)
        if !kept {
            // The new wait starts now: the same code that enters a wait sets its deadline.
            advance(i, to: target, program: program, at: t)
        }
    }
}
