import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A loopback webhook receiver whose answer the test scripts per request: 200, another status with
/// an optional `Retry-After`, or no answer at all (the request hangs until `stop()`). Every arrival
/// is logged with its path, `webhook-id` and time, so tests can compare delivery times.
public final class ScriptedWebhookReceiver: Sendable {
    public enum Reply: Sendable, Equatable {
        case ok
        case status(Int, retryAfter: Int?)
        /// Hold the request open (until `stop()` or the sender gives up).
        case hang
    }

    public struct Arrival: Sendable, Hashable {
        public var path: String
        public var id: String
        /// Seconds since 1970, when the handler ran.
        public var at: Double
    }

    private let script: @Sendable (_ path: String, _ id: String, _ earlier: Int) -> Reply
    public let arrivals = Locked<[Arrival]>([])
    private let released = Locked(false)
    private let portBox = Locked<Int?>(nil)
    private let task = Locked<Task<Void, any Error>?>(nil)

    /// - Parameter script: the reply to a request on `/<path>` for `webhook-id` `id` that arrived
    ///   `earlier` times before.
    public init(script: @escaping @Sendable (_ path: String, _ id: String, _ earlier: Int) -> Reply) {
        self.script = script
    }

    public var port: Int? { portBox.withLock { $0 } }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port ?? 0)/\(path)" }

    public func start() async throws {
        let router = Router()
        router.post("/:path") { request, context -> Response in
            let path = context.parameters.get("path") ?? ""
            let id = request.headers[HTTPField.Name("webhook-id")!] ?? "missing"
            let now = Date().timeIntervalSince1970
            let earlier = self.arrivals.withLock { list in
                let count = list.count { $0.id == id }
                list.append(Arrival(path: path, id: id, at: now))
                return count
            }
            switch self.script(path, id, earlier) {
            case .ok:
                return Response(status: .ok)
            case .status(let code, let retryAfter):
                var headers = HTTPFields()
                if let retryAfter { headers[HTTPField.Name("Retry-After")!] = String(retryAfter) }
                return Response(status: HTTPResponse.Status(code: code), headers: headers)
            case .hang:
                let deadline = Date().addingTimeInterval(600)
                while !self.released.withLock({ $0 }), Date() < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                return Response(status: .serviceUnavailable)
            }
        }
        var logger = Logger(label: "scripted-receiver")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.portBox.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        task.withLock { $0 = Task { try await app.run() } }
        for _ in 0..<500 where port == nil { try await Task.sleep(for: .milliseconds(10)) }
        guard port != nil else { throw TestSupportFailure("the scripted webhook receiver did not start") }
    }

    /// Answers the hanging requests and stops the server.
    public func stop() {
        released.withLock { $0 = true }
        task.withLock { $0?.cancel() }
    }
}
