public import ChildProcess
public import Foundation
import HTTPTypes

/// One of the Python test servers of `Tests/HeraldChannelsTests/Servers` (`smtp_server.py`, on
/// aiosmtpd; `provider_server.py`, an HTTP email/SMS provider and webhook receiver) on a free
/// loopback port, for tests outside the channel tests (the service sending through real channels).
public final class PythonServer: @unchecked Sendable {
    public let port: Int
    private let process: ChildProcess
    /// The server exits when this pipe closes, even if the test process dies.
    private let lifeline: Pipe

    private init(process: ChildProcess, lifeline: Pipe, port: Int) {
        self.process = process
        self.lifeline = lifeline
        self.port = port
    }

    public static let serversDirectory = HeraldCommand.packageRoot.appendingPathComponent("Tests/HeraldChannelsTests/Servers")

    /// Starts `script` with `arguments` and waits for its "READY <port>" line.
    public static func start(_ script: String, _ arguments: [String] = []) async throws -> PythonServer {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", serversDirectory.appendingPathComponent(script).path] + arguments
        let output = Pipe()
        let lifeline = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        // Read the "READY <port>" line off the cooperative pool.
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let data = output.fileHandleForReading.readData(ofLength: 1)
                    if data.isEmpty || data.first == 0x0a { break }
                    bytes.append(contentsOf: data)
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
        guard line.hasPrefix("READY "), let port = Int(line.dropFirst(6)) else {
            process.terminate()
            try? lifeline.fileHandleForWriting.close()
            throw TestSupportFailure("\(script) did not start (is python3 with aiosmtpd installed? run scripts/install-deps.sh): \(line)")
        }
        return PythonServer(process: process, lifeline: lifeline, port: port)
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Stops the server without waiting for it.
    public func stop() {
        if process.isRunning { process.terminate() }
        try? lifeline.fileHandleForWriting.close()
    }

    /// What `provider_server.py` recorded (`GET /_received`): one JSON object per request.
    public func received() async throws -> [[String: Any]] {
        let reply = try await HTTPCall.send(port: port, .get, "/_received", apiKey: nil)
        return (try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [[String: Any]]) ?? []
    }
}
