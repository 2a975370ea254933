public import ChildProcess
public import Foundation

/// One run of the `herald` binary as a user runs it: arguments, working directory, environment,
/// and what it printed on standard output and standard error, with its exit status.
public struct HeraldCommand: Sendable {
    public struct Result: Sendable, CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Whether the process was killed because it ran past the run's time limit.
        public var timedOut: Bool
        public var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// The package root (where `Journeys/` and `scripts/` are).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `herald ARGUMENTS` in `directory` and waits for it to exit. Output goes to files (no
    /// pipe can fill up); `timeLimit` is a generous guard against a hung process, not a bound the
    /// test asserts.
    public static func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:], stdin: String? = nil,
        timeLimit: Double = 300
    ) async throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout")
        let err = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = ChildProcess()
        process.executableURL = try HeraldProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? packageRoot
        var env = ProcessInfo.processInfo.environment
        // The tests' own settings must not leak into the command under test.
        for key in env.keys where key.hasPrefix("HERALD_") { env[key] = nil }
        process.environment = env.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        if let stdin {
            let input = scratch.appendingPathComponent("stdin")
            try stdin.write(to: input, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let exited = Locked(false)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in
                exited.withLock { $0 = true }
                continuation.resume()
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit) {
                if !exited.withLock({ $0 }) { kill(pid, SIGKILL) }
            }
        }
        let killedByLimit = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
            timedOut: killedByLimit)
    }
}
