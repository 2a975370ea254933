import Foundation
import JourneyLanguage
import Yams

/// Turns configuration text into a ``ChannelConfiguration``: YAML to a tree, unknown keys
/// caught (with a suggestion), `${NAME}` expanded, then every value checked and typed.
struct ConfigurationReader {
    let file: String?
    let environment: [String: String]

    init(file: String?, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    private func error(_ path: String, _ message: String) -> ChannelConfigurationError {
        ChannelConfigurationError(file: file, path: path, message: message)
    }

    /// The keys each section accepts.
    private static let schema: [String: Set<String>] = [
        "": ["outbox", "retry", "email", "sms", "webhook"],
        "retry": ["max_attempts", "base_delay", "max_delay", "max_retry_after"],
        "email": [
            "transport", "from", "reply_to", "unsubscribe_url", "unsubscribe_mailto", "max_concurrency", "rate_limit", "timeout", "smtp", "http",
        ],
        "email.smtp": ["url", "security", "username", "password", "ca_file"],
        "email.http": ["url", "api_key", "ca_file"],
        "email.rate_limit": ["per_second", "burst"],
        "sms": ["transport", "from", "max_concurrency", "rate_limit", "timeout", "http"],
        "sms.http": ["url", "format", "username", "auth_token", "ca_file", "status_callback"],
        "sms.rate_limit": ["per_second", "burst"],
        "webhook": ["transport", "url", "secrets", "allow_private_networks", "max_concurrency", "rate_limit", "timeout", "ca_file"],
        "webhook.rate_limit": ["per_second", "burst"],
    ]

    mutating func read(_ text: String) throws(ChannelConfigurationError) -> ChannelConfiguration {
        let tree: Any?
        do {
            tree = try Yams.load(yaml: text)
        } catch {
            throw self.error("", "not valid YAML: \(error)")
        }
        let root: [String: Any]
        switch tree {
        case .none: root = [:]
        case let dictionary as [String: Any]: root = dictionary
        default: throw self.error("", "expected a mapping of sections (email, sms, webhook, retry, outbox)")
        }
        let node = try Node(root, path: "", reader: self)

        var configuration = ChannelConfiguration.local(directory: try node.string("outbox") ?? "outbox")
        if let retry = try node.section("retry") {
            configuration.retry = RetryPolicy(
                maxAttempts: try retry.integer("max_attempts", minimum: 1) ?? 5,
                baseDelay: try retry.seconds("base_delay", allowZero: true) ?? .seconds(1),
                maxDelay: try retry.seconds("max_delay") ?? .seconds(300),
                maxRetryAfter: try retry.seconds("max_retry_after") ?? .seconds(3600)
            )
        }
        if let email = try node.section("email") {
            configuration.email = try readEmail(email)
        }
        if let sms = try node.section("sms") {
            configuration.sms = try readSMS(sms)
        }
        if let webhook = try node.section("webhook") {
            configuration.webhook = try readWebhook(webhook)
        }
        return configuration
    }

    private func readEmail(_ node: Node) throws(ChannelConfigurationError) -> ChannelConfiguration.Email {
        let transport = try node.choice("transport", ["local", "smtp", "http"]) ?? "local"
        var settings = EmailSettings.development
        if let from = try node.string("from") {
            do { settings.from = try EmailAddress(parsing: from) } catch { throw self.error(node.path("from"), "\(error)") }
        } else if transport != "local" {
            throw self.error(node.path("from"), "the sender is required for the \(transport) transport, e.g. from: \"Acme <hello@acme.example>\"")
        }
        if let replyTo = try node.string("reply_to") {
            do { settings.replyTo = try EmailAddress(parsing: replyTo) } catch { throw self.error(node.path("reply_to"), "\(error)") }
        }
        if let url = try node.string("unsubscribe_url") {
            guard url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") else {
                throw self.error(node.path("unsubscribe_url"), "expected an https:// URL")
            }
            settings.unsubscribeURL = url
        }
        settings.unsubscribeMailto = try node.string("unsubscribe_mailto")
        let timeout = try node.seconds("timeout") ?? .seconds(30)
        let limits = try readLimits(node)
        switch transport {
        case "smtp":
            guard let smtp = try node.section("smtp") else {
                throw self.error(node.path("smtp"), "the smtp transport needs an smtp section with a url")
            }
            let url = try smtp.required("url")
            guard url.lowercased().hasPrefix("smtp://") || url.lowercased().hasPrefix("smtps://") else {
                throw self.error(smtp.path("url"), "expected smtp://host:port or smtps://host:port")
            }
            let security =
                SMTPSecurity(rawValue: try smtp.choice("security", ["none", "opportunistic", "required"]) ?? "opportunistic") ?? .opportunistic
            let password = try secret(smtp, "password", override: "HERALD_SMTP_PASSWORD")
            var username = try smtp.string("username")
            if let override = environment["HERALD_SMTP_USERNAME"] { username = override }
            if (username == nil) != (password == nil) {
                throw self.error(smtp.path(username == nil ? "username" : "password"), "AUTH needs both username and password")
            }
            let server = SMTPEmailChannel.Server(
                url: url, security: security, username: username, password: password, caFile: try smtp.string("ca_file"), timeout: timeout)
            return .init(transport: .smtp(server), settings: settings, limits: limits)
        case "http":
            guard let http = try node.section("http") else {
                throw self.error(node.path("http"), "the http transport needs an http section with url and api_key")
            }
            let url = try http.required("url")
            try checkHTTPURL(url, http.path("url"))
            guard let apiKey = try secret(http, "api_key", override: "HERALD_EMAIL_API_KEY") else {
                throw self.error(http.path("api_key"), "the email provider needs an API key (or set HERALD_EMAIL_API_KEY)")
            }
            let provider = HTTPEmailChannel.Provider(url: url, apiKey: apiKey, caFile: try http.string("ca_file"), timeout: timeout)
            return .init(transport: .http(provider), settings: settings, limits: limits)
        default:
            return .init(transport: .local, settings: settings, limits: limits)
        }
    }

