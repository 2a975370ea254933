import ChildProcess
import Foundation
import JourneyLanguage
import Testing

@testable import HeraldChannels

/// Email through a real SMTP server (aiosmtpd) on loopback that checks what it receives.
struct SMTPChannelTests {
    static let settings = EmailSettings(
        from: try! EmailAddress(parsing: "Acme Shop <hello@acme.example>"),
        replyTo: try! EmailAddress(address: "help@acme.example"),
        unsubscribeURL: "https://acme.example/unsubscribe?c={customer_id}")

    func withSMTP(
        auth: String? = nil, tls: Bool = false, _ body: (_ server: SMTPEmailChannel.Server, _ mailbox: String) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mailbox = directory.file("mail.jsonl")
        var arguments = ["--out", mailbox] + (auth.map { ["--auth", $0] } ?? [])
        if tls {
            try Self.makeCertificate(in: directory)
            arguments += ["--tls-cert", directory.file("cert.pem"), "--tls-key", directory.file("key.pem")]
        }
        try await TestServer.with("smtp_server.py", arguments) { server in
            let (username, password) =
                auth.map { text -> (String?, Secret?) in
                    let parts = text.split(separator: ":").map(String.init)
                    return (parts[0], Secret(parts[1]))
                } ?? (nil, nil)
            try await body(
                SMTPEmailChannel.Server(
                    url: "smtp://127.0.0.1:\(server.port)", security: tls ? .required : .none, username: username, password: password,
                    caFile: tls ? directory.file("cert.pem") : nil, timeout: .seconds(5)),
                mailbox)
        }
    }

