extension CatalogChecker {
    /// The journey's `migrate` lines as a ``JourneyMigration``, checked against this version's
    /// steps: a rule must move customers to a step of this journey where customers wait, a live
    /// step is named once, and `migrate others` is given once. (The live version's side, which
    /// steps exist there and which are occupied, is checked when the deployment is planned.)
    mutating func checkMigration(_ syntax: JourneySyntax, states: [JourneyState]) -> JourneyMigration? {
        var rules: [JourneyMigration.Rule] = []
        var others: JourneyMigration.Others?
        var first: SourceLocation?
        var named: [String: SourceLocation] = [:]
        var othersAt: SourceLocation?
        for setting in syntax.settings {
            guard case .migrate(let rule) = setting.kind else { continue }
            if first == nil { first = setting.location }
            switch rule {
            case .others(let exit):
                if let othersAt {
                    error(
                        .duplicateMigration, at: setting.location, length: setting.length,
                        "`migrate others` is given twice in journey `\(syntax.name.text)`", notes: [.init("first given here", at: othersAt)])
                    continue
                }
                othersAt = setting.location
                others = exit ? .exit : .stay
            case .exit(let from), .move(let from, _, _):
                if let earlier = named[from.text] {
                    error(
                        .duplicateMigration, at: from.location, length: from.length,
                        "step `\(from.text)` is migrated twice; keep one `migrate from \(from.text)` line",
                        notes: [.init("first migrated here", at: earlier)])
                    continue
                }
                named[from.text] = setting.location
                guard case .move(_, let to, let keepDeadline) = rule else {
                    rules.append(.init(from: from.text, target: .exit, location: setting.location))
                    continue
                }
                guard let state = states.first(where: { $0.label == to.text }) else {
                    let waits = states.filter { if case .wait = $0.kind { true } else { false } }.map(\.label)
                    unknown(
                        .unknownMigrationStep, "step", to, candidates: waits,
                        notes: [.init("customers move to a step of this version; `herald graph` shows the steps' labels")])
                    continue
                }
                guard case .wait = state.kind else {
                    error(
                        .migrationStepKind, at: to.location, length: to.length,
                        "`\(to.text)` is \(Self.kindName(state.kind)) step: customers can only be moved to a step where they wait",
                        notes: [.init("move them to a `wait` step, or end their journey with `migrate from \(from.text) exit`")])
                    continue
                }
                rules.append(.init(from: from.text, target: .step(to.text, keepDeadline: keepDeadline), location: setting.location))
            }
        }
        guard let first else { return nil }
        return JourneyMigration(rules: rules, others: others, location: first)
    }

    /// `a send`, `an update`, … for messages.
    static func kindName(_ kind: StateKind) -> String {
        if case .send = kind { return "a send" }
        if case .update = kind { return "an update" }
        if case .exit = kind { return "an exit" }
        if case .wait = kind { return "a wait" }
        return "a branching"
    }
}
