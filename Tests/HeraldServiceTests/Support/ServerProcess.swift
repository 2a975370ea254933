import Foundation
import Synchronization

/// A real `herald serve` process, started and stopped by the test.
final class ServerProcess: @unchecked Sendable {
    let arguments: [String]
    let environment: [String: String]
    private var process: Process?
    private(set) var port: Int = 0
    let logFile: URL

    init(arguments: [String], environment: [String: String], logFile: URL) {
        self.arguments = arguments
        self.environment = environment
        self.logFile = logFile
    }

    /// The `herald` binary built next to the tests (`swift build --build-tests` builds it).
    static var binary: URL {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            for configuration in ["debug", "release"] {
                let candidate = root.appendingPathComponent(".build/\(configuration)/herald")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw Failure("the herald binary is not built: run `swift build --product herald` first")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Starts the server and waits for its "listening" line.
    func start() async throws {
        let process = Process()
        process.executableURL = try Self.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe()
        process.standardOutput = stdout
        if !FileManager.default.fileExists(atPath: logFile.path) {
            FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        process.standardError = log
        try process.run()
        self.process = process
        let found = Mutex<Int?>(nil)
        let reader = stdout.fileHandleForReading
        let deadline = Date().addingTimeInterval(30)
        var buffer = ""
        while Date() < deadline {
            let data = reader.availableData
            if data.isEmpty {
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            buffer += String(decoding: data, as: UTF8.self)
            if let range = buffer.range(of: "listening on http://127.0.0.1:"),
                let line = buffer[range.upperBound...].split(separator: "\n").first, let port = Int(line)
            {
                found.withLock { $0 = port }
                break
            }
        }
        guard let port = found.withLock({ $0 }) else {
            process.terminate()
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            throw Failure("herald serve did not start:\n\(buffer)\n\(log.suffix(3000))")
        }
        self.port = port
        // Keep draining stdout so the child never blocks on a full pipe.
        reader.readabilityHandler = { handle in _ = handle.availableData }
    }

    /// `kill -9`: no chance to finish anything.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM and wait for a graceful exit; returns the exit status.
    @discardableResult
    func terminate() -> Int32 {
        guard let process else { return 0 }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }
}
