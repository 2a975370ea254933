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
        /// Every version ever deployed (in-flight instances run on theirs).
        public var archive: [JourneyProgram]
        public var warnings: [JourneyDiagnostic]
        public var deployedAt: Double
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
    }

    /// A reload was refused: the running deployment stays.
    public struct Refused: Error, Sendable {
        public var diagnostics: [JourneyDiagnostic]
    }

    public struct UnknownJourney: Error, Sendable {
        public var name: String
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
    /// Serialises reloads and pauses (they read, compile and swap).
    private let reloading = AsyncLock()

    public init(
        directory: String, store: any JourneyStore, clock: ServiceClock, options: JourneyEngine.Options = JourneyEngine.Options(),
        onResume: @escaping @Sendable () -> Void = {}
    ) {
        self.onResume = onResume
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

    /// Compiles the directory and deploys it (at start, on `POST /v1/journeys/reload` and SIGHUP).
    @discardableResult
    public func reload() async throws -> ReloadReport {
        try await reloading.run {
            let (catalog, warnings) = try JourneyCompiler.compileForService(directory: directory).get()
            let now = clock.now()
            try await store.saveJourneyVersions(catalog.journeys, deployedAt: now)
            let archive = try await store.journeyVersions()
            let paused = try await store.pausedJourneys()
            let previous = current?.catalog
            let engine = makeEngine(catalog: catalog, archive: archive, paused: paused)
            install(
                Deployment(catalog: catalog, engine: engine, paused: paused, archive: archive, warnings: warnings, deployedAt: now))
            var changes: [ReloadReport.Change] = []
            for journey in catalog.journeys {
                let old = previous?.journey(named: journey.name)
                let status = old == nil ? "added" : old!.version == journey.version ? "unchanged" : "changed"
                changes.append(.init(name: journey.name, version: journey.version, status: status))
            }
            for old in previous?.journeys ?? [] where catalog.journey(named: old.name) == nil {
                changes.append(.init(name: old.name, version: old.version, status: "removed"))
            }
            return ReloadReport(journeys: changes, warnings: warnings)
        }
    }

    /// The engine for a deployment. Every archived version stays held, so in-flight instances keep
    /// their program; paused journeys take no new entries and their instances hold.
    private func makeEngine(catalog: JourneyCatalog, archive: [JourneyProgram], paused: Set<String>) -> JourneyEngine {
        let current = Set(catalog.journeys.map { "\($0.name)@\($0.version)" })
        let retained = archive.filter { !current.contains("\($0.name)@\($0.version)") }
        return JourneyEngine(catalog: catalog, retainedPrograms: retained, paused: paused, options: options)
    }

    /// Pauses (no new entries, waiting instances hold) or resumes a deployed journey.
    public func setPaused(_ name: String, _ paused: Bool) async throws {
        try await reloading.run {
            guard var current = current, current.catalog.journey(named: name) != nil else { throw UnknownJourney(name: name) }
            try await store.setJourneyPaused(name, paused: paused)
            if paused { current.paused.insert(name) } else { current.paused.remove(name) }
            current.engine = makeEngine(catalog: current.catalog, archive: current.archive, paused: current.paused)
            install(current)
        }
    }

    /// Reads the pause switches from the store and redeploys when they changed (another node of a
    /// cluster paused or resumed a journey). Called periodically by housekeeping.
    public func refreshControls() async throws {
        try await reloading.run {
            guard var current = current else { return }
            let paused = try await store.pausedJourneys()
            guard paused != current.paused else { return }
            current.paused = paused
            current.engine = makeEngine(catalog: current.catalog, archive: current.archive, paused: paused)
            install(current)
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
