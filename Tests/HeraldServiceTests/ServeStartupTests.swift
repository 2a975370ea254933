import ChildProcess
import Foundation
import HeraldTestSupport
import Testing

/// `herald serve` as an operator starts it, when it cannot start: every failure prints one line that
/// says what and how to fix it, and exits with status 1 at once; SIGTERM and SIGINT stop it during
/// start-up too. The real binary, each case in its own directory.
struct ServeStartupTests {
    static let journeys = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Journeys").path

    /// What a finished `herald serve` left: its status, how it ended, its stderr and how long it ran.
    struct Finished {
        var status: Int32
        var signalled: Bool
        var stderr: String
        var seconds: Double
        /// From the signal (when one was sent) to the exit.
        var secondsAfterSignal: Double?
        /// The last non-empty line of stderr: the one that explains the failure.
        var lastLine: String { stderr.split(separator: "\n").last.map(String.init) ?? "" }
    }

    /// Runs `herald serve ARGUMENTS`; `signal` is sent once stderr shows its line, when given. A start-up that
    /// hangs is the failure these tests exist for, so the wait is long (a loaded CI machine) but
    /// bounded: the process is killed after `limit` seconds and the test fails.
    static func serve(
        _ arguments: [String], environment: [String: String] = ["HERALD_API_KEY": "test-key-0123"], in directory: URL,
        signal: (number: Int32, onceLogged: String)? = nil, limit: Double = 60
    ) async throws -> Finished {
        let process = ChildProcess()
        process.executableURL = try HeraldProcess.binary
        process.arguments =
            ["serve", "--port", "0", "--journeys", journeys, "--data", directory.appendingPathComponent("data").path]
            + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stderr = directory.appendingPathComponent("stderr-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        var signalled: Date?
        if let signal {
            // Once the process says it got that far (so it is past setting up its signal handling:
            // a signal sent before that would meet whatever the test process left it as).
            while process.isRunning, Date().timeIntervalSince(started) < limit,
                !((try? String(contentsOf: stderr, encoding: .utf8)) ?? "").contains(signal.onceLogged)
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, signal.number)
            signalled = Date()
        }
        // The limit counts from the signal when there is one: on a loaded machine reaching that
        // line can itself take long.
        let from = signalled ?? started
        while process.isRunning, Date().timeIntervalSince(from) < limit {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("herald serve \(arguments) still ran \(limit) s after \(signalled == nil ? "it started" : "the signal")")
        }
        await HeraldProcess.exit(of: process)
        return Finished(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "", seconds: Date().timeIntervalSince(started),
            secondsAfterSignal: signalled.map { Date().timeIntervalSince($0) })
    }

    static func withDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-startup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    /// The failure exits with status 1 and ends with one `herald: error:` line containing `words`.
    static func expectFailure(_ finished: Finished, saying words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(finished.status == 1 && !finished.signalled, "exit status \(finished.status)", sourceLocation: sourceLocation)
        #expect(finished.lastLine.hasPrefix("herald: error: "), "\(finished.stderr)", sourceLocation: sourceLocation)
        for word in words {
            #expect(finished.lastLine.contains(word), "\(finished.lastLine)", sourceLocation: sourceLocation)
        }
        print("herald serve failed in \(String(format: "%.2f", finished.seconds)) s: \(finished.lastLine)")
    }

    @Test func portInUse() async throws {
        let taken = WebhookReceiver()
        try await taken.start()
        defer { taken.stop() }
        try await Self.withDirectory { directory in
            let finished = try await Self.serve(["--port", "\(taken.port!)"], in: directory)
            Self.expectFailure(finished, saying: ["cannot listen on 127.0.0.1:\(taken.port!)", "address already in use", "--port"])
            #expect(finished.stderr.split(separator: "\n").count == 1, "one line: \(finished.stderr)")
        }
    }

    @Test func dataDirectoryThatCannotBeCreated() async throws {
        try await Self.withDirectory { directory in
            // A file where the data directory should be (a permission test would pass as root).
            let file = directory.appendingPathComponent("occupied")
            try "not a directory".write(to: file, atomically: true, encoding: .utf8)
            let finished = try await Self.serve(["--data", file.appendingPathComponent("data").path], in: directory)
            Self.expectFailure(finished, saying: ["cannot create the data directory", file.path, "not a directory"])
        }
    }

