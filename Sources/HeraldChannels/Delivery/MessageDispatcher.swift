public import JourneyLanguage
public import Logging

/// The entry point of delivery: routes each message to its channel's adapter under that
/// channel's rate limit and concurrency bound, and retries transient failures by the
/// ``RetryPolicy`` until the message is delivered or dead-lettered.
///
/// ```swift
/// let configuration = try ChannelConfiguration.load(file: "herald.channels.yaml")
/// let dispatcher = MessageDispatcher(configuration: configuration)
/// let outcome = await dispatcher.attempt(message)     // one attempt; the caller schedules retries
/// let report = try await dispatcher.deliver(message)  // or retry in process until done
/// ```
public final class MessageDispatcher: Sendable {
    private struct Route: Sendable {
        let channel: any DeliveryChannel
        let concurrency: ConcurrencyLimit
        let maxConcurrency: Int
        let rate: RateLimiter?
    }

    public let retryPolicy: RetryPolicy
    private let routes: [Channel: Route]
    private let transport: CurlTransport?
    private let random: @Sendable () -> Double
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger

    /// Builds the adapters the configuration names over one shared transport.
    /// - Parameters:
    ///   - transport: the libcurl transport to share; a new one when nil.
    ///   - random: the jitter source, a number in `0 ..< 1` (fixed in tests).
    public convenience init(
        configuration: ChannelConfiguration,
        transport: CurlTransport? = nil,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger = Logger(label: "herald.channels")
    ) {
        let needsNetwork: Bool = {
            if case .local = configuration.email.transport, case .local = configuration.sms.transport, configuration.webhook.transport == .local {
                return false
            }
            return true
        }()
        let transport = transport ?? (needsNetwork ? CurlTransport() : nil)
        let local = LocalOutboxChannel(
            directory: configuration.outboxDirectory,
            email: configuration.email.settings,
            smsFrom: configuration.sms.from,
            webhookURL: configuration.webhook.endpoint.url,
            webhookSecrets: configuration.webhook.endpoint.secrets
        )
        var channels: [Channel: any DeliveryChannel] = [:]
        switch configuration.email.transport {
        case .local: channels[.email] = local
        case .smtp(let server): channels[.email] = SMTPEmailChannel(settings: configuration.email.settings, server: server, transport: transport!)
        case .http(let provider):
            channels[.email] = HTTPEmailChannel(settings: configuration.email.settings, provider: provider, transport: transport!)
        }
        switch configuration.sms.transport {
        case .local: channels[.sms] = local
        case .http(let provider): channels[.sms] = HTTPSMSChannel(provider: provider, transport: transport!)
        }
        switch configuration.webhook.transport {
        case .local: channels[.webhook] = local
        case .http: channels[.webhook] = WebhookChannel(endpoint: configuration.webhook.endpoint, transport: transport!)
        }
        self.init(
            channels: channels,
            limits: [.email: configuration.email.limits, .sms: configuration.sms.limits, .webhook: configuration.webhook.limits],
            retryPolicy: configuration.retry,
            transport: transport,
            random: random,
            logger: logger
        )
    }

    /// Dispatches to the given adapters (yours, or test doubles).
    /// - Parameters:
    ///   - sleep: waits between retries (`Task.sleep` unless a test replaces it).
    public init(
        channels: [Channel: any DeliveryChannel],
        limits: [Channel: ChannelLimits] = [:],
        retryPolicy: RetryPolicy = RetryPolicy(),
        transport: CurlTransport? = nil,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        logger: Logger = Logger(label: "herald.channels")
    ) {
        var routes: [Channel: Route] = [:]
        for (kind, channel) in channels {
            let limit = limits[kind] ?? ChannelLimits()
            routes[kind] = Route(
                channel: channel, concurrency: ConcurrencyLimit(limit.maxConcurrency), maxConcurrency: max(1, limit.maxConcurrency),
                rate: limit.rateLimit.map(RateLimiter.init))
        }
        self.routes = routes
        self.retryPolicy = retryPolicy
        self.transport = transport
        self.random = random
        self.sleep = sleep
        self.logger = logger
    }

    /// The channel's bound on messages in flight (1 for a channel that is not configured).
    func maxConcurrency(of channel: Channel) -> Int { routes[channel]?.maxConcurrency ?? 1 }

    /// The webhook channel's configured endpoint, which messages without their own URL go to.
    var configuredWebhookURL: String? {
        switch routes[.webhook]?.channel {
        case let webhook as WebhookChannel: webhook.endpoint.url
        case let local as LocalOutboxChannel: local.webhookURL
        default: nil
        }
    }

    /// One attempt through the message's channel, after waiting for the channel's rate limit
    /// and a free slot under its concurrency bound.
    public func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome {
        guard let route = routes[message.channel] else {
            return .permanent(reason: "no \(message.channel) channel is configured")
        }
        if let rate = route.rate {
            do {
                try await rate.acquire()
            } catch {
                return .transient(reason: "cancelled while waiting for the rate limit", retryAfter: nil)
            }
        }
        let outcome = await route.concurrency.withPermit {
            await route.channel.attempt(message)
        }
        logger.debug(
            "delivery attempt",
            metadata: ["key": "\(message.idempotencyKey)", "channel": "\(message.channel)", "outcome": "\(outcome)"])
        return outcome
    }

    /// Attempts until the message is delivered or dead-lettered, sleeping the policy's backoff
    /// between attempts.
    /// - Throws: `CancellationError` when the task is cancelled while waiting to retry.
    public func deliver(_ message: OutgoingMessage) async throws -> DeliveryReport {
        var attempts: [DeliveryOutcome] = []
        while true {
            let outcome = await attempt(message)
            attempts.append(outcome)
            switch retryPolicy.decision(after: outcome, attempt: attempts.count, randomFraction: random()) {
            case .delivered(let id):
                return DeliveryReport(result: .delivered(providerMessageID: id), attempts: attempts)
            case .deadLetter(let reason):
                logger.warning(
                    "dead-lettered", metadata: ["key": "\(message.idempotencyKey)", "channel": "\(message.channel)", "reason": "\(reason)"])
                return DeliveryReport(result: .deadLettered(reason: reason), attempts: attempts)
            case .retry(let delay):
                try await sleep(delay)
            }
        }
    }

    /// Stops the transport this dispatcher created or was given; in-flight transfers fail.
    public func shutdown() {
        transport?.shutdown()
    }
}
