import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A loopback webhook receiver that counts deliveries per `webhook-id` (and answers 200).
public final class WebhookReceiver: Sendable {
    public init() {}

    /// `webhook-id` → arrival times (seconds since 1970).
    public let arrivals = Locked<[String: [Double]]>([:])
    /// `webhook-id` → the body of its last arrival.
    public let bodies = Locked<[String: String]>([:])
    public let signed = Locked(0)
    private let portBox = Locked<Int?>(nil)
    private let task = Locked<Task<Void, any Error>?>(nil)

    public var port: Int? { portBox.withLock { $0 } }

    public func start() async throws {
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let id = request.headers[HTTPField.Name("webhook-id")!] ?? "missing"
            let body = try await request.body.collect(upTo: 1 << 20)
            self.bodies.withLock { $0[id] = String(buffer: body) }
            if request.headers[HTTPField.Name("webhook-signature")!]?.hasPrefix("v1,") == true { self.signed.withLock { $0 += 1 } }
            let now = Date().timeIntervalSince1970
            self.arrivals.withLock { $0[id, default: []].append(now) }
            return .ok
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.portBox.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        task.withLock { $0 = Task { try await app.run() } }
        for _ in 0..<500 where port == nil { try await Task.sleep(for: .milliseconds(10)) }
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
