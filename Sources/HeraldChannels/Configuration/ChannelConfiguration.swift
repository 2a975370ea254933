import Foundation

/// How Herald delivers each channel, read from a YAML file (JSON is YAML too) with environment
/// variables for secrets. Without a file every channel writes to the local outbox.
///
/// ```yaml
/// outbox: outbox                      # folder of the local development channel
/// retry: { max_attempts: 5, base_delay: 1, max_delay: 300 }   # seconds
/// email:
///   transport: smtp                   # local | smtp | http
///   from: "Acme <hello@acme.example>"
///   unsubscribe_url: "https://acme.example/unsubscribe?c={customer_id}"
///   smtp: { url: "smtp://smtp.acme.example:587", security: required, username: apikey, password: "${SMTP_PASSWORD}" }
/// ```
///
/// Any string may name an environment variable as `${NAME}`; in addition `HERALD_SMTP_PASSWORD`,
/// `HERALD_EMAIL_API_KEY`, `HERALD_SMS_AUTH_TOKEN` and `HERALD_WEBHOOK_SECRETS` (space-separated)
/// override the secrets of the file. Secrets are ``Secret`` values and never printed.
public struct ChannelConfiguration: Sendable {
    /// The folder the local development channel writes to.
    public var outboxDirectory: String
    public var retry: RetryPolicy
    public var email: Email
    public var sms: SMS
    public var webhook: Webhook

    public struct Email: Sendable {
        public enum Transport: Sendable {
            case local
            case smtp(SMTPEmailChannel.Server)
            case http(HTTPEmailChannel.Provider)
        }

        public var transport: Transport
        public var settings: EmailSettings
        public var limits: ChannelLimits
    }

    public struct SMS: Sendable {
        public enum Transport: Sendable {
            case local
            case http(HTTPSMSChannel.Provider)
        }

        public var transport: Transport
        /// The sender number the local outbox shows.
        public var from: String
        public var limits: ChannelLimits
    }

    public struct Webhook: Sendable {
        public enum Transport: Sendable, Hashable {
            case local
            case http
        }

        public var transport: Transport
        public var endpoint: WebhookChannel.Endpoint
        public var limits: ChannelLimits
    }

    /// Every channel to the local outbox in `directory`.
    public static func local(directory: String = "outbox") -> ChannelConfiguration {
        ChannelConfiguration(
            outboxDirectory: directory,
            retry: RetryPolicy(),
            email: Email(transport: .local, settings: .development, limits: ChannelLimits()),
            sms: SMS(transport: .local, from: "Herald", limits: ChannelLimits()),
            webhook: Webhook(transport: .local, endpoint: WebhookChannel.Endpoint(url: nil, secrets: []), limits: ChannelLimits())
        )
    }

    /// Reads a configuration file.
    /// - Parameters:
    ///   - path: a YAML or JSON file.
    ///   - environment: where `${NAME}` references and the `HERALD_*` overrides are looked up
    ///     (the process environment when nil).
    /// - Throws: ``ChannelConfigurationError`` naming the file, the key and what is wrong.
    public static func load(file path: String, environment: [String: String]? = nil) throws(ChannelConfigurationError) -> ChannelConfiguration {
        let environment = environment ?? ProcessInfo.processInfo.environment
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ChannelConfigurationError(file: path, path: "", message: "cannot read the file")
        }
        return try parse(yaml: text, file: path, environment: environment)
    }

    /// Parses configuration text (YAML or JSON); `file` only names it in errors.
    public static func parse(
        yaml: String, file: String? = nil, environment: [String: String] = [:]
    ) throws(ChannelConfigurationError) -> ChannelConfiguration {
        var reader = ConfigurationReader(file: file, environment: environment)
        return try reader.read(yaml)
    }
}

/// How many messages of a channel may be in flight at once, and how fast they may go.
public struct ChannelLimits: Sendable, Hashable {
    public var maxConcurrency: Int
    public var rateLimit: RateLimit?

    public init(maxConcurrency: Int = 16, rateLimit: RateLimit? = nil) {
        self.maxConcurrency = maxConcurrency
        self.rateLimit = rateLimit
    }
}

/// A configuration that cannot be used: `herald.channels.yaml: email.smtp.url: … `. It never
/// contains a secret's value.
public struct ChannelConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    /// The dotted key (`email.smtp.url`), empty for the whole file.
    public var path: String
    public var message: String

    public var description: String {
        [file, path.isEmpty ? nil : path].compactMap { $0 }.map { $0 + ": " }.joined() + "error: " + message
    }
}
