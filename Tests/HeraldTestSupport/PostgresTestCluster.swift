public import ChildProcess
public import Foundation

/// A PostgreSQL server of the test's own (`scripts/postgres-test-cluster.sh`), which the test can
/// stop and start again under a running service. The shared cluster of `HERALD_TEST_POSTGRES_URL`
/// cannot be used for that: other suites use it at the same time.
public final class PostgresTestCluster: Sendable {
    public let directory: URL
    /// The `postgres` database's URL, as the herald superuser.
    public let url: String

    private init(directory: URL, url: String) {
        self.directory = directory
        self.url = url
    }

    /// Whether PostgreSQL's server programs are installed here (`make deps` installs them).
    public static var serverInstalled: Bool {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        if versions.contains(where: { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/pg_ctl") }) { return true }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/pg_ctl") }
    }

    /// Why a test of its own cluster is left out of this run (under `CI=true` it runs, and fails).
    public static let skipReason =
        "skipped: PostgreSQL's server programs (pg_ctl) are not installed; run `make deps` (under CI=true this fails instead)"

    static var script: String { HeraldCommand.packageRoot.appendingPathComponent("scripts/postgres-test-cluster.sh").path }

    /// Creates and starts a cluster in a fresh directory.
    public static func start() async throws -> PostgresTestCluster {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("herald-pg-own-\(UUID().uuidString.prefix(8))")
        let output = try await run(["start", directory.path])
        guard let url = output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgres://") else {
            throw TestSupportFailure("postgres-test-cluster.sh start printed no URL: \(output)")
        }
        return PostgresTestCluster(directory: directory, url: url)
    }

    /// A fast shutdown: connections are closed, the data stays.
    public func halt() async throws { _ = try await Self.run(["halt", directory.path]) }

    /// Starts the halted server again on the same port.
    public func resume() async throws { _ = try await Self.run(["resume", directory.path]) }

    /// Stops the server and removes its directory.
    public func destroy() async { _ = try? await Self.run(["stop", directory.path]) }

    @discardableResult
    static func run(_ arguments: [String]) async throws -> String {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("herald-pgctl-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: scratch.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: scratch) }
        process.standardOutput = try FileHandle(forWritingTo: scratch)
        process.standardError = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let output = (try? String(contentsOf: scratch, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw TestSupportFailure("postgres-test-cluster.sh \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(output)")
        }
        return output
    }
}