    private func readSMS(_ node: Node) throws(ChannelConfigurationError) -> ChannelConfiguration.SMS {
        let transport = try node.choice("transport", ["local", "http"]) ?? "local"
        let from = try node.string("from")
        let limits = try readLimits(node)
        guard transport == "http" else {
            return .init(transport: .local, from: from ?? "Herald", limits: limits)
        }
        guard let from else { throw self.error(node.path("from"), "the sender number (or alphanumeric id) is required, e.g. from: \"+14155550100\"") }
        guard let http = try node.section("http") else { throw self.error(node.path("http"), "the http transport needs an http section with a url") }
        let url = try http.required("url")
        try checkHTTPURL(url, http.path("url"))
        let format = HTTPSMSChannel.Format(rawValue: try http.choice("format", ["form", "json"]) ?? "form") ?? .form
        let token = try secret(http, "auth_token", override: "HERALD_SMS_AUTH_TOKEN")
        let username = try http.string("username")
        if format == .form, username != nil, token == nil {
            throw self.error(http.path("auth_token"), "basic authentication needs auth_token (or set HERALD_SMS_AUTH_TOKEN)")
        }
        let provider = HTTPSMSChannel.Provider(
            url: url, format: format, from: from, username: username, authToken: token, caFile: try http.string("ca_file"),
            timeout: try node.seconds("timeout") ?? .seconds(30), statusCallback: try http.string("status_callback"))
        if let callback = provider.statusCallback { try checkHTTPURL(callback, http.path("status_callback")) }
        return .init(transport: .http(provider), from: from, limits: limits)
    }

    private func readWebhook(_ node: Node) throws(ChannelConfigurationError) -> ChannelConfiguration.Webhook {
        let transport: ChannelConfiguration.Webhook.Transport = try node.choice("transport", ["local", "http"]) == "http" ? .http : .local
        let url = try node.string("url")
        if let url { try checkHTTPURL(url, node.path("url")) }
        var secretTexts = try node.strings("secrets")
        if let override = environment["HERALD_WEBHOOK_SECRETS"] {
            secretTexts = override.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
        var secrets: [WebhookSecret] = []
        for (index, text) in secretTexts.enumerated() {
            do { secrets.append(try WebhookSecret(Secret(text))) } catch { throw self.error(node.path("secrets[\(index)]"), "\(error)") }
        }
        if transport == .http, secrets.isEmpty {
            throw self.error(
                node.path("secrets"),
                "webhooks must be signed: add a secret (`whsec_` followed by the output of `openssl rand -base64 32`) or set HERALD_WEBHOOK_SECRETS")
        }
        var networks: [IPNetwork] = []
        for (index, text) in try node.strings("allow_private_networks").enumerated() {
            guard let network = IPNetwork(text) else {
                throw self.error(
                    node.path("allow_private_networks[\(index)]"), "`\(text)` is not a network in CIDR notation (e.g. 127.0.0.0/8 or ::1/128)")
            }
            networks.append(network)
        }
        let endpoint = WebhookChannel.Endpoint(
            url: url, secrets: secrets, addressPolicy: AddressPolicy(allowedNetworks: networks),
            timeout: try node.seconds("timeout") ?? .seconds(10), caFile: try node.string("ca_file"))
        return .init(transport: transport, endpoint: endpoint, limits: try readLimits(node, defaultConcurrency: 64))
    }

    private func readLimits(_ node: Node, defaultConcurrency: Int = 16) throws(ChannelConfigurationError) -> ChannelLimits {
        var limits = ChannelLimits(maxConcurrency: try node.integer("max_concurrency", minimum: 1) ?? defaultConcurrency)
        if let rate = try node.section("rate_limit") {
            guard let perSecond = try rate.number("per_second"), perSecond > 0 else {
                throw self.error(rate.path("per_second"), "a rate limit needs per_second, a positive number")
            }
            limits.rateLimit = RateLimit(perSecond: perSecond, burst: try rate.integer("burst", minimum: 1) ?? 1)
        }
        return limits
    }

    private func secret(_ node: Node, _ key: String, override: String) throws(ChannelConfigurationError) -> Secret? {
        if let value = environment[override], !value.isEmpty { return Secret(value) }
        return try node.string(key).map(Secret.init)
    }

    private func checkHTTPURL(_ url: String, _ path: String) throws(ChannelConfigurationError) {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://"), URL(string: url)?.host != nil else {
            throw error(path, "expected an http:// or https:// URL")
        }
    }

