import Foundation
public import JourneyEngine

/// How the service runs: address, API keys, journeys, processing, timers, delivery, limits and
/// retention. `herald serve` reads it from a YAML or JSON file (`--config`), then `HERALD_*`
/// environment variables, then command-line flags, together with the storage settings it uses to
/// open the store (see HeraldCLI's `ServeConfiguration`). Every field has a default, so an empty
/// file (or none) is a valid configuration.
public struct ServiceConfiguration: Sendable, Codable, Equatable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// The journeys directory.
    public var journeys: String = "Journeys"
    /// Bearer API keys accepted on every endpoint except `/healthz`.
    public var apiKeys: [String] = []
    public var processing = Processing()
    public var timers = Timers()
    public var delivery = Delivery()
    public var limits = Limits()
    public var retention = Retention()
    /// Engagement: provider webhook keys, signed unsubscribe and click links (docs/engagement.md).
    public var engagement = Engagement()
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
    public var logLevel: String = "info"

    public init() {}

    public struct Processing: Sendable, Codable, Equatable {
        /// Customer partitions processed concurrently (0: two per core).
        public var partitions: Int = 0
        public var batchSize: Int = 256
        public init() {}
    }

    public struct Timers: Sendable, Codable, Equatable {
        /// How far ahead timers are read into memory.
        public var horizonSeconds: Double = 30
        public var maxInMemory: Int = 100_000
        public init() {}
    }

    public struct Delivery: Sendable, Codable, Equatable {
        /// Attempts in flight at once, in all.
        public var concurrency: Int = 32
        /// Attempts in flight to one destination (an email or SMS provider, a webhook origin) at
        /// most, so a hanging one cannot hold the others' slots; half of `concurrency` when unset.
        public var perDestinationConcurrency: Int?
        public var leaseSeconds: Double = 60
        public var retryBaseSeconds: Double = 1
        public var retryCapSeconds: Double = 300
        public var maxAttempts: Int = 8
        /// The local development channel's folder (used when no channel configuration is given).
        public var outboxFolder: String = "outbox"
        /// A channel configuration file for HeraldChannels (SMTP, HTTP email/SMS, webhooks).
        public var channelsConfig: String?
        public init() {}
    }

    public struct Limits: Sendable, Codable, Equatable {
        public var maxBodyBytes: Int = 1 << 20
        public var maxBatchEvents: Int = 1_000
        /// How long `PUT`/`DELETE /v1/customers/{id}` wait for the change to be processed
        /// before answering 202 instead of 200/204.
        public var syncWaitSeconds: Double = 5
        /// A connection is closed when it sends no complete request head within this many seconds
        /// (of connecting, or of the previous response), or nothing at all for this long while a
        /// body is being read. Idle keep-alive connections close after it too.
        public var idleTimeoutSeconds: Double = 30
        /// A request's body must arrive in full within this many seconds of its head, however
        /// slowly it trickles; otherwise the connection is closed. Also bounds how long the rest
        /// of a refused (413) body is read and discarded before closing.
        public var bodyTimeoutSeconds: Double = 60
        /// Connections open at once; beyond it new ones wait in the listen backlog until one closes.
        /// Lowered at start-up to fit the process's open-file limit.
        public var maxConnections: Int = 4_096
        public init() {}
    }

    public struct Retention: Sendable, Codable, Equatable {
        public var processedEventsDays: Double = 7
        public var deliveredMessagesDays: Double = 7
        public var deadLettersDays: Double = 30
        public var customerLogDays: Double = 30
        public var customerLogLimit: Int = 50
        /// The input log (`herald export`): accepted profile updates, events and erasures.
        public var inputsDays: Double = 30
        /// How often the pruner runs.
        public var intervalSeconds: Double = 3_600
        public init() {}

        public var policy: RetentionPolicy {
            RetentionPolicy(
                processedEvents: processedEventsDays * 86_400, deliveredMessages: deliveredMessagesDays * 86_400,
                deadLetters: deadLettersDays * 86_400, customerLog: customerLogDays * 86_400,
                customerLogLimit: customerLogLimit, inputs: inputsDays * 86_400)
        }
    }

    /// Inbound engagement: the keys that verify providers' webhooks, and the secret that signs the
    /// one-click unsubscribe and click-tracking links the email channel puts in messages.
    public struct Engagement: Sendable, Codable, Equatable {
        /// The service's public base URL (`https://herald.example.com`): where `/u/…` and `/c/…`
        /// links point, and the URL Twilio signs its callbacks with.
        public var publicURL: String?
        /// The secret that signs unsubscribe and tracking links (at least 16 characters); without
        /// it `/u/` and `/c/` answer 404 and no links are made.
        public var linkSecret: String?
        /// Rewrite links in email HTML to signed, counted redirects (`/c/…`). Off by default.
        public var clickTracking: Bool = false
        /// Mailgun's webhook signing key: enables `POST /v1/providers/mailgun`.
        public var mailgunSigningKey: String?
        /// Twilio's auth token: enables `POST /v1/providers/twilio`.
        public var twilioAuthToken: String?
        /// How far a signed webhook's timestamp may be from now.
        public var timestampToleranceSeconds: Double = 300
        public init() {}

        enum CodingKeys: String, CodingKey {
            case publicURL = "public_url"
            case linkSecret = "link_secret"
            case clickTracking = "click_tracking"
            case mailgunSigningKey = "mailgun_signing_key"
            case twilioAuthToken = "twilio_auth_token"
            case timestampToleranceSeconds = "timestamp_tolerance_seconds"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            publicURL = try c.decodeIfPresent(String.self, forKey: .publicURL)
            linkSecret = try c.decodeIfPresent(String.self, forKey: .linkSecret)
            clickTracking = try c.decodeIfPresent(Bool.self, forKey: .clickTracking) ?? false
            mailgunSigningKey = try c.decodeIfPresent(String.self, forKey: .mailgunSigningKey)
            twilioAuthToken = try c.decodeIfPresent(String.self, forKey: .twilioAuthToken)
            timestampToleranceSeconds = try c.decodeIfPresent(Double.self, forKey: .timestampToleranceSeconds) ?? 300
        }

        /// Problems with the section, said plainly.
        func validate() throws {
            if let secret = linkSecret, secret.count < 16 {
                throw Invalid(description: "engagement.link_secret must be at least 16 characters")
            }
            if linkSecret != nil || clickTracking {
                guard let url = publicURL, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw Invalid(
                        description: "engagement.public_url must be set to the service's public http(s) URL when link_secret or click_tracking is set"
                    )
                }
            }
            if clickTracking, linkSecret == nil {
                throw Invalid(description: "engagement.click_tracking needs engagement.link_secret to sign the links")
            }
            if timestampToleranceSeconds <= 0 { throw Invalid(description: "engagement.timestamp_tolerance_seconds must be positive") }
        }
    }

    /// A configuration problem, said plainly.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Applies `HERALD_*` environment variables.
    public mutating func applyEnvironment(_ environment: [String: String]) throws {
        func number<T: LosslessStringConvertible>(_ key: String, _ apply: (T) -> Void) throws {
            guard let text = environment[key] else { return }
            guard let value = T(text) else { throw Invalid(description: "\(key)=\(text) is not a valid number") }
            apply(value)
        }
        if let host = environment["HERALD_HOST"] { self.host = host }
        try number("HERALD_PORT") { self.port = $0 }
        if let journeys = environment["HERALD_JOURNEYS"] { self.journeys = journeys }
        if let keys = environment["HERALD_API_KEY"] {
            apiKeys += keys.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        try number("HERALD_PARTITIONS") { self.processing.partitions = $0 }
        if let folder = environment["HERALD_OUTBOX"] { delivery.outboxFolder = folder }
        if let file = environment["HERALD_CHANNELS_CONFIG"] { delivery.channelsConfig = file }
        if let level = environment["HERALD_LOG_LEVEL"] { logLevel = level }
        try number("HERALD_MAX_BODY_BYTES") { self.limits.maxBodyBytes = $0 }
        try number("HERALD_MAX_BATCH_EVENTS") { self.limits.maxBatchEvents = $0 }
    }

    /// Checks values that would fail later in a less helpful way.
    public func validate() throws {
        guard (0...65_535).contains(port) else { throw Invalid(description: "port \(port) is out of range") }
        guard limits.maxBodyBytes > 0, limits.maxBatchEvents > 0 else {
            throw Invalid(description: "limits must be positive")
        }
        guard limits.idleTimeoutSeconds > 0, limits.bodyTimeoutSeconds > 0, limits.idleTimeoutSeconds.isFinite,
            limits.bodyTimeoutSeconds.isFinite
        else {
            throw Invalid(description: "limits.idle_timeout_seconds and limits.body_timeout_seconds must be positive numbers of seconds")
        }
        guard limits.maxConnections >= 1 else { throw Invalid(description: "limits.max_connections must be at least 1") }
        guard delivery.maxAttempts >= 1 else { throw Invalid(description: "delivery.max_attempts must be at least 1") }
        guard delivery.concurrency >= 1, (delivery.perDestinationConcurrency ?? 1) >= 1 else {
            throw Invalid(description: "delivery.concurrency and delivery.per_destination_concurrency must be at least 1")
        }
        guard apiKeys.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw Invalid(description: "API keys must be non-empty and contain no spaces")
        }
        try engagement.validate()
    }

    enum CodingKeys: String, CodingKey {
        case host, port, journeys, processing, timers, delivery, limits, retention, engagement
        case apiKeys = "api_keys"
        case logLevel = "log_level"
    }
}