    @Test func databaseInUseByAnotherHerald() async throws {
        try await Self.withDirectory { directory in
            let first = HeraldProcess(
                arguments: ["serve", "--port", "0", "--journeys", Self.journeys, "--data", directory.appendingPathComponent("data").path],
                environment: ["HERALD_API_KEY": "test-key-0123"], logFile: directory.appendingPathComponent("first.log"))
            try await first.start()
            defer { first.killWithoutWaiting() }
            let finished = try await Self.serve([], in: directory)
            Self.expectFailure(finished, saying: ["data directory is in use", "herald.lock", "--data"])
            #expect(first.isRunning, "the running one is untouched")
        }
    }

    @Test(arguments: [
        ("port: [1", "not valid YAML"),
        ("port: eighty", "port"),
        ("storage: mongo", "storage: mongo: expected sqlite or postgres"),
        ("delivery:\n  max_attempts: 0", "delivery.max_attempts must be at least 1"),
        ("storage: postgres", "no URL is set"),
    ])
    func badConfigurationFile(text: String, words: String) async throws {
        try await Self.withDirectory { directory in
            let file = directory.appendingPathComponent("herald.yaml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let finished = try await Self.serve(["--config", file.path], in: directory)
            Self.expectFailure(finished, saying: [words])
            #expect(finished.stderr.split(separator: "\n").count == 1, "one line: \(finished.stderr)")
        }
    }

    @Test func missingConfigurationFileAndNoAPIKey() async throws {
        try await Self.withDirectory { directory in
            let missing = try await Self.serve(["--config", directory.appendingPathComponent("nowhere.yaml").path], in: directory)
            Self.expectFailure(missing, saying: ["cannot read configuration file", "nowhere.yaml", "no such file"])
            let keyless = try await Self.serve([], environment: ["HERALD_API_KEY": ""], in: directory)
            Self.expectFailure(keyless, saying: ["no API key is configured", "HERALD_API_KEY"])
        }
    }

    @Test func refusedJourneys() async throws {
        try await Self.withDirectory { directory in
            let journeys = directory.appendingPathComponent("journeys")
            try FileManager.default.createDirectory(at: journeys, withIntermediateDirectories: true)
            try "journey hello \"hello\"\n  trigger on event \"a\"\n  entry always\n\n  send pigeon note\n".write(
                to: journeys.appendingPathComponent("hello.journey"), atomically: true, encoding: .utf8)
            let finished = try await Self.serve(["--journeys", journeys.path], in: directory)
            Self.expectFailure(finished, saying: ["did not pass the check", journeys.path, "(1 error)"])
            // The diagnostics come first, each as file:line:column.
            #expect(finished.stderr.contains("hello.journey:5:"), "\(finished.stderr)")
        }
    }

    /// A start-up that takes long (PostgreSQL does not answer: `herald serve` keeps trying for 30 s)
    /// still stops at once on SIGTERM and on SIGINT.
    @Test(arguments: [SIGTERM, SIGINT])
    func signalDuringStartUpStops(signal: Int32) async throws {
        try await Self.withDirectory { directory in
            let finished = try await Self.serve(
                [],
                environment: [
                    "HERALD_API_KEY": "test-key-0123", "HERALD_STORAGE": "postgres", "HERALD_POSTGRES_URL": "postgres://herald@127.0.0.1:1/herald",
                ],
                in: directory, signal: (signal, onceLogged: "waiting for PostgreSQL"), limit: 25)
            #expect(finished.signalled && finished.status == signal, "ended by the signal (status \(finished.status), \(finished.stderr))")
            // PostgreSQL would be waited for 30 s: an exit well before that is the signal's doing.
            let latency = try #require(finished.secondsAfterSignal)
            #expect(latency < 10, "stopped \(latency) s after the signal")
            print("herald serve stopped \(String(format: "%.2f", latency)) s after signal \(signal) during start-up")
        }
    }
}
