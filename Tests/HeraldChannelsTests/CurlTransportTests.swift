import Foundation
import Testing

@testable import HeraldChannels

struct CurlTransportTests {
    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let request = TransportRequest(url: server.url("/hangx1/slow"), payload: .http(method: "POST", headers: [("Idempotency-Key", "c1")], body: Array("{}".utf8)))
            let start = ContinuousClock.now
            let task = Task { try await transport.execute(request) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let error = try await #require(throws: TransportError.self) { try await task.value }
            #expect(error.kind == .cancelled)
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    @Test func shutdownFailsNewAndPendingTransfers() async throws {
        let transport = CurlTransport()
        transport.shutdown()
        let error = try await #require(throws: TransportError.self) {
            try await transport.execute(TransportRequest(url: "http://127.0.0.1:9/", payload: .http(method: "GET", headers: [], body: [])))
        }
        #expect(error.kind == .shutdown)
    }

    @Test func keepAliveConnectionsAreReused() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            var newConnections = 0
            for index in 0..<5 {
                let response = try await transport.execute(TransportRequest(url: server.url("/ok/\(index)"), payload: .http(method: "POST", headers: [], body: Array("{}".utf8))))
                #expect(response.status == 200)
                newConnections += response.newConnections
            }
            #expect(newConnections == 1)
        }
    }

    @Test func oversizedResponsesFail() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            var request = TransportRequest(url: server.url("/_received"), payload: .http(method: "GET", headers: [], body: []))
            request.maxResponseBytes = 1
            let error = try await #require(throws: TransportError.self) { try await transport.execute(request) }
            #expect(error.kind == .responseTooLarge)
        }
    }
}

/// The example message shipped with the tests renders for the example customer on every channel.
struct ExampleMessageTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test(arguments: ChannelKind.allCases)
    func welcomeRendersOnEveryChannel(channel: ChannelKind) throws {
        let renderer = MessageRenderer(journeysDirectory: Self.fixtures.appendingPathComponent("Journeys").path)
        let customer = try TemplateValue(json: String(contentsOf: Self.fixtures.appendingPathComponent("customer.json"), encoding: .utf8))
        guard case .object(let profile) = customer else { Issue.record("customer.json is not an object"); return }
        let content = try renderer.render("welcome", for: channel, context: TemplateContext(customer: profile, event: ["coupon": ["code": "HELLO10", "percent": 10]], journey: ["name": "welcome", "version": 1, "step": "intro"]))
        #expect(content.channel == channel)
        #expect(try renderer.variableNames(for: "welcome").contains("customer.first_name"))
    }
}
