import Foundation
import Testing

@testable import HeraldChannels

struct CurlTransportTests {
    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let request = TransportRequest(
                url: server.url("/hangx1/slow"), payload: .http(method: "POST", headers: [("Idempotency-Key", "c1")], body: Array("{}".utf8)))
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
                let response = try await transport.execute(
                    TransportRequest(url: server.url("/ok/\(index)"), payload: .http(method: "POST", headers: [], body: Array("{}".utf8))))
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
