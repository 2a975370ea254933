import Crypto
public import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A loopback webhook receiver that verifies each delivery as a Standard Webhooks receiver does
/// and counts the good ones per `webhook-id` (answering 200).
///
/// The check is written here, independently of Herald's signer: the `webhook-signature` header must
/// carry a `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` made with `secret`, and
/// `webhook-timestamp` must be within five minutes of now. A delivery that fails the check is
/// answered 401 (what a real receiver answers) and recorded in `rejected` with the reason, not in
/// `arrivals`; tests assert `rejected` is empty.
public final class WebhookReceiver: Sendable {
    /// The secret the tests configure Herald's webhook channel with (`webhook.secrets`).
    public static let testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// One delivery that failed verification.
    public struct Rejection: Sendable, CustomStringConvertible {
        public var id: String
        public var reason: String
        public var description: String { "\(id): \(reason)" }
    }

    private let key: SymmetricKey
    /// How far `webhook-timestamp` may be from now (Standard Webhooks suggests five minutes).
    private let tolerance: Double

    /// - Parameter secret: the `whsec_<base64>` secret Herald signs with.
    public init(secret: String = WebhookReceiver.testSecret, tolerance: Double = 300) {
        self.secret = secret
        let bytes = secret.hasPrefix("whsec_") ? Data(base64Encoded: String(secret.dropFirst(6))) : nil
        precondition(bytes != nil, "a webhook secret is whsec_<base64>")
        key = SymmetricKey(data: bytes!)
        self.tolerance = tolerance
    }

    /// The `whsec_<base64>` secret deliveries must be signed with.
    public let secret: String

    /// Writes `channels.yaml` into `directory` for a `herald serve` whose webhooks all go to this
    /// receiver, signed with its secret (loopback allowed for 127.0.0.0/8 only; quick retries), and
    /// returns the file. `timeout`: seconds per attempt (the channel's default when nil).
    public func writeChannelsFile(in directory: URL, timeout: Int? = nil) throws -> URL {
        guard let port else { throw TestSupportFailure("start the webhook receiver before writing its channels file") }
        var text = """
            retry: { max_attempts: 20, base_delay: 0.05, max_delay: 0.5 }
            webhook:
              transport: http
              url: http://127.0.0.1:\(port)/hook
              secrets: ["\(secret)"]
              allow_private_networks: ["127.0.0.0/8"]
            """
        if let timeout { text += "\n  timeout: \(timeout)" }
        let file = directory.appendingPathComponent("channels.yaml")
        try (text + "\n").write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// `webhook-id` → arrival times (seconds since 1970) of verified deliveries.
    public let arrivals = Locked<[String: [Double]]>([:])
    /// How many deliveries carried a valid signature (every one in `arrivals`).
    public let signed = Locked(0)
    /// Deliveries refused with 401: missing headers, a bad or stale signature.
    public let rejected = Locked<[Rejection]>([])
    /// The body of the latest verified delivery per `webhook-id`.
    public let bodies = Locked<[String: String]>([:])
    private let portBox = Locked<Int?>(nil)
    private let task = Locked<Task<Void, any Error>?>(nil)

    public var port: Int? { portBox.withLock { $0 } }

    /// Checks one delivery; `nil` when it is good, else the reason it is not.
    public func problem(
        id: String?, timestamp: String?, signature: String?, body: [UInt8], now: Double = Date().timeIntervalSince1970
    )
        -> String?
    {
        guard let id, !id.isEmpty else { return "no webhook-id header" }
        guard let timestamp, let seconds = Int(timestamp) else { return "no webhook-timestamp header, or not Unix seconds" }
        guard let signature, !signature.isEmpty else { return "no webhook-signature header" }
        guard abs(now - Double(seconds)) <= tolerance else { return "webhook-timestamp \(seconds) is more than \(Int(tolerance)) s from now" }
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("\(id).\(timestamp).".utf8))
        mac.update(data: body)
        let expected = Data(mac.finalize()).base64EncodedString()
        let offered = signature.split(separator: " ").compactMap { part -> String? in
            part.hasPrefix("v1,") ? String(part.dropFirst(3)) : nil
        }
        if offered.isEmpty { return "no v1 signature in webhook-signature" }
        // Compared as bytes in constant time, as a receiver should.
        let matches = offered.contains { candidate in
            guard let given = Data(base64Encoded: candidate), let wanted = Data(base64Encoded: expected), given.count == wanted.count else {
                return false
            }
            return zip(given, wanted).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
        return matches ? nil : "no signature matches the HMAC-SHA256 of the id, timestamp and body"
    }

    public func start() async throws {
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let id = request.headers[HTTPField.Name("webhook-id")!]
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let body = Array(buffer.readableBytesView)
            if let problem = self.problem(
                id: id, timestamp: request.headers[HTTPField.Name("webhook-timestamp")!],
                signature: request.headers[HTTPField.Name("webhook-signature")!], body: body)
            {
                self.rejected.withLock { $0.append(Rejection(id: id ?? "missing", reason: problem)) }
                return .unauthorized
            }
            let verified = id ?? "missing"
            self.signed.withLock { $0 += 1 }
            let now = Date().timeIntervalSince1970
            self.arrivals.withLock { $0[verified, default: []].append(now) }
            self.bodies.withLock { $0[verified] = String(decoding: body, as: UTF8.self) }
            return .ok
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.portBox.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        task.withLock { $0 = Task { try await app.run() } }
        for _ in 0..<3000 where port == nil { try await Task.sleep(for: .milliseconds(10)) }
        guard port != nil else { throw TestSupportFailure("the webhook receiver did not start") }
    }

    public func stop() {
        task.withLock { $0?.cancel() }
    }
}

/// A test fixture that could not be set up.
public struct TestSupportFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