    @Test func deliversWellFormedMultipartMailAndReusesTheConnection() async throws {
        try await withSMTP { server, mailbox in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let channel = SMTPEmailChannel(settings: Self.settings, server: server, transport: transport)
            let first = Fixtures.email(
                key: "welcome-1", category: .marketing, subject: "Grüße, Ada! Ihre Bestellung 🎉", text: "Hallo Ada,\n.\nviele Grüße",
                html: "<p>Hallo <b>Ada</b></p>")
            let outcome = await channel.attempt(first)
            #expect(outcome == .delivered(providerMessageID: "Q1"))
            #expect(await channel.attempt(Fixtures.email(key: "welcome-2")) == .delivered(providerMessageID: "Q2"))
            #expect(await channel.attempt(Fixtures.email(key: "welcome-3")) == .delivered(providerMessageID: "Q3"))

            let mails = try ReceivedMail.read(mailbox)
            try #require(mails.count == 3)
            let mail = mails[0]
            #expect(mail.problems == [])
            #expect(mail.content_type == "multipart/alternative")
            #expect(mail.subject == "Grüße, Ada! Ihre Bestellung 🎉")
            #expect(mail.from == "Acme Shop <hello@acme.example>")
            #expect(mail.to == "Ada Lovelace <ada@example.com>")
            #expect(mail.reply_to == "help@acme.example")
            #expect(mail.mail_from == "hello@acme.example")
            #expect(mail.rcpt_tos == ["ada@example.com"])
            #expect(mail.message_id == (try Self.settings.mime(for: first, requireUnsubscribe: true).get().messageID))
            #expect(mail.list_unsubscribe == "<https://acme.example/unsubscribe?c=c42>")
            #expect(mail.list_unsubscribe_post == "List-Unsubscribe=One-Click")
            #expect(mail.parts.map(\.type) == ["text/plain", "text/html"])
            #expect(
                mail.parts[0].body.replacingOccurrences(of: "\r\n", with: "\n") == "Hallo Ada,\n.\nviele Grüße\n"
                    || mail.parts[0].body.replacingOccurrences(of: "\r\n", with: "\n") == "Hallo Ada,\n.\nviele Grüße")
            #expect(mail.parts[1].body.contains("<p>Hallo <b>Ada</b></p>"))
            // Transactional mail carries no unsubscribe headers.
            #expect(mails[1].list_unsubscribe == nil)
            // One connection served all three messages.
            #expect(Set(mails.map(\.peer)).count == 1)
        }
    }

    @Test func authenticatesWhenConfigured() async throws {
        try await withSMTP(auth: "herald:s3cret") { server, mailbox in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let channel = SMTPEmailChannel(settings: Self.settings, server: server, transport: transport)
            #expect(await channel.attempt(Fixtures.email()) == .delivered(providerMessageID: "Q1"))
            let mails = try ReceivedMail.read(mailbox)
            #expect(mails.first?.authenticated == true)

            var wrong = server
            wrong.password = Secret("wrong")
            let refused = await SMTPEmailChannel(settings: Self.settings, server: wrong, transport: transport).attempt(Fixtures.email())
            guard case .permanent(let reason) = refused else {
                Issue.record("expected a permanent failure, got \(refused)")
                return
            }
            #expect(!reason.contains("wrong"))
        }
    }

    /// A self-signed certificate for 127.0.0.1, made with the openssl command.
    static func makeCertificate(in directory: TemporaryDirectory) throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory.file("key.pem"), "-out", directory.file("cert.pem"),
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl could not make a test certificate")
    }

    @Test func startTLSAndAuthWhenRequired() async throws {
        try await withSMTP(auth: "herald:s3cret", tls: true) { server, mailbox in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let channel = SMTPEmailChannel(settings: Self.settings, server: server, transport: transport)
            #expect(await channel.attempt(Fixtures.email()) == .delivered(providerMessageID: "Q1"))
            let mail = try #require(try ReceivedMail.read(mailbox).first)
            #expect(mail.tls)
            #expect(mail.authenticated)
            #expect(mail.problems == [])

            // Without the test CA the server's certificate is not trusted: no mail goes out in clear.
            // (A new transport, so that no verified connection is reused.)
            var untrusted = server
            untrusted.caFile = nil
            let fresh = CurlTransport()
            defer { fresh.shutdown() }
            guard case .transient = await SMTPEmailChannel(settings: Self.settings, server: untrusted, transport: fresh).attempt(Fixtures.email())
            else {
                Issue.record("an untrusted certificate must fail the attempt")
                return
            }
        }
    }

    @Test func rejectedRecipientIsPermanentAndDeferredOneIsRetried() async throws {
        try await withSMTP { server, mailbox in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let channel = SMTPEmailChannel(settings: Self.settings, server: server, transport: transport)
            let rejected = await channel.attempt(Fixtures.email(to: "reject@example.com"))
            guard case .permanent(let reason) = rejected else {
                Issue.record("expected permanent, got \(rejected)")
                return
            }
            #expect(reason.contains("550"))

            let dispatcher = MessageDispatcher(channels: [.email: channel], retryPolicy: Fixtures.quickRetry)
            let report = try await dispatcher.deliver(Fixtures.email(to: "tempfail@example.com"))
            #expect(report.isDelivered)
            #expect(report.attempts.count == 2)
            if case .transient(let reason, _) = report.attempts[0] {
                #expect(reason.contains("451"))
            } else {
                Issue.record("first attempt should be transient")
            }
            let mails = try ReceivedMail.read(mailbox)
            #expect(mails.count == 1)
        }
    }

    @Test func unreachableServerIsTransient() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let channel = SMTPEmailChannel(
            settings: Self.settings, server: .init(url: "smtp://127.0.0.1:9", security: .none, timeout: .seconds(2)), transport: transport)
        guard case .transient = await channel.attempt(Fixtures.email()) else {
            Issue.record("expected transient")
            return
        }
    }

    @Test(arguments: [
        (Fixtures.email(to: "not-an-address"), "invalid recipient"),
        (Fixtures.email(category: .marketing), "unsubscribe"),
        (Fixtures.sms(), "got a sms message"),
    ])
    func unusableMessagesFailPermanentlyWithoutConnecting(message: OutgoingMessage, reason: String) async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let settings = EmailSettings(from: try EmailAddress(address: "hello@acme.example"))
        let channel = SMTPEmailChannel(settings: settings, server: .init(url: "smtp://127.0.0.1:9"), transport: transport)
        guard case .permanent(let text) = await channel.attempt(message) else {
            Issue.record("expected permanent")
            return
        }
        #expect(text.contains(reason), "\(text)")
    }
}
