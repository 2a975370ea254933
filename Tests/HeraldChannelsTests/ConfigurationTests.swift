import JourneyLanguage
import Testing

@testable import HeraldChannels

struct ConfigurationTests {
    static let full = """
        outbox: tmp/outbox
        retry: { max_attempts: 7, base_delay: 0.5, max_delay: 60 }
        email:
          transport: smtp
          from: "Acme Shop <hello@acme.example>"
          reply_to: help@acme.example
          unsubscribe_url: "https://acme.example/u?c={customer_id}"
          max_concurrency: 4
          rate_limit: { per_second: 20, burst: 5 }
          smtp:
            url: smtp://mail.acme.example:587
            security: required
            username: apikey
            password: ${SMTP_SECRET}
        sms:
          transport: http
          from: "+14155550100"
          http: { url: "https://sms.example/Messages.json", format: form, username: AC1, auth_token: file-token }
        webhook:
          transport: http
          url: https://hooks.acme.example/herald
          secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]
          allow_private_networks: [127.0.0.0/8]
          timeout: 2
        """

    @Test func readsEveryChannelAndExpandsEnvironmentVariables() throws {
        let configuration = try ChannelConfiguration.parse(
            yaml: Self.full, environment: ["SMTP_SECRET": "p4ss", "HERALD_SMS_AUTH_TOKEN": "env-token"])
        #expect(configuration.outboxDirectory == "tmp/outbox")
        #expect(configuration.retry == RetryPolicy(maxAttempts: 7, baseDelay: .milliseconds(500), maxDelay: .seconds(60)))
        guard case .smtp(let server) = configuration.email.transport else {
            Issue.record("expected smtp")
            return
        }
        #expect(server.url == "smtp://mail.acme.example:587")
        #expect(server.security == .required)
        #expect(server.password?.value == "p4ss")
        #expect(configuration.email.settings.from.name == "Acme Shop")
        #expect(configuration.email.limits == ChannelLimits(maxConcurrency: 4, rateLimit: RateLimit(perSecond: 20, burst: 5)))
        guard case .http(let sms) = configuration.sms.transport else {
            Issue.record("expected http sms")
            return
        }
        #expect(sms.authToken?.value == "env-token")
        #expect(sms.format == .form)
        #expect(configuration.webhook.transport == .http)
        #expect(configuration.webhook.endpoint.secrets.count == 1)
        #expect(configuration.webhook.endpoint.timeout == .seconds(2))
        #expect(configuration.webhook.limits.maxConcurrency == 64)
    }

    @Test func noFileMeansLocalOutboxForEverything() throws {
        let configuration = try ChannelConfiguration.parse(yaml: "")
        guard case .local = configuration.email.transport, case .local = configuration.sms.transport else {
            Issue.record("expected local channels")
            return
        }
        #expect(configuration.webhook.transport == .local)
        #expect(configuration.outboxDirectory == "outbox")
    }

    @Test(arguments: [
        ("emial: {}", "emial: error: unknown key `emial`; did you mean `email`?"),
        ("email: { tranport: smtp }", "email.tranport: error: unknown key `tranport`; did you mean `transport`?"),
        ("email: { transport: smpt }", "email.transport: error: `smpt` is not one of local, smtp, http; did you mean `smtp`?"),
        ("email: { transport: smtp, smtp: { url: 'smtp://x' } }", "email.from: error: the sender is required"),
        (
            "email: { transport: smtp, from: 'not an address', smtp: { url: 'smtp://x' } }",
            "email.from: error: `not an address` is not a valid email address"
        ),
        ("email: { transport: smtp, from: a@b.c, smtp: { url: 'http://x' } }", "email.smtp.url: error: expected smtp://host:port"),
        ("email: { transport: smtp, from: a@b.c, smtp: { url: 'smtp://x', username: u } }", "email.smtp.password: error: AUTH needs both"),
        (
            "email: { transport: http, from: a@b.c, http: { url: 'https://x.example' } }",
            "email.http.api_key: error: the email provider needs an API key"
        ),
        (
            "email: { transport: smtp, from: a@b.c, smtp: { url: 'smtp://x', username: u, password: '${NOPE}' } }",
            "email.smtp.password: error: environment variable NOPE is not set"
        ),
        ("sms: { transport: http, http: { url: 'https://x.example' } }", "sms.from: error: the sender number"),
        ("webhook: { transport: http, url: 'https://x.example' }", "webhook.secrets: error: webhooks must be signed"),
        ("webhook: { transport: http, secrets: [not-a-secret] }", "webhook.secrets[0]: error: a webhook secret must be `whsec_`"),
        ("webhook: { allow_private_networks: [10.0.0.0/99] }", "webhook.allow_private_networks[0]: error: `10.0.0.0/99` is not a network"),
        ("retry: { max_attempts: 0 }", "retry.max_attempts: error: expected a whole number of at least 1"),
        ("email: { rate_limit: { per_second: -1 } }", "email.rate_limit.per_second: error: a rate limit needs per_second"),
        ("email: [1, 2]", "email: error: expected a mapping"),
        ("email: {", "error: not valid YAML"),
    ])
    func badConfigurationIsReportedWithItsKey(yaml: String, expected: String) throws {
        let error = try #require(throws: ChannelConfigurationError.self) {
            try ChannelConfiguration.parse(yaml: yaml, file: "herald.channels.yaml")
        }
        #expect(error.description.contains(expected), "\(error)")
        #expect(error.description.hasPrefix("herald.channels.yaml: "))
    }

    @Test func secretsNeverAppearInDescriptions() throws {
        let configuration = try ChannelConfiguration.parse(yaml: Self.full, environment: ["SMTP_SECRET": "p4ss-w0rd"])
        let dump = "\(configuration) \(String(reflecting: configuration))"
        #expect(!dump.contains("p4ss-w0rd"))
        #expect(!dump.contains("file-token"))
        #expect(!dump.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect("\(Secret("hunter2"))" == "<redacted>")
        #expect(String(reflecting: Secret("hunter2")) == "Secret(<redacted>)")
    }

    @Test func webhookSecretsFromTheEnvironmentReplaceTheFile() throws {
        let configuration = try ChannelConfiguration.parse(
            yaml: "webhook: { transport: http, url: 'https://x.example', secrets: [not-valid] }",
            environment: ["HERALD_WEBHOOK_SECRETS": "\(Fixtures.secretA.value) \(Fixtures.secretB.value)"])
        #expect(configuration.webhook.endpoint.secrets.count == 2)
    }
}
