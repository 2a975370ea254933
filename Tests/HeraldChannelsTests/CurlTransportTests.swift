import Foundation
import Testing

@testable import HeraldChannels

struct CurlTransportTests {
    /// The server holds `/hangx1/` for 30 s. The test cancels once the server has the request (not
    /// after a guessed sleep), and needs no wall-clock bound: had the cancellation not aborted the
    /// transfer, it would end in a 200 answer after 30 s, not in a `.cancelled` error.
    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let request = TransportRequest(
                url: server.url("/hangx1/slow"), payload: .http(method: "POST", headers: [("Idempotency-Key", "c1")], body: Array("{}".utf8)))
            let task = Task { try await transport.execute(request) }
            let arrived = try await eventually(timeout: 60) { try await !server.received(under: "/hangx1/", transport: transport).isEmpty }
            try #require(arrived, "the request never reached the server")
            task.cancel()
            let error = try await #require(throws: TransportError.self) { try await task.value }
            #expect(error.kind == .cancelled)
            // The loop is not stuck on the aborted transfer: the next request goes through.
            let next = try await transport.execute(
                TransportRequest(url: server.url("/ok/after"), payload: .http(method: "POST", headers: [], body: Array("{}".utf8))))
            #expect(next.status == 200)
        }
    }

    /// A task cancelled before its transfer reaches the loop fails with `.cancelled` (the loop finishes
    /// it on arrival) and sends nothing.
    @Test func cancellingBeforeTheTransferStartsSendsNothing() async throws {
        try await TestServer.with("provider_server.py") { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let request = TransportRequest(url: server.url("/ok/never"), payload: .http(method: "POST", headers: [], body: Array("{}".utf8)))
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await transport.execute(request)
            }
            let error = try await #require(throws: TransportError.self) { try await task.value }
            #expect(error.kind == .cancelled)
            #expect(try await server.received(under: "/ok/never", transport: transport).isEmpty)
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

    /// Header lines are kept raw and parsed when asked: trimmed as before, a line without a colon
    /// dropped, and only the last response's headers kept (after a 100 Continue, say).
    @Test func headerLinesParseIntoTheLastResponsesHeaders() {
        let transfer = CurlTransfer(request: TransportRequest(url: "http://127.0.0.1/", payload: .http(method: "GET", headers: [], body: [])))
        let lines = [
            "HTTP/1.1 100 Continue\r\n", "Dropped: with the interim response\r\n", "\r\n", "HTTP/1.1 301 Moved Permanently\r\n",
            "Location:  /next \r\n", "X-Empty:\r\n", "\tfolded: value\r\n", "no colon here\r\n", "Set-Cookie: a=b; c=d\r\n",
            "Retry-After:\t120\n", "\r\n",
        ]
        for line in lines {
            Array(line.utf8).withUnsafeBytes { transfer.appendHeaderLine($0) }
        }
        let response = TransportResponse(
            status: 301, headerLines: transfer.headerLines, body: [], serverReplies: [], retryAfterSeconds: nil, remoteAddress: nil,
            newConnections: 0)
        #expect(
            response.headers.map { "\($0.name)=\($0.value)" } == [
                "Location=/next", "X-Empty=", "folded=value", "Set-Cookie=a=b; c=d", "Retry-After=120",
            ])
        #expect(response.header("location") == "/next")
        #expect(response.header("Dropped") == nil)
    }
}
