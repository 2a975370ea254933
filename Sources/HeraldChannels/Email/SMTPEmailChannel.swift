import Foundation

/// Email through an SMTP server (`smtp://` with optional STARTTLS, or `smtps://`), with AUTH
/// when credentials are configured. Connections stay open in the transport's pool and are reused
/// for the next messages to the same server.
public struct SMTPEmailChannel: DeliveryChannel {
    public struct Server: Sendable, Hashable {
        /// `smtp://host:port` or `smtps://host:port`.
        public var url: String
        public var security: SMTPSecurity
        public var username: String?
        public var password: Secret?
        /// A PEM bundle of certificate authorities to trust instead of the system's.
        public var caFile: String?
        public var timeout: Duration

        public init(
            url: String, security: SMTPSecurity = .opportunistic, username: String? = nil, password: Secret? = nil, caFile: String? = nil,
            timeout: Duration = .seconds(30)
        ) {
            self.url = url
            self.security = security
            self.username = username
            self.password = password
            self.caFile = caFile
            self.timeout = timeout
        }
    }

    let settings: EmailSettings
    let server: Server
    let transport: CurlTransport

    public init(settings: EmailSettings, server: Server, transport: CurlTransport) {
        self.settings = settings
        self.server = server
        self.transport = transport
    }

    public func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome {
        let mime: MIMEMessage
        switch settings.mime(for: message, requireUnsubscribe: true) {
        case .success(let built): mime = built
        case .failure(let failure): return .permanent(reason: failure.reason)
        }
        var request = TransportRequest(
            url: server.url,
            payload: .smtp(from: settings.from.address, recipients: [mime.to.address], message: mime.bytes)
        )
        request.allowedProtocols = "smtp,smtps"
        request.smtpSecurity = server.security
        request.username = server.username
        request.password = server.password
        request.caFile = server.caFile
        request.timeout = server.timeout
        do {
            let response = try await transport.execute(request)
            return .delivered(providerMessageID: Self.queueID(response.serverReplies) ?? mime.messageID)
        } catch let error as TransportError {
            // A reply code tells more than the libcurl error: 5xx is final, 4xx is "try later".
            if let code = error.responseCode, code >= 400 {
                let reply = error.serverReplies.last { $0.hasPrefix(String(code)) } ?? "\(code)"
                if code >= 500 {
                    return .permanent(reason: "the SMTP server refused the message: \(reply)")
                }
                return .transient(reason: "the SMTP server deferred the message: \(reply)", retryAfter: nil)
            }
            return ProviderResponse.outcome(error, provider: "SMTP server")
        } catch {
            return ProviderResponse.outcome(error, provider: "SMTP server")
        }
    }

    /// The id in the server's final `250` reply (`250 2.0.0 Ok: queued as 4BCD12`).
    static func queueID(_ replies: [String]) -> String? {
        guard let last = replies.last(where: { $0.hasPrefix("250") }) else { return nil }
        if let range = last.range(of: "queued as ", options: .caseInsensitive) {
            let id = last[range.upperBound...].split(separator: " ").first.map(String.init)
            return id?.isEmpty == false ? id : nil
        }
        return nil
    }
}

/// How an SMTP connection is secured (`smtps://` URLs use implicit TLS whatever this says).
public enum SMTPSecurity: String, Sendable, Hashable, Decodable {
    /// Plain text (a local relay or a test server).
    case none
    /// STARTTLS when the server offers it, plain text otherwise.
    case opportunistic
    /// STARTTLS, or the transfer fails.
    case required
}
