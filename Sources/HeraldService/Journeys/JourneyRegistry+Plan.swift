import Foundation
public import JourneyEngine
public import JourneyLanguage

extension JourneyRegistry {
    /// A deployment plan and the candidate's diagnostics (errors when it would be refused, else warnings).
    public struct PlanReport: Sendable {
        public var plan: DeploymentPlan
        public var diagnostics: [JourneyDiagnostic]
    }

    /// The store cannot count waiting instances, so no plan can be made.
    public struct PlanUnavailable: Error, Sendable, CustomStringConvertible {
        public var description: String { "this store cannot count the instances waiting at each step" }
    }

    /// What reloading the directory would do (`POST /v1/journeys/reload?plan=true`): changes nothing.
    public func plan() async throws -> PlanReport {
        try await Self.plan(directory: directory, live: current?.catalog.journeys ?? [], archive: current?.archive, store: store)
    }

    /// What deploying `directory` over `live` would do to the instances `store` holds. `herald plan
    /// --data` calls this with the store's current revision as `live` (``liveJourneys(in:)``).
    ///
    /// `archive` is every version deployed (read from the store when `nil`): a declared migration
    /// is checked against the version its customers wait in.
    public static func plan(
        directory: String, live: [JourneyProgram], archive: [JourneyProgram]? = nil, store: any JourneyStore
    ) async throws -> PlanReport {
        guard let counting = store as? any WaitingInstanceCounting else { throw PlanUnavailable() }
        let waiting = try await counting.waitingInstances()
        var versions = archive ?? []
        if archive == nil { versions = try await store.journeyVersions() }
        switch JourneyCompiler.compileForService(directory: directory) {
        case .success(let (catalog, warnings)):
            let migrations = DeploymentPlan.unknownMigrationSteps(live: live, candidate: catalog.journeys).map {
                JourneyDiagnostic(
                    file: $0.at.file, line: $0.at.line, column: $0.at.column, severity: "warning", message: $0.message,
                    id: "E083-unknown-live-step")
            }
            return PlanReport(
                plan: DeploymentPlan(live: live, candidate: catalog.journeys, waiting: waiting, archive: versions), diagnostics: warnings + migrations
            )
        case .failure(let refused):
            let reasons = refused.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.severity): \($0.message)" }
            return PlanReport(plan: DeploymentPlan(live: live, candidate: nil, waiting: waiting, reasons: reasons), diagnostics: refused.diagnostics)
        }
    }

    /// The journeys a server on `store` runs now: its current revision, compiled. A store with no
    /// revision yet (a database from before revisions) falls back to the newest deployed version of
    /// each journey; so does one whose current revision no longer checks with this build, and
    /// `fallback` then says why.
    public static func liveJourneys(in store: any JourneyStore) async throws -> (journeys: [JourneyProgram], fallback: String?) {
        guard let number = try await store.currentRevisionNumber(), let revision = try await store.revision(number) else {
            return (latestVersions(try await store.journeyVersions()), nil)
        }
        do {
            return (try compile(revision).0.journeys, nil)
        } catch let refused as Refused {
            let first = refused.diagnostics.first.map { ": \($0.file):\($0.line): \($0.message)" } ?? ""
            return (
                latestVersions(try await store.journeyVersions()),
                "the current revision \(number) does not check with this build\(first); the newest version of each journey ever deployed stands for the live set"
            )
        }
    }

    /// The newest deployed version of each journey among `versions` (ordered by name, then
    /// deployment time, as the stores return them).
    public static func latestVersions(_ versions: [JourneyProgram]) -> [JourneyProgram] {
        var latest: [String: JourneyProgram] = [:]
        for program in versions { latest[program.name] = program }
        return latest.keys.sorted().map { latest[$0]! }
    }
}

extension DeploymentPlan.PlannedMigration {
    /// `{"action": "move", "to_version", "to_step", "deadline": "kept" | "restarted", "line"}`.
    var apiValue: Value {
        .object([
            "action": .string(action.rawValue), "to_version": toVersion.map(Value.string) ?? .null,
            "to_step": toStep.map(Value.string) ?? .null,
            "deadline": keepDeadline.map { .string($0 ? "kept" : "restarted") } ?? .null,
            "line": line.map { .number(Double($0)) } ?? .null,
        ])
    }
}

extension DeploymentPlan {
    /// The plan as the API returns it (`docs/openapi.yaml`, `ReloadPlan`).
    public var apiValue: Value {
        .object([
            "refused": .bool(refused),
            "reasons": .list(reasons.map(Value.string)),
            "journeys": .list(
                journeys.map { j in
                    .object([
                        "name": .string(j.name), "status": .string(j.status.rawValue),
                        "live_version": j.liveVersion.map(Value.string) ?? .null,
                        "candidate_version": j.candidateVersion.map(Value.string) ?? .null,
                        "settings": .list(j.settings.map(Value.string)),
                        "steps": .list(
                            j.steps.map {
                                .object([
                                    "step": .string($0.step), "change": .string($0.change.rawValue), "kind": .string($0.kind),
                                    "detail": .string($0.detail),
                                ])
                            }),
                        "waiting": .list(
                            j.waiting.map {
                                .object([
                                    "version": .string($0.version), "step": .string($0.step), "count": .number(Double($0.count)),
                                    "live": .bool($0.live), "outcome": .string($0.outcome),
                                    "migration": $0.migration.map(\.apiValue) ?? .null,
                                ])
                            }),
                        "waiting_total": .number(Double(j.waitingTotal)),
                    ])
                }),
        ])
    }
}
