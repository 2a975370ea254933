import Foundation
import HeraldTestSupport
import JourneyLanguage
import Testing

@testable import HeraldChannels

/// A Python test server (Servers/*.py) on a free loopback port, started for one test and
/// stopped after it: HeraldTestSupport's ``PythonServer`` (which the service tests share), with
/// the channel tests' own view of what the provider server recorded.
final class TestServer: Sendable {
    private let server: PythonServer
    var port: Int { server.port }

    private init(_ server: PythonServer) {
        self.server = server
    }

    /// Runs `body` with the server `script` started with `arguments`; stops it afterwards.
    static func with<T>(_ script: String, _ arguments: [String] = [], _ body: (TestServer) async throws -> T) async throws -> T {
        let server = try await start(script, arguments)
        defer { server.stop() }
        return try await body(server)
    }

    static func start(_ script: String, _ arguments: [String]) async throws -> TestServer {
        TestServer(try await PythonServer.start(script, arguments))
    }

    /// Stops the server without waiting for it (waiting would hold a cooperative thread).
    func stop() { server.stop() }

    func url(_ path: String) -> String { server.url(path) }

    /// What the provider server recorded (`GET /_received`), filtered by path prefix.
    func received(under prefix: String, transport: CurlTransport) async throws -> [ReceivedRequest] {
        let response = try await transport.execute(TransportRequest(url: url("/_received"), payload: .http(method: "GET", headers: [], body: [])))
        let all = try JSONDecoder().decode([ReceivedRequest].self, from: Data(response.body))
        return all.filter { $0.path.hasPrefix(prefix) }
    }
}

struct ReceivedRequest: Decodable, Sendable {
    struct Signature: Decodable, Sendable {
        var valid: Bool
        var offered: Int
        var matched: Int
    }

    var path: String
    var method: String
    var headers: [String: String]
    var body: String
    var attempt: Int
    var signature: Signature?
}

/// One message the SMTP test server accepted, with the problems it found in it.
struct ReceivedMail: Decodable, Sendable {
    struct Part: Decodable, Sendable {
        var type: String
        var charset: String?
        var encoding: String?
        var body: String
    }

    var mail_from: String
    var rcpt_tos: [String]
    var peer: [JSONScalar]
    var authenticated: Bool
    var tls: Bool
    var from: String
    var to: String
    var reply_to: String?
    var subject: String
    var message_id: String
    var list_unsubscribe: String?
    var list_unsubscribe_post: String?
    var content_type: String
    var parts: [Part]
    var problems: [String]

    static func read(_ path: String) throws -> [ReceivedMail] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(ReceivedMail.self, from: Data($0.utf8)) }
    }
}

enum JSONScalar: Decodable, Sendable, Hashable {
    case string(String)
    case number(Double)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}

/// A fresh temporary folder, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "herald-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func write(_ name: String, _ contents: String) throws {
        let full = file(name)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Polls `condition` until it holds, or gives up after `timeout` seconds (generous: the tests run on
/// a loaded machine; the wait ends as soon as the event happens).
func eventually(timeout: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Messages for the tests.
enum Fixtures {
    static func email(
        key: String = UUID().uuidString, to: String = "ada@example.com", category: MessageCategory = .transactional, subject: String = "Welcome, Ada",
        text: String? = "Hello Ada", html: String? = "<p>Hello Ada</p>"
    ) -> OutgoingMessage {
        OutgoingMessage(
            idempotencyKey: key, category: category,
            recipient: Recipient(customerID: "c42", email: to, name: "Ada Lovelace"),
            content: .email(EmailContent(subject: subject, html: html, text: text)))
    }

    static func sms(key: String = UUID().uuidString, phone: String = "+14155550123", text: String = "Your code is 1234") -> OutgoingMessage {
        OutgoingMessage(
            idempotencyKey: key, category: .transactional, recipient: Recipient(customerID: "c42", phone: phone),
            content: .sms(SMSContent(text: text)))
    }

    static func webhook(
        key: String = UUID().uuidString, url: String? = nil, payload: String = #"{"type":"cart.reminder","data":{"customer":"c42"}}"#
    ) -> OutgoingMessage {
        OutgoingMessage(
            idempotencyKey: key, category: .transactional, recipient: Recipient(customerID: "c42", webhookURL: url),
            content: .webhook(WebhookContent(payload: Array(payload.utf8))))
    }

    /// A fast retry policy for tests against real servers.
    static let quickRetry = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50))

    static let secretA = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    static let secretB = Secret("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=")
}