// Every section decodes field by field with defaults, so a file only names what it changes.
extension ServiceConfiguration {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
        journeys = try c.decodeIfPresent(String.self, forKey: .journeys) ?? journeys
        apiKeys = try c.decodeIfPresent([String].self, forKey: .apiKeys) ?? apiKeys
        processing = try c.decodeIfPresent(Processing.self, forKey: .processing) ?? processing
        timers = try c.decodeIfPresent(Timers.self, forKey: .timers) ?? timers
        delivery = try c.decodeIfPresent(Delivery.self, forKey: .delivery) ?? delivery
        limits = try c.decodeIfPresent(Limits.self, forKey: .limits) ?? limits
        retention = try c.decodeIfPresent(Retention.self, forKey: .retention) ?? retention
        engagement = try c.decodeIfPresent(Engagement.self, forKey: .engagement) ?? engagement
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? logLevel
    }
}

extension ServiceConfiguration.Processing {
    enum CodingKeys: String, CodingKey {
        case partitions
        case batchSize = "batch_size"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        partitions = try c.decodeIfPresent(Int.self, forKey: .partitions) ?? partitions
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
    }
}

extension ServiceConfiguration.Timers {
    enum CodingKeys: String, CodingKey {
        case horizonSeconds = "horizon_seconds"
        case maxInMemory = "max_in_memory"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        horizonSeconds = try c.decodeIfPresent(Double.self, forKey: .horizonSeconds) ?? horizonSeconds
        maxInMemory = try c.decodeIfPresent(Int.self, forKey: .maxInMemory) ?? maxInMemory
    }
}

