import ChildProcess
import Foundation
import Testing

/// The spawner every process-running test relies on: what the child gets (arguments, environment,
/// directory, standard streams, signals at their defaults, no inherited descriptors) and what the
/// test learns of its end.
struct ChildProcessTests {
    /// Runs `/bin/sh -c SCRIPT` and returns its status, reason and standard output.
    static func shell(
        _ script: String, environment: [String: String]? = nil, in directory: URL? = nil
    ) async throws -> (status: Int32, reason: ChildProcess.TerminationReason, output: String) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = environment
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        await process.exited()
        return (process.terminationStatus, process.terminationReason, output)
    }

    @Test func exitStatusArgumentsEnvironmentAndDirectory() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath()
        let run = try await Self.shell(#"echo "$GREETING"; pwd; exit 3"#, environment: ["GREETING": "hello there"], in: directory)
        #expect(run.status == 3)
        #expect(run.reason == .exit)
        #expect(run.output == "hello there\n\(directory.path)\n")
    }

    @Test func aSignalEndsItAndIsReportedAsTheSignal() async throws {
        let run = try await Self.shell("kill -TERM $$; sleep 5")
        #expect(run.reason == .uncaughtSignal)
        #expect(run.status == SIGTERM)
    }

    /// The test process ignores SIGPIPE and may block signals on the spawning thread; the child
    /// must start with every signal at its default and none blocked, or SIGTERM does not stop it.
    @Test func theChildStartsWithDefaultSignals() async throws {
        let run = try await Self.shell("grep -E '^(SigBlk|SigIgn):' /proc/self/status")
        func mask(_ name: String) -> UInt64? {
            run.output.split(separator: "\n").first { $0.hasPrefix("\(name):") }
                .flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
        }
        let blocked = try #require(mask("SigBlk"), "\(run.output)")
        let ignored = try #require(mask("SigIgn"), "\(run.output)")
        // Bit n-1 stands for signal n (glibc's own real-time signals, 32 and 33, may stay ignored).
        for signal in [SIGHUP, SIGINT, SIGPIPE, SIGTERM, SIGCHLD] {
            #expect(blocked & (1 << UInt64(signal - 1)) == 0, "signal \(signal) is blocked: \(run.output)")
            #expect(ignored & (1 << UInt64(signal - 1)) == 0, "signal \(signal) is ignored: \(run.output)")
        }
    }

    /// Descriptors this process has open (a listening socket, a file) are not the child's.
    @Test func theChildInheritsNoDescriptorAboveTheStandardThree() async throws {
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("child-fd-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let open = try FileHandle(forWritingTo: file)
        defer { try? open.close() }
        // `ls` itself opens one descriptor to read the directory, the lowest free one: 3.
        let run = try await Self.shell("ls /proc/self/fd | sort -n | tr '\\n' ' '")
        let descriptors = run.output.split(separator: " ").compactMap { Int($0) }
        #expect(open.fileDescriptor > 2)
        #expect(descriptors == [0, 1, 2, 3], "\(run.output)")
    }

    @Test func aMissingExecutableIsAnErrorAndNothingRuns() throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/nonexistent/herald-\(UUID().uuidString)")
        #expect(throws: ChildProcess.SpawnError.self) { try process.run() }
        #expect(!process.isRunning)
    }

    @Test func terminationHandlerRunsOnceWithTheEndedProcess() async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 7"]
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { ended in continuation.resume(returning: ended.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        #expect(status == 7)
        #expect(!process.isRunning)
    }
}
