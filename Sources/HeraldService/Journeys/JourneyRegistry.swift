import Foundation
public import JourneyEngine
public import JourneyLanguage
import Synchronization

/// The deployed journeys and the journey engine built from them (the same engine the dry-run runs).
/// Reloading compiles the directory again and swaps the deployment atomically — or refuses with the
/// diagnostics and keeps the running one.
public final class JourneyRegistry: Sendable {
    /// What is running now.
    public struct Deployment: Sendable {
        public var catalog: JourneyCatalog
        public var engine: JourneyEngine
        public var paused: Set<String>
        /// The decided winners of splits with a winner rule (recorded in the store; an input to
        /// the engine, like the paused journeys).
        public var winners: [SplitWinner] = []
        /// Every version ever deployed (in-flight instances run on theirs).
        public var archive: [JourneyProgram]
        public var warnings: [JourneyDiagnostic]
        public var deployedAt: Double
        /// The stored revision this deployment runs (see ``JourneyRevision``).
        public var revision: JourneyRevision?
    }

    /// What a reload changed.
    public struct ReloadReport: Sendable, Codable {
        public struct Change: Sendable, Codable {
            public var name: String
            public var version: String
            /// `added`, `changed`, `unchanged` or `removed`.
            public var status: String
        }
        public var journeys: [Change]
        public var warnings: [JourneyDiagnostic]
        /// The revision now deployed (without its files).
        public var revision: JourneyRevision?
        /// Whether the deployment recorded a new revision (`false`: same content as the current one).
        public var revisionCreated: Bool
    }

    /// A reload was refused: the running deployment stays.
    public struct Refused: Error, Sendable {
        public var diagnostics: [JourneyDiagnostic]
    }

    public struct UnknownJourney: Error, Sendable {
        public var name: String
    }

    /// No stored revision has this number.
    public struct UnknownRevision: Error, Sendable {
        public var number: Int64
    }

    let directory: String
    let options: JourneyEngine.Options
    let store: any JourneyStore
    let clock: ServiceClock
    private let deployment = Mutex<Deployment?>(nil)
    /// Counts the deployments that resumed a paused journey (the timer scheduler then wakes the
    /// customers that hold its work).
    private let resumes = Atomic<Int>(0)
    /// Called after each such deployment (the server wakes the timer scheduler with it).
    private let onResume: @Sendable () -> Void
    /// Called with each deployed revision's files and number (the server hands them to the
    /// delivery, which renders that revision's message templates).
    private let onDeploy: @Sendable ([RevisionFile], Int64) -> Void
    /// Serialises reloads and pauses (they read, compile and swap).
    private let reloading = AsyncLock()

    public init(
        directory: String, store: any JourneyStore, clock: ServiceClock, options: JourneyEngine.Options = JourneyEngine.Options(),
        onResume: @escaping @Sendable () -> Void = {}, onDeploy: @escaping @Sendable ([RevisionFile], Int64) -> Void = { _, _ in }
    ) {
        self.onResume = onResume
        self.onDeploy = onDeploy
        self.directory = directory
        self.options = options
        self.store = store
        self.clock = clock
    }

    public var current: Deployment? { deployment.withLock { $0 } }

    /// How many times a paused journey was resumed since start (on this node).
    public var resumeCount: Int { resumes.load(ordering: .relaxed) }

    /// Installs a deployment; counts a resume when a journey that was paused no longer is.
    private func install(_ new: Deployment) {
        let previous = deployment.withLock { d -> Set<String>? in
            defer { d = new }
            return d?.paused
        }
        if let previous, !previous.subtracting(new.paused).isEmpty {
            resumes.add(1, ordering: .relaxed)
            onResume()
        }
    }

    /// Compiles the directory and deploys it (at start, on `POST /v1/journeys/reload` and SIGHUP),
    /// recording a new revision unless the content equals the current revision's.
    ///
    /// - Parameters:
    ///   - note: kept with the revision (the reload request's `note`).
    ///   - source: how it came about: `startup`, `reload` (the API) or `sighup`.
    /// - Throws: ``Refused`` with the diagnostics when the directory does not check.
    @discardableResult
    public func reload(note: String? = nil, source: String = "reload") async throws -> ReloadReport {
        try await reloading.run {
            let files = JourneySetFiles.read(directory: directory)
            let (catalog, warnings) = try JourneyCompiler.compileForService(directory: directory).get()
            return try await deploy(catalog: catalog, warnings: warnings, draft: RevisionDraft(files: files, note: note, source: source))
        }
    }

    /// Deploys a stored revision's files as a new revision (a rollback). The journeys directory is
    /// not touched: the next reload from it deploys what it holds.
    ///
    /// - Throws: ``UnknownRevision``; ``Refused`` when the files no longer check (against this
    ///   build of Herald), with the diagnostics at `revision N/<file>`.
    @discardableResult
    public func restore(_ number: Int64, note: String? = nil) async throws -> ReloadReport {
        try await reloading.run {
            guard let revision = try await store.revision(number) else { throw UnknownRevision(number: number) }
            let (catalog, warnings) = try Self.compile(revision)
            return try await deploy(
                catalog: catalog, warnings: warnings,
                draft: RevisionDraft(files: revision.files, note: note, source: "restore", restoredFrom: number))
        }
    }