extension ServiceConfiguration.Delivery {
    enum CodingKeys: String, CodingKey {
        case concurrency
        case perDestinationConcurrency = "per_destination_concurrency"
        case leaseSeconds = "lease_seconds"
        case retryBaseSeconds = "retry_base_seconds"
        case retryCapSeconds = "retry_cap_seconds"
        case maxAttempts = "max_attempts"
        case outboxFolder = "outbox_folder"
        case channelsConfig = "channels_config"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? concurrency
        perDestinationConcurrency = try c.decodeIfPresent(Int.self, forKey: .perDestinationConcurrency)
        leaseSeconds = try c.decodeIfPresent(Double.self, forKey: .leaseSeconds) ?? leaseSeconds
        retryBaseSeconds = try c.decodeIfPresent(Double.self, forKey: .retryBaseSeconds) ?? retryBaseSeconds
        retryCapSeconds = try c.decodeIfPresent(Double.self, forKey: .retryCapSeconds) ?? retryCapSeconds
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? maxAttempts
        outboxFolder = try c.decodeIfPresent(String.self, forKey: .outboxFolder) ?? outboxFolder
        channelsConfig = try c.decodeIfPresent(String.self, forKey: .channelsConfig) ?? channelsConfig
    }
}

extension ServiceConfiguration.Limits {
    enum CodingKeys: String, CodingKey {
        case maxBodyBytes = "max_body_bytes"
        case maxBatchEvents = "max_batch_events"
        case syncWaitSeconds = "sync_wait_seconds"
        case idleTimeoutSeconds = "idle_timeout_seconds"
        case bodyTimeoutSeconds = "body_timeout_seconds"
        case maxConnections = "max_connections"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
        maxBatchEvents = try c.decodeIfPresent(Int.self, forKey: .maxBatchEvents) ?? maxBatchEvents
        syncWaitSeconds = try c.decodeIfPresent(Double.self, forKey: .syncWaitSeconds) ?? syncWaitSeconds
        idleTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .idleTimeoutSeconds) ?? idleTimeoutSeconds
        bodyTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .bodyTimeoutSeconds) ?? bodyTimeoutSeconds
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? maxConnections
    }
}

extension ServiceConfiguration.Retention {
    enum CodingKeys: String, CodingKey {
        case processedEventsDays = "processed_events_days"
        case deliveredMessagesDays = "delivered_messages_days"
        case deadLettersDays = "dead_letters_days"
        case customerLogDays = "customer_log_days"
        case customerLogLimit = "customer_log_limit"
        case inputsDays = "inputs_days"
        case intervalSeconds = "interval_seconds"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        processedEventsDays = try c.decodeIfPresent(Double.self, forKey: .processedEventsDays) ?? processedEventsDays
        deliveredMessagesDays = try c.decodeIfPresent(Double.self, forKey: .deliveredMessagesDays) ?? deliveredMessagesDays
        deadLettersDays = try c.decodeIfPresent(Double.self, forKey: .deadLettersDays) ?? deadLettersDays
        customerLogDays = try c.decodeIfPresent(Double.self, forKey: .customerLogDays) ?? customerLogDays
        customerLogLimit = try c.decodeIfPresent(Int.self, forKey: .customerLogLimit) ?? customerLogLimit
        inputsDays = try c.decodeIfPresent(Double.self, forKey: .inputsDays) ?? inputsDays
        intervalSeconds = try c.decodeIfPresent(Double.self, forKey: .intervalSeconds) ?? intervalSeconds
    }
}
