import Foundation
import HeraldChannels
public import Hummingbird
public import JourneyEngine
public import Logging
import NIOCore
import ServiceLifecycle

/// The orchestrator as a service, assembled from the parts its caller chose: the HTTP API, the
/// processors, the timer scheduler, the delivery worker and housekeeping as services of one
/// service group that stops gracefully on SIGTERM/SIGINT (the HTTP server first, then the workers
/// finish their in-flight transactions). The caller opens the store and picks the channels
/// (`herald serve` does it from the configuration: see HeraldCLI's `ServeAssembly`).
///
/// ```swift
/// let store = try SQLiteJourneyStore(SQLiteConfiguration(path: "data/herald.sqlite"))
/// let server = try await HeraldServer.make(
///     configuration: configuration, store: store, delivery: channelsDelivery, logger: logger)
/// try await server.application.runService()
/// ```
public struct HeraldServer: Sendable {
    public typealias App = Application<RouterResponder<BasicRequestContext>>

    public let application: App
    public let store: any JourneyStore
    public let registry: JourneyRegistry
    public let metrics: ServiceMetrics
    /// How many migration sweeps have reached the last customer since start (a deployment whose
    /// journeys declare a migration starts one; see docs/changing-journeys.md).
    public var completedMigrationSweeps: Int { migrationSweeps() }
    let migrationSweeps: @Sendable () -> Int

    /// Builds everything and deploys the journeys. Throws when the configuration is invalid or
    /// the journeys do not check (``JourneyRegistry/Refused``, with the diagnostics).
    public static func make(
        configuration: ServiceConfiguration, store: any JourneyStore, leasing: ShardLeasing = .singleNode,
        delivery: any MessageDelivery, logger: Logger, clock: ServiceClock = .system,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> HeraldServer {
        try configuration.validate()
        guard !configuration.apiKeys.isEmpty else {
            throw ServiceConfiguration.Invalid(
                description: "no API key is configured: set HERALD_API_KEY or api_keys in the configuration file")
        }
        let owner = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
        let ownership = ShardOwnershipCell(
            try await store.acquireShards(owner: owner, leaseDuration: leasing.leaseDuration, now: clock.now()))

        let timers = NearTimers(horizon: configuration.timers.horizonSeconds, capacity: configuration.timers.maxInMemory)
        let registry = JourneyRegistry(
            directory: configuration.journeys, store: store, clock: clock,
            onResume: { timers.signal.notify() },  // the scheduler wakes the customers holding its work
            onDeploy: { files, revision in delivery.deployed(files, revision: revision) })  // its message templates
        try await registry.reload(source: "startup")

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
        // The provider's Retry-After is honoured however long it is (the service's rule; a
        // `send-test` through HeraldChannels alone caps it at an hour).
        let retry = RetryPolicy(
            maxAttempts: configuration.delivery.maxAttempts, baseDelay: .seconds(configuration.delivery.retryBaseSeconds),
            maxDelay: .seconds(configuration.delivery.retryCapSeconds), maxRetryAfter: .seconds(Int64(Int32.max)))
        let deliveryWorker = DeliveryWorker(
            store: store, delivery: delivery, retry: retry,
            ownership: ownership, signal: deliverySignal, inboxSignal: processing.inboxSignal, metrics: metrics,
            clock: clock, logger: logger, concurrency: configuration.delivery.concurrency,
            perDestination: configuration.delivery.perDestinationConcurrency, lease: configuration.delivery.leaseSeconds)
        let housekeeping = HousekeepingService(
            store: store, registry: registry, timers: timers, metrics: metrics, retention: configuration.retention, clock: clock, logger: logger)
        let migrationSweep = MigrationSweep(
            store: store, registry: registry, ownership: ownership, clock: clock, logger: logger,
            dispatch: { await processing.dispatch($0) })
        let readiness = Readiness()

        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(APIErrorMiddleware())
        router.middlewares.add(BearerAuthMiddleware(keys: configuration.apiKeys, ownAuthPrefixes: ["/console", "/u", "/c", "/v1/providers"]))
        let deadLetterOperations = DeadLetterOperations(store: store, clock: clock, deliverySignal: deliverySignal)
        HeraldAPI(
            store: store, registry: registry, inboxSignal: processing.inboxSignal, completions: completions,
            metrics: metrics, timers: timers, limits: configuration.limits, clock: clock, readiness: readiness,
            deadLetterOperations: deadLetterOperations, engagement: configuration.engagement
        ).register(on: router)
        try HeraldConsole(
            store: store, registry: registry, apiKeys: configuration.apiKeys, clock: clock, logger: logger,
            deadLetterOperations: deadLetterOperations
        ).register(on: router)

        // The application's service group stops in reverse order: the HTTP server first, then
        // delivery, timers and processing finish what they are doing.
        var services: [any Service] = [
            processing, scheduler, deliveryWorker, housekeeping, migrationSweep, ReloadOnHangup(registry: registry, logger: logger),
            ReadinessService(readiness: readiness),
        ]
        if let renewal = leasing.renewal {
            // First in the group, so it stops last: shards are given back after in-flight work ends.
            services.insert(
                ShardLeaseService(
                    store: store, owner: owner, cell: ownership, leaseDuration: leasing.leaseDuration,
                    renewInterval: renewal.interval, clock: clock, logger: logger,
                    onGain: { _ in
                        timers.rescan()
                        processing.rescanInbox()
                        deliverySignal.notify()
                    },
                    release: { try await renewal.release(owner) }), at: 0)
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
        return HeraldServer(
            application: application, store: store, registry: registry, metrics: metrics,
            migrationSweeps: { migrationSweep.snapshot.completed })
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
