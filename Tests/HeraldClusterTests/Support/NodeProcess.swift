import Foundation
import Synchronization

/// One `herald serve` node of the test cluster, started, killed, paused and resumed by the test.
final class NodeProcess: @unchecked Sendable {
    let name: String
    let arguments: [String]
    let environment: [String: String]
    let logFile: URL
    private var process: Process?
    private(set) var port: Int = 0

    init(name: String, arguments: [String], environment: [String: String], logFile: URL) {
        self.name = name
        self.arguments = arguments
        self.environment = environment
        self.logFile = logFile
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
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

    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Starts the node and waits for its "listening" line.
    func start() async throws {
        let process = Process()
        process.executableURL = try Self.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe()
        process.standardOutput = stdout
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        self.process = process
        let reader = stdout.fileHandleForReading
        let deadline = Date().addingTimeInterval(60)
        var buffer = ""
        var found: Int?
        while Date() < deadline, found == nil {
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
                found = port
            }
        }
        guard let found else {
            process.terminate()
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            throw Failure("\(name) did not start:\n\(buffer)\n\(log.suffix(3000))")
        }
        port = found
        reader.readabilityHandler = { handle in _ = handle.availableData }
    }

    /// `kill -9`: no chance to finish or give anything back.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGSTOP: the process freezes mid-flight, holding whatever it had read and claimed.
    func pause() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGSTOP)
    }

    /// SIGCONT: it carries on as if nothing happened, with leases that meanwhile lapsed.
    func resume() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGCONT)
    }

    /// SIGTERM and wait for a graceful exit.
    @discardableResult
    func terminate() -> Int32 {
        guard let process else { return 0 }
        Foundation.kill(process.processIdentifier, SIGCONT)
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }
}
