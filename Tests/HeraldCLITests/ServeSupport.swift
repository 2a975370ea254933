import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// A `herald serve` process for one test: its own data, outbox and log in a scratch folder.
struct Served {
    static let apiKey = "serve-key-0123"
    let process: HeraldProcess
    let scratch: Scratch
    var port: Int { process.port }

    /// Starts `herald serve` on a free port with `arguments` added (journeys default to the examples).
    static func start(
        _ scratch: Scratch, journeys: String = Paths.journeys.path, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> Served {
        let process = HeraldProcess(
            arguments: [
                "serve", "--port", "0", "--journeys", journeys, "--data", scratch.file("data"), "--outbox", scratch.file("outbox"),
            ] + arguments,
            environment: ["HERALD_API_KEY": apiKey, "HERALD_LOG_LEVEL": "notice"].merging(environment) { $1 },
            logFile: scratch.url.appendingPathComponent("server.log"))
        try await process.start(timeout: 180)
        return Served(process: process, scratch: scratch)
    }

    func call(_ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> HTTPCall.Reply {
        try await HTTPCall.send(port: port, method, path, body: body, apiKey: Self.apiKey)
    }

    /// A customer's stored view (`GET /v1/customers/ID`), or nil when there is none (yet).
    func customer(_ id: String) async throws -> Value? {
        let reply = try await call(.get, "/v1/customers/\(id)")
        return reply.status == 200 ? reply.json : nil
    }

    /// The versions of the deployed journeys, by name.
    func journeyVersions() async throws -> [String: String] {
        let reply = try await call(.get, "/v1/journeys")
        var versions: [String: String] = [:]
        for journey in reply.json?["journeys"].array ?? [] {
            if let name = journey["name"].string, let version = journey["version"].string { versions[name] = version }
        }
        return versions
    }

    /// SIGTERM and the exit status.
    @discardableResult
    func stop() async -> Int32 { await process.terminate() }
}

/// An `order.completed` event (the example journeys confirm it by email, and by SMS when the
/// customer has a phone number).
func orderCompleted(id: String, customer: String) -> String {
    #"{"id":"\#(id)","customer_id":"\#(customer)","name":"order.completed","properties":{"order_id":"o-\#(id)","total":20,"items":1}}"#
}