    /// Deploys the store's current revision when it is newer than the one running here: another
    /// node of a cluster reloaded or restored. Called periodically by housekeeping. A revision that
    /// does not check here is logged by the caller and the running deployment stays.
    ///
    /// - Returns: the revision deployed, or `nil` when this node already runs the current one.
    @discardableResult
    public func refreshRevision() async throws -> JourneyRevision? {
        try await reloading.run {
            guard let current, let number = try await store.currentRevisionNumber(), number > (current.revision?.number ?? 0)
            else { return nil }
            guard let revision = try await store.revision(number) else { return nil }
            let (catalog, warnings) = try Self.compile(revision)
            try await install(catalog: catalog, warnings: warnings, revision: revision.summary, now: clock.now())
            onDeploy(revision.files, revision.number)
            return revision.summary
        }
    }

    /// Compiles a stored revision's files (written to a scratch directory, removed afterwards).
    static func compile(_ revision: JourneyRevision) throws -> (JourneyCatalog, warnings: [JourneyDiagnostic]) {
        let scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("herald-revision-\(revision.number)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try JourneySetFiles.write(revision.files, to: scratch)
        func located(_ diagnostic: JourneyDiagnostic) -> JourneyDiagnostic {
            var copy = diagnostic
            copy.file = copy.file.replacingOccurrences(of: scratch, with: "revision \(revision.number)")
            return copy
        }
        switch JourneyCompiler.compileForService(directory: scratch) {
        case .success(let (catalog, warnings)): return (catalog, warnings.map(located))
        case .failure(let refused): throw Refused(diagnostics: refused.diagnostics.map(located))
        }
    }

    /// Records the revision, then installs the catalog: the report of what changed.
    private func deploy(catalog: JourneyCatalog, warnings: [JourneyDiagnostic], draft: RevisionDraft) async throws -> ReloadReport {
        let now = clock.now()
        let previous = current?.catalog
        let recording = try await store.recordRevision(draft, at: now)
        try await install(catalog: catalog, warnings: warnings, revision: recording.revision, now: now)
        // The files deployed are the draft's (when nothing new was recorded, the current
        // revision holds the same content).
        onDeploy(draft.files, recording.revision.number)
        var changes: [ReloadReport.Change] = []
        for journey in catalog.journeys {
            let old = previous?.journey(named: journey.name)
            let status = old == nil ? "added" : old!.version == journey.version ? "unchanged" : "changed"
            changes.append(.init(name: journey.name, version: journey.version, status: status))
        }
        for old in previous?.journeys ?? [] where catalog.journey(named: old.name) == nil {
            changes.append(.init(name: old.name, version: old.version, status: "removed"))
        }
        return ReloadReport(journeys: changes, warnings: warnings, revision: recording.revision, revisionCreated: recording.created)
    }

    private func install(catalog: JourneyCatalog, warnings: [JourneyDiagnostic], revision: JourneyRevision, now: Double) async throws {
        try await store.saveJourneyVersions(catalog.journeys, deployedAt: now)
        let archive = try await store.journeyVersions()
        let paused = try await store.pausedJourneys()
        let winners = try await store.splitWinners()
        let engine = makeEngine(catalog: catalog, archive: archive, paused: paused, winners: winners)
        install(
            Deployment(
                catalog: catalog, engine: engine, paused: paused, winners: winners, archive: archive, warnings: warnings, deployedAt: now,
                revision: revision))
    }

    /// The engine for a deployment. Every archived version stays held, so in-flight instances keep
    /// their program; paused journeys take no new entries and their instances hold.
    /// Decided split winners send later entrants to the winning variant.
    private func makeEngine(catalog: JourneyCatalog, archive: [JourneyProgram], paused: Set<String>, winners: [SplitWinner]) -> JourneyEngine {
        let current = Set(catalog.journeys.map { "\($0.name)@\($0.version)" })
        let retained = archive.filter { !current.contains("\($0.name)@\($0.version)") }
        var options = options
        options.winners = winners
        return JourneyEngine(catalog: catalog, retainedPrograms: retained, paused: paused, options: options)
    }

    /// Pauses (no new entries, waiting instances hold) or resumes a deployed journey.
    public func setPaused(_ name: String, _ paused: Bool) async throws {
        try await reloading.run {
            guard var current = current, current.catalog.journey(named: name) != nil else { throw UnknownJourney(name: name) }
            try await store.setJourneyPaused(name, paused: paused)
            if paused { current.paused.insert(name) } else { current.paused.remove(name) }
            current.engine = makeEngine(catalog: current.catalog, archive: current.archive, paused: current.paused, winners: current.winners)
            install(current)
        }
    }

    /// Reads the pause switches and the decided split winners from the store and redeploys when
    /// they changed (another node of a cluster paused or resumed a journey, or recorded a winner).
    /// Called periodically by housekeeping.
    public func refreshControls() async throws {
        try await reloading.run {
            guard var current = current else { return }
            let paused = try await store.pausedJourneys()
            let winners = try await store.splitWinners()
            guard paused != current.paused || winners != current.winners else { return }
            current.paused = paused
            current.winners = winners
            current.engine = makeEngine(catalog: current.catalog, archive: current.archive, paused: paused, winners: winners)
            install(current)
        }
    }

    /// Records a decided split winner in the store (the arbiter: when another node recorded one
    /// first, that one stays) and deploys the recorded one as the engine's input; returns it.
    @discardableResult
    public func adoptWinner(_ winner: SplitWinner) async throws -> SplitWinner {
        try await reloading.run {
            let recorded = try await store.recordSplitWinner(winner)
            let winners = try await store.splitWinners()
            if var current = current, winners != current.winners {
                current.winners = winners
                current.engine = makeEngine(catalog: current.catalog, archive: current.archive, paused: current.paused, winners: winners)
                install(current)
            }
            return recorded
        }
    }
}

/// A mutual-exclusion lock for async code (FIFO).
final class AsyncLock: Sendable {
    private let state = Mutex<(locked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { s -> Bool in
                if !s.locked {
                    s.locked = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.locked = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
