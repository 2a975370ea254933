import Foundation
import HeraldService
import HeraldTestSupport
import HummingbirdTesting
import JourneyEngine
import JourneyLanguage
import Logging
import NIOCore
import Synchronization
import Testing

/// A journeys toolchain the test controls: the probe engine, a catalog with the journeys it names,
/// and a switch that makes the next compile fail (to test refused reloads).
final class ScriptedToolchain: JourneyToolchain, Sendable {
    let state = Mutex<(journeys: [JourneyProgram], failure: [JourneyDiagnostic]?)>(([], nil))

    init(journeys: [String] = ["welcome"], version: String = "v1") {
        state.withLock { $0.journeys = journeys.map { Self.journey($0, version: version) } }
    }

    static func journey(_ name: String, version: String) -> JourneyProgram {
        let location = SourceLocation(file: "\(name).journey", line: 1, column: 1)
        return JourneyProgram(
            name: name, title: name, version: version, location: location, stage: .awareness, priority: 50,
            trigger: .event(name: "signed_up", filter: nil), entry: .oneAtATime, exits: [], goal: nil, timeZone: nil,
            caps: [], states: [JourneyState(id: 0, label: "done", stage: nil, location: location, kind: .exit(.completed))],
            initial: 0)
    }

    func compile(directory: String) -> JourneyCompilation {
        state.withLock { s in
            if let failure = s.failure { return .failed(failure) }
            return .compiled(
                JourneyCatalog(journeys: s.journeys, segments: [:], policy: DeliveryPolicyProgram(), schema: Schema(), messages: [:]),
                warnings: [])
        }
    }

    func makeEngine(catalog: JourneyCatalog, archive: [JourneyProgram], paused: Set<String>) -> any CustomerEngine {
        ProbeToolchain().makeEngine(catalog: catalog, archive: archive, paused: paused)
    }
}

/// Fails permanently for customers whose id starts with `dead-`, transiently once for `flaky-`.
final class ScriptedDelivery: MessageDelivery, Sendable {
    let flaky = Mutex<Set<String>>([])

    func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryAttempt {
        if message.customerID.hasPrefix("dead-") { return .permanent(reason: "HTTP 410 Gone from the test receiver") }
        if message.customerID.hasPrefix("flaky-"), flaky.withLock({ $0.insert(message.id).inserted }) {
            return .transient(reason: "HTTP 503", retryAfter: 0)
        }
        return .delivered(detail: "ok")
    }
}

enum TestServer {
    static let apiKey = "test-key-0123"

    /// Runs a full server (SQLite in a temporary directory, all services) on a free port.
    static func withServer<T: Sendable>(
        toolchain: ScriptedToolchain = ScriptedToolchain(),
        configure: (inout ServiceConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (_ port: Int, _ server: HeraldServer) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configuration.apiKeys = [apiKey]
        configuration.data = directory.appendingPathComponent("data").path
        configuration.journeys = directory.path
        configuration.delivery.outboxFolder = directory.appendingPathComponent("outbox").path
        configuration.delivery.retryBaseSeconds = 0.05
        configuration.delivery.retryCapSeconds = 0.1
        // PUT/DELETE answer 200/204 once processed, 202 after this wait: the tests expect 200/204,
        // so the wait is the margin a loaded 2-core machine needs, not the 5 s default.
        configuration.limits.syncWaitSeconds = 60
        configure(&configuration)
        var logger = Logger(label: "herald-test")
        logger.logLevel = .warning
        let server = try await HeraldServer.make(
            configuration: configuration, toolchain: toolchain, delivery: ScriptedDelivery(), logger: logger)
        return try await server.application.test(.live) { client in
            try await body(client.port!, server)
        }
    }

    /// The example journeys (the repository's `Journeys/`).
    static var exampleJourneys: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Journeys").path
    }

    /// A full server on the real journeys toolchain, on a clock the test moves (`clock`), with
    /// delivery that never completes (messages stay in the outbox to be read). `settle` waits until
    /// the inbox is empty and no timer is due at the clock's current instant.
    static func withClockedServer<T: Sendable>(
        journeys: String = exampleJourneys, clock: Locked<Double>,
        _ body:
            @escaping @Sendable (_ port: Int, _ server: HeraldServer, _ settle: @escaping @Sendable () async throws -> Void)
            async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-clocked-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configuration.apiKeys = [apiKey]
        configuration.data = directory.appendingPathComponent("data").path
        configuration.journeys = journeys
        configuration.timers.horizonSeconds = 0.2  // re-read the timer index often: the clock jumps
        configuration.limits.syncWaitSeconds = 60  // PUT answers 200 once processed (see withServer)
        var logger = Logger(label: "herald-test")
        logger.logLevel = .warning
        let server = try await HeraldServer.make(
            configuration: configuration, toolchain: JourneysToolchain(), delivery: NeverDelivers(), logger: logger,
            clock: ServiceClock { clock.withLock { $0 } })
        let store = server.store
        let settle: @Sendable () async throws -> Void = {
            let now = clock.withLock { $0 }
            let idle = try await eventually(timeout: 60) {
                let s = try await store.statistics(now: now)
                return s.pendingInbox == 0 && s.timersDue == 0
            }
            #expect(idle, "the service caught up at \(now)")
        }
        return try await server.application.test(.live) { client in
            try await body(client.port!, server, settle)
        }
    }

    /// Polls until `condition` holds (or fails the wait after `timeout` seconds). The time-out is
    /// generous for a loaded machine; the wait ends as soon as the condition holds.
    static func eventually(
        timeout: Double = 60, _ condition: @Sendable () async throws -> Bool
    ) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(30))
        }
        return false
    }
}
