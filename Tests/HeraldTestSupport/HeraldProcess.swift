public import ChildProcess
public import Foundation

/// A real `herald serve` process (the binary built next to the tests), started, killed, frozen,
/// thawed and stopped by a test. Its stderr is appended to `logFile` across restarts.
public final class HeraldProcess: @unchecked Sendable {
    public let name: String
    public let arguments: [String]
    public let environment: [String: String]
    public let logFile: URL
    private var process: ChildProcess?
    public private(set) var port: Int = 0

    public init(name: String = "herald serve", arguments: [String], environment: [String: String], logFile: URL) {
        self.name = name
        self.arguments = arguments
        self.environment = environment
        self.logFile = logFile
    }

    /// The `herald` binary built next to the tests (`swift build --build-tests` builds it).
    public static var binary: URL {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            for configuration in ["debug", "release"] {
                let candidate = root.appendingPathComponent(".build/\(configuration)/herald")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw TestSupportFailure("the herald binary is not built: run `swift build --product herald` first")
        }
    }

    public var pid: Int32 { process?.processIdentifier ?? 0 }
    public var isRunning: Bool { process?.isRunning ?? false }

    /// Starts the process and waits (up to `timeout` seconds) for its "listening" line.
    public func start(timeout: Double = 180) async throws {
        let process = ChildProcess()
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
        // Read stdout as it comes (a blocking read would make the deadline useless when the
        // process prints nothing), and keep draining it so the child never blocks on a full pipe.
        let output = Locked("")
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        let deadline = Date().addingTimeInterval(timeout)
        var found: Int?
        while Date() < deadline, found == nil {
            let buffer = output.withLock { $0 }
            // The whole line, so that a port read half-way is not taken for another.
            if let range = buffer.range(of: "listening on http://127.0.0.1:"),
                let end = buffer[range.upperBound...].firstIndex(of: "\n"), let port = Int(buffer[range.upperBound..<end])
            {
                found = port
            } else if !process.isRunning {
                break
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        guard let found else {
            process.terminate()
            let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            throw TestSupportFailure("\(name) did not start:\n\(output.withLock { $0 })\n\(text.suffix(3000))")
        }
        port = found
    }

    /// `kill -9`: no chance to finish or give anything back.
    public func kill() async {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        await Self.exit(of: process)
        self.process = nil
    }

    /// Waits for `process` to end without holding a thread of the test's cooperative pool (a
    /// blocking `waitUntilExit` holds one of only two on this machine, and a `herald serve`
    /// that is stopping may be waiting on a receiver that runs in that pool).
    public static func exit(of process: ChildProcess) async {
        while process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// SIGSTOP: the process freezes mid-flight, holding whatever it had read and claimed.
    public func freeze() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGSTOP)
    }

    /// SIGCONT: it carries on as if nothing happened, with leases that meanwhile lapsed.
    public func thaw() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGCONT)
    }

    /// SIGHUP: `herald serve` reloads its journeys.
    public func hangUp() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGHUP)
    }

    /// The log so far (stderr of every run of this process).
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM (after SIGCONT, in case it is frozen) and wait for the exit; returns its status.
    @discardableResult
    public func terminate() async -> Int32 {
        guard let process else { return 0 }
        Foundation.kill(process.processIdentifier, SIGCONT)
        process.terminate()
        await Self.exit(of: process)
        self.process = nil
        return process.terminationStatus
    }

    /// SIGKILL without waiting, for `defer` blocks (which cannot wait): the process is gone soon.
    public func killWithoutWaiting() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGCONT)
        Foundation.kill(process.processIdentifier, SIGKILL)
    }
}
