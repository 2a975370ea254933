import Foundation
import HeraldChannels
import HeraldSQLite
public import Hummingbird
public import JourneyEngine
public import Logging
import NIOCore
import ServiceLifecycle

/// `herald serve`: the orchestrator as a service. Opens the SQLite store in the data directory,
/// deploys the journeys, and runs the HTTP API with the processors, the timer scheduler, the
/// delivery worker and housekeeping as services of one service group that stops gracefully on
/// SIGTERM/SIGINT (the HTTP server first, then the workers finish their in-flight transactions).
///
/// ```swift
/// let server = try await HeraldServer.start(configuration: config, toolchain: toolchain, logger: logger)
/// try await server.application.runService()
/// ```
public struct HeraldServer: Sendable {
    public typealias App = Application<RouterResponder<BasicRequestContext>>

    public let application: App
    public let store: any JourneyStore
    public let registry: JourneyRegistry
    public let metrics: ServiceMetrics

    /// Builds everything and deploys the journeys. Throws when the journeys do not check (the
    /// diagnostics are in the error) or the data directory is in use by another process.
    public static func make(
        configuration: ServiceConfiguration, toolchain: any JourneyToolchain, delivery: (any MessageDelivery)? = nil,
        store: (any JourneyStore)? = nil, logger: Logger, clock: ServiceClock = .system,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> HeraldServer {
        try configuration.validate()
        guard !configuration.apiKeys.isEmpty else {
            throw ServiceConfiguration.Invalid(
                description: "no API key is configured: set HERALD_API_KEY or api_keys in the configuration file")
        }
        let opened = try await OpenedStore.open(
            configuration, given: store, environment: ProcessInfo.processInfo.environment, logger: logger)
        let store = opened.store
        let owner = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
        let ownership = ShardOwnershipCell(
            try await store.acquireShards(owner: owner, leaseDuration: opened.leaseDuration, now: clock.now()))

        let timers = NearTimers(horizon: configuration.timers.horizonSeconds, capacity: configuration.timers.maxInMemory)
        let registry = JourneyRegistry(
            directory: configuration.journeys, toolchain: toolchain, store: store, clock: clock,
            onResume: { timers.signal.notify() })  // the scheduler wakes the customers holding its work
        try await registry.reload()

        let metrics = ServiceMetrics()
        let deliverySignal = Signal()
        let completions = CompletionRegistry()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let processing = ProcessingService(
            store: store, registry: registry, ownership: ownership, timers: timers, deliverySignal: deliverySignal,
            completions: completions, metrics: metrics, clock: clock, logger: logger,
            options: .init(
                partitions: configuration.processing.partitions > 0 ? configuration.processing.partitions : max(2, cores * 2),
                batchSize: configuration.processing.batchSize, queueCapacity: configuration.processing.batchSize * 8))
        let scheduler = TimerScheduler(
            store: store, timers: timers, processing: processing, registry: registry, ownership: ownership, clock: clock,
            logger: logger)
        var retry = RetrySchedule(
            base: configuration.delivery.retryBaseSeconds, cap: configuration.delivery.retryCapSeconds,
            maxAttempts: configuration.delivery.maxAttempts)
        let delivery = try delivery ?? makeChannelsDelivery(configuration, logger: logger)
        if let channels = delivery as? ChannelsDelivery, configuration.delivery.channelsConfig != nil {
            retry = channels.retrySchedule  // the channel file's `retry:` section wins
        }
        let deliveryWorker = DeliveryWorker(
            store: store, delivery: delivery, retry: retry,
            ownership: ownership, signal: deliverySignal, inboxSignal: processing.inboxSignal, metrics: metrics,
            clock: clock, logger: logger, concurrency: configuration.delivery.concurrency,
            perDestination: configuration.delivery.perDestinationConcurrency, lease: configuration.delivery.leaseSeconds)
        let housekeeping = HousekeepingService(
            store: store, registry: registry, timers: timers, metrics: metrics, retention: configuration.retention, clock: clock, logger: logger)
        let readiness = Readiness()

        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(APIErrorMiddleware())
        router.middlewares.add(BearerAuthMiddleware(keys: configuration.apiKeys))
        HeraldAPI(
            store: store, registry: registry, inboxSignal: processing.inboxSignal, completions: completions,
            metrics: metrics, timers: timers, limits: configuration.limits, clock: clock, readiness: readiness
        ).register(on: router)

        // The application's service group stops in reverse order: the HTTP server first, then
        // delivery, timers and processing finish what they are doing.
        var services: [any Service] = [
            processing, scheduler, deliveryWorker, housekeeping, ReloadOnHangup(registry: registry, logger: logger),
            ReadinessService(readiness: readiness),
        ]
        if let cluster = opened.cluster {
            // First in the group, so it stops last: shards are given back after in-flight work ends.
            services.insert(
                ShardLeaseService(
                    store: store, owner: owner, cell: ownership, leaseDuration: opened.leaseDuration,
                    renewInterval: cluster.renewInterval, clock: clock, logger: logger,
                    onGain: { _ in
                        timers.rescan()
                        processing.rescanInbox()
                        deliverySignal.notify()
                    },
                    release: { try await cluster.release(owner) }), at: 0)
        }
        let application = Application(
            router: router,
            server: HTTPServerSettings.server(configuration.limits, logger: logger),
            configuration: HTTPServerSettings.application(configuration, logger: logger),
            services: services,
            onServerRunning: { channel in
                readiness.set(true)
                let port = channel.localAddress?.port ?? configuration.port
                logger.notice("herald is listening", metadata: ["address": "http://\(configuration.host):\(port)"])
                await onListening(port)
            },
            logger: logger)
        return HeraldServer(application: application, store: store, registry: registry, metrics: metrics)
    }

    /// HeraldChannels as configured: the channel file when one is given, else every channel to the
    /// local development outbox folder (so `make run` needs no provider).
    static func makeChannelsDelivery(_ configuration: ServiceConfiguration, logger: Logger) throws -> ChannelsDelivery {
        let channels: ChannelConfiguration
        if let file = configuration.delivery.channelsConfig {
            do {
                channels = try ChannelConfiguration.load(file: file)
            } catch {
                throw ServiceConfiguration.Invalid(description: "\(error)")
            }
        } else {
            channels = .local(directory: configuration.delivery.outboxFolder)
        }
        return ChannelsDelivery(
            dispatcher: MessageDispatcher(configuration: channels, logger: logger),
            renderer: MessageRenderer(journeysDirectory: configuration.journeys))
    }

    static func openSQLite(_ configuration: ServiceConfiguration) throws -> SQLiteJourneyStore {
        let directory = URL(fileURLWithPath: configuration.data, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try DataDirectoryLock.acquire(directory.appendingPathComponent("herald.lock").path)
        return try SQLiteJourneyStore(
            SQLiteConfiguration(
                path: directory.appendingPathComponent("herald.sqlite").path,
                durability: configuration.storage.durability, maxGroupSize: configuration.storage.maxGroupSize))
    }
}

/// Marks the service not ready as soon as a graceful shutdown begins, so load balancers stop
/// sending traffic while in-flight work finishes.
struct ReadinessService: Service {
    let readiness: Readiness
    func run() async throws {
        try? await gracefulShutdown()
        readiness.set(false)
    }
}

/// One `herald serve` per data directory: an exclusive `flock` held for the life of the process
/// (released by the kernel even after `kill -9`).
enum DataDirectoryLock {
    struct Busy: Error, CustomStringConvertible {
        var path: String
        var description: String { "another herald process is using \(path)" }
    }

    nonisolated(unsafe) private static var held: [String: Int32] = [:]
    private static let lock = NSLock()

    static func acquire(_ path: String) throws {
        try lock.withLock {
            if held[path] != nil { throw Busy(path: path) }
            let fd = open(path, O_RDWR | O_CREAT, 0o644)
            guard fd >= 0 else { throw Busy(path: path) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                close(fd)
                throw Busy(path: path)
            }
            held[path] = fd
        }
    }

    static func release(_ path: String) {
        lock.withLock {
            if let fd = held.removeValue(forKey: path) {
                flock(fd, LOCK_UN)
                close(fd)
            }
        }
    }
}
