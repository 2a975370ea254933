import ChildProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Child processes of the benchmarks (nginx, wrk, pgbench, the PostgreSQL cluster script) and
/// loopback ports. DeliveryBench keeps its own copies (it is compiled only with HeraldChannels).
enum BenchProcesses {
    static func which(_ name: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"]
        where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
            return dir + "/" + name
        }
        return nil
    }

    /// Runs to completion; returns standard output, or throws with the end of standard error when
    /// it fails. Spawned with posix_spawn and reaped with waitpid rather than Foundation's
    /// `Process`, whose `waitUntilExit` on Linux does not return while a daemon the command started
    /// (the PostgreSQL cluster script's server) still holds a descriptor it inherited.
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-\(getpid())-\(UUID().uuidString)").path
        let outputPath = scratch + ".out"
        let errorPath = scratch + ".err"
        defer {
            unlink(outputPath)
            unlink(errorPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        // The child starts with no blocked signals and default handlers (the spawning thread's mask
        // is not the child's business: pgbench -T waits for a SIGALRM).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard exitCode == 0 else {
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            let detail = errors.split(separator: "\n").suffix(3).joined(separator: " / ")
            throw BenchError("\(path) \(arguments.prefix(2).joined(separator: " ")) exited with \(exitCode): \(detail)")
        }
        return output
    }

    static func freePort() throws -> Int {
        let output = try run(
            "/usr/bin/env", ["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
        guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw BenchError("no free port") }
        return port
    }

    static func waitForPort(_ port: Int) async throws {
        for _ in 0..<100 {
            if (try? run("/usr/bin/env", ["python3", "-c", "import socket; socket.create_connection(('127.0.0.1',\(port)),0.2)"])) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("nothing listens on port \(port)")
    }

    /// `wrk` with a Lua script: requests/s, the requests completed and the number of non-2xx/3xx
    /// responses.
    static func wrk(
        _ wrk: String, threads: Int, connections: Int, seconds: Int, script: String, url: String, scriptArguments: [String] = []
    )
        throws -> (requestsPerSecond: Double, failures: Int, output: String, requests: Int)
    {
        var arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "-s", script, url]
        if !scriptArguments.isEmpty { arguments += ["--"] + scriptArguments }
        let output = try run(wrk, arguments)
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
            let rate = Double(line.split(separator: " ").last ?? "")
        else { throw BenchError("could not read wrk's rate from: \(output)") }
        var failures = 0
        if let line = output.split(separator: "\n").first(where: { $0.contains("Non-2xx or 3xx responses:") }) {
            failures = Int(line.split(separator: " ").last ?? "") ?? 0
        }
        if let line = output.split(separator: "\n").first(where: { $0.contains("Socket errors:") }) {
            // "Socket errors: connect 0, read 0, write 0, timeout 3"
            failures += line.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }.reduce(0, +)
        }
        // "  123456 requests in 10.00s, 12.34MB read"
        let requests =
            output.split(separator: "\n").first(where: { $0.contains(" requests in ") }).flatMap {
                Int($0.split(separator: " ", omittingEmptySubsequences: true).first ?? "")
            } ?? 0
        return (rate, failures, output, requests)
    }

    /// A loopback nginx answering every request with 200 and `answering` (a receiver fast enough
    /// not to be what a benchmark measures), running for the duration of `body`, which gets its
    /// base URL (`http://127.0.0.1:PORT`).
    static func withNginx<T>(
        _ nginx: String, directory: String, answering response: String, _ body: (String) async throws -> T
    ) async throws -> T {
        let port = try freePort()
        let prefix = directory + "/nginx"
        for sub in ["/body", "/proxy"] { try FileManager.default.createDirectory(atPath: prefix + sub, withIntermediateDirectories: true) }
        try """
        worker_processes 1;
        daemon off;
        pid \(prefix)/nginx.pid;
        error_log \(prefix)/error.log;
        events { worker_connections 1024; }
        http {
          access_log off;
          client_body_temp_path \(prefix)/body;
          proxy_temp_path \(prefix)/proxy;
          client_max_body_size 4m;
          client_body_buffer_size 64k;
          keepalive_requests 1000000;
          server {
            listen 127.0.0.1:\(port);
            location / { return 200 '\(response)'; }
          }
        }
        """.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        let server = ChildProcess()
        server.executableURL = URL(fileURLWithPath: nginx)
        server.arguments = ["-p", prefix, "-c", prefix + "/nginx.conf"]
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        try await waitForPort(port)
        return try await body("http://127.0.0.1:\(port)")
    }
}