    /// `${NAME}` replaced by the environment variable's value.
    func expand(_ text: String, at path: String) throws(ChannelConfigurationError) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw error(path, "unclosed ${ in a value; write ${NAME}")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                throw error(path, "environment variable \(name) is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// A section of the tree with typed accessors that report the dotted path.
    struct Node {
        let values: [String: Any]
        let prefix: String
        let reader: ConfigurationReader

        init(_ values: [String: Any], path: String, reader: ConfigurationReader) throws(ChannelConfigurationError) {
            self.values = values
            self.prefix = path
            self.reader = reader
            let known = ConfigurationReader.schema[path] ?? []
            for key in values.keys.sorted() where !known.contains(key) {
                let hint =
                    TemplateOutline.closest(to: key, in: Array(known)).map { "; did you mean `\($0)`?" }
                    ?? "; expected one of \(known.sorted().joined(separator: ", "))"
                throw reader.error(self.path(key), "unknown key `\(key)`\(hint)")
            }
        }

        func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

        func section(_ key: String) throws(ChannelConfigurationError) -> Node? {
            guard let value = values[key], !(value is NSNull) else { return nil }
            guard let dictionary = value as? [String: Any] else { throw reader.error(path(key), "expected a mapping") }
            return try Node(dictionary, path: path(key), reader: reader)
        }

        func string(_ key: String) throws(ChannelConfigurationError) -> String? {
            guard let value = values[key], !(value is NSNull) else { return nil }
            let text: String
            switch value {
            case let string as String: text = string
            case let number as Int: text = String(number)
            default: throw reader.error(path(key), "expected a string")
            }
            return try reader.expand(text, at: path(key))
        }

        func required(_ key: String) throws(ChannelConfigurationError) -> String {
            guard let value = try string(key), !value.isEmpty else { throw reader.error(path(key), "required") }
            return value
        }

        func strings(_ key: String) throws(ChannelConfigurationError) -> [String] {
            guard let value = values[key], !(value is NSNull) else { return [] }
            if let single = value as? String { return [try reader.expand(single, at: path(key))] }
            guard let list = value as? [Any] else { throw reader.error(path(key), "expected a list of strings") }
            var result: [String] = []
            for (index, item) in list.enumerated() {
                guard let text = item as? String else { throw reader.error(path(key) + "[\(index)]", "expected a string") }
                result.append(try reader.expand(text, at: path(key) + "[\(index)]"))
            }
            return result
        }

        func choice(_ key: String, _ options: [String]) throws(ChannelConfigurationError) -> String? {
            guard let value = try string(key) else { return nil }
            guard options.contains(value) else {
                let hint = TemplateOutline.closest(to: value, in: options).map { "; did you mean `\($0)`?" } ?? ""
                throw reader.error(path(key), "`\(value)` is not one of \(options.joined(separator: ", "))\(hint)")
            }
            return value
        }

        func number(_ key: String) throws(ChannelConfigurationError) -> Double? {
            guard let value = values[key], !(value is NSNull) else { return nil }
            switch value {
            case let number as Int: return Double(number)
            case let number as Double: return number
            default: throw reader.error(path(key), "expected a number")
            }
        }

        func integer(_ key: String, minimum: Int) throws(ChannelConfigurationError) -> Int? {
            guard let value = values[key], !(value is NSNull) else { return nil }
            guard let number = value as? Int, number >= minimum else {
                throw reader.error(path(key), "expected a whole number of at least \(minimum)")
            }
            return number
        }

        /// A duration in seconds.
        func seconds(_ key: String, allowZero: Bool = false) throws(ChannelConfigurationError) -> Duration? {
            guard let number = try number(key) else { return nil }
            guard number.isFinite, allowZero ? number >= 0 : number > 0 else {
                throw reader.error(path(key), "expected a \(allowZero ? "non-negative" : "positive") number of seconds")
            }
            return .milliseconds(Int64(number * 1000))
        }
    }
}
