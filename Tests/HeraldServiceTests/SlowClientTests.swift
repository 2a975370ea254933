import ChildProcess
import Foundation
import HTTPTypes
import HeraldService
import HeraldTestSupport
import Hummingbird
import JourneyEngine
import Logging
import Testing

/// Slow, half-open and oversized clients against the real server on loopback sockets: they are
/// timed out and closed, the connection limit holds, `/healthz` keeps answering, and an
/// oversized body gets its 413 whatever the client does.
struct SlowClientTests {
    static let key = TestServer.apiKey

    /// A request head with the API key and a body of `length` bytes announced.
    static func head(length: Int, close: Bool = false) -> String {
        "POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(length)\r\n\(close ? "Connection: close\r\n" : "")\r\n"
    }

    @Test func slowAndHalfOpenClientsAreClosedAndHealthKeepsAnswering() async throws {
        // Idle 2 s, not 1: on a loaded machine a client can take a second between connecting and
        // writing its request, and the server rightly closes it (the health check saw a reset).
        try await TestServer.withServer(configure: {
            $0.limits.idleTimeoutSeconds = 2
            $0.limits.bodyTimeoutSeconds = 4
        }) { port, _ in
            var silent: [RawConnection] = []
            var partialHead: [RawConnection] = []
            var partialBody: [RawConnection] = []
            for _ in 0..<100 {
                silent.append(try RawConnection(port: port))
                let head = try RawConnection(port: port)
                await head.send("POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthoriz")  // before the API key
                partialHead.append(head)
                let body = try RawConnection(port: port)
                await body.send(Self.head(length: 100) + #"{"customer_id": "#)
                partialBody.append(body)
            }
            // A body that trickles faster than the idle timeout but never ends: only the body deadline stops it.
            let trickle = try RawConnection(port: port)
            await trickle.send(Self.head(length: 1_000))
            let trickling = Task {
                while !trickle.closedByPeer {
                    await trickle.send(" ")
                    trickle.poll()
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }

            #expect(try await HTTPCall.send(port: port, .get, "/healthz", apiKey: nil).status == 200, "health answers while they are held")

            for (name, group) in [("silent", silent), ("partial head", partialHead), ("partial body", partialBody)] {
                var open = 0
                for connection in group {
                    if !(await connection.waitUntilClosed(timeout: 30)) { open += 1 }
                }
                #expect(open == 0, "\(open) \(name) connections are still open")
            }
            #expect(partialHead.allSatisfy { $0.received.isEmpty }, "a head that never ends gets no answer, just the close")
            #expect(await trickle.waitUntilClosed(timeout: 30), "a body still trickling at its deadline is cut off")
            await trickling.value
            #expect(try await HTTPCall.send(port: port, .get, "/healthz", apiKey: nil).status == 200, "and after they are closed")
        }
    }

    @Test func connectionsBeyondTheLimitWaitForAFreeSlot() async throws {
        try await Self.withRunningServer(configure: {
            $0.limits.idleTimeoutSeconds = 3
            $0.limits.maxConnections = 8
        }) { port in
            // Eight keep-alive connections, each answered once (so the server has surely accepted them), then idle.
            var held: [RawConnection] = []
            for _ in 0..<8 {
                let connection = try RawConnection(port: port)
                await connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(await connection.waitForStatus(timeout: 30) == 200)
                held.append(connection)
            }
            let late = try RawConnection(port: port)
            await late.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            var firstClose: Int?
            var answered: Int?
            for round in 0..<3_000 where answered == nil {
                for connection in held { connection.poll() }
                if firstClose == nil, held.contains(where: \.closedByPeer) { firstClose = round }
                late.poll()
                if late.statusCode != nil { answered = round }
                try await Task.sleep(for: .milliseconds(10))
            }
            let answerRound = try #require(answered, "the ninth connection is answered once a slot frees")
            #expect(late.statusCode == 200)
            let closeRound = try #require(firstClose, "an idle connection was closed first")
            #expect(closeRound <= answerRound, "the ninth was served only after an idle one was closed")
        }
    }

    /// Python's urllib sends `Connection: close` and the whole body before it reads the answer;
    /// http.client (keep-alive) does the same without the header. Both must get the 413.
    @Test(arguments: [true, false])
    func oversizedBodiesGetTheir413EvenFromClientsThatSendItAllFirst(connectionClose: Bool) async throws {
        // Deadlines far off: this is about the answer, not about timeouts (and the machine may be loaded).
        try await TestServer.withServer(configure: {
            $0.limits.maxBodyBytes = 64 * 1024
            $0.limits.bodyTimeoutSeconds = 300
            $0.limits.idleTimeoutSeconds = 300
        }) { port, server in
            let script = """
                import sys, urllib.request, urllib.error, http.client
                port, key, close = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "close"
                body = b"[" + b" " * (32 * 1024 * 1024) + b"]"
                headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
                if close:
                    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/events", data=body, headers=headers, method="POST")
                    try:
                        urllib.request.urlopen(request, timeout=120)
                        print("no error")
                    except urllib.error.HTTPError as error:
                        print(error.code, error.headers.get("Connection"), error.read().decode())
                else:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    connection.request("POST", "/v1/events", body=body, headers=headers)
                    response = connection.getresponse()
                    print(response.status, response.getheader("Connection"), response.read().decode())
                """
            let (status, output) = try await Self.python(script, arguments: ["\(port)", Self.key, connectionClose ? "close" : "keep"])
            #expect(status == 0, "the client finished: \(output)")
            #expect(output.hasPrefix("413 close "), "\(output)")
            #expect(output.contains("body_too_large"))
            let statistics = try await server.store.statistics(now: Date().timeIntervalSince1970)
            #expect(statistics.pendingInbox == 0)
            #expect(try await HTTPCall.send(port: port, .get, "/healthz", apiKey: nil).status == 200)
        }
    }

    @Test func anEarlyAnswerIsReadByAClientThatSendsEverythingFirstOnARawSocket() async throws {
        try await TestServer.withServer(configure: {
            $0.limits.maxBodyBytes = 1_024
            $0.limits.bodyTimeoutSeconds = 300
            $0.limits.idleTimeoutSeconds = 300
        }) { port, _ in
            let connection = try RawConnection(port: port)
            let body = [UInt8](repeating: UInt8(ascii: " "), count: 16 * 1024 * 1024)
            // Sends head and body in full before reading anything, as urllib does.
            #expect(await connection.send(Self.head(length: body.count, close: true)))
            #expect(await connection.send(body), "the server reads the whole body instead of leaving the client stuck")
            #expect(await connection.waitForStatus(timeout: 120) == 413)
            #expect(await connection.waitUntilClosed(timeout: 30))
            #expect(connection.text.contains("body_too_large"))
        }
    }

    @Test func pipelinedRequestsAreAllAnsweredOnOneConnection() async throws {
        try await TestServer.withServer { port, _ in
            let connection = try RawConnection(port: port)
            let bodies = (1...3).map { #"{"id": "pipe-\#($0)", "customer_id": "pipe", "name": "ping"}"# }
            // All three requests in one write, before any answer: HTTP/1 answers them in order.
            await connection.send(bodies.map { Self.head(length: $0.utf8.count) + $0 }.joined())
            var answers = 0
            for _ in 0..<3_000 where answers < 3 {
                connection.poll()
                answers = connection.text.components(separatedBy: "HTTP/1.1 202").count - 1
                if connection.closedByPeer { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(answers == 3, "\(connection.text)")
            #expect(!connection.text.lowercased().contains("connection: close"))
            #expect(!connection.closedByPeer)
        }
    }

    /// The server as `herald serve` runs it (hummingbird's live test harness rebuilds the
    /// application configuration and drops the connection limit, so this runs the application itself).
    static func withRunningServer(
        configure: (inout ServiceConfiguration) -> Void, _ body: @escaping @Sendable (_ port: Int) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-slow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configuration.apiKeys = [key]
        let journeys = directory.appendingPathComponent("journeys")
        try JourneyFixture.service.write(to: journeys)
        configuration.journeys = journeys.path
        configuration.delivery.outboxFolder = directory.appendingPathComponent("outbox").path
        configure(&configuration)
        var logger = Logger(label: "herald-test")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = try await HeraldServer.make(
            configuration: configuration, store: try TestServer.openStore(in: directory), delivery: ScriptedDelivery(), logger: logger,
            onListening: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.application.runService() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            defer { group.cancelAll() }
            try await body(port)
        }
    }

    /// Runs `python3 -c script arguments…` without blocking the cooperative threads.
    static func python(_ script: String, arguments: [String]) async throws -> (Int32, String) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in
                let data = output.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
