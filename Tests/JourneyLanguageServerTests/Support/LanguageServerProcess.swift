import ChildProcess
import Foundation
import JourneyLanguageServer
import Testing

/// The real `herald lsp` binary (built next to the tests), spoken to over its stdin and stdout as
/// an editor does. Every byte it writes on stdout must be a well-framed JSON-RPC message: anything
/// else is recorded in `stdoutProblems`.
final class LanguageServerProcess: @unchecked Sendable {
    private let process = ChildProcess()
    private let stdin = Pipe()
    private let stdout = Pipe()
    private let lock = NSLock()
    private var received: [JSONValue] = []
    private var problems: [String] = []
    private var nextID = 1
    let stderrFile: URL
    let root: URL

    /// The `herald` binary built next to the tests (`swift build --build-tests` builds it).
    static var binary: URL {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            for configuration in ["debug", "release"] {
                let candidate = root.appendingPathComponent(".build/\(configuration)/herald")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw LanguageServerTestFailure("the herald binary is not built: run `swift build --build-tests` first")
        }
    }

    /// Starts `herald lsp` for the workspace `root` (not initialized yet).
    init(root: URL) throws {
        self.root = root
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lsp-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = try Self.binary
        process.arguments = ["lsp"]
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        let reader = stdout.fileHandleForReading
        let thread = Thread { [self] in
            var framer = MessageFramer()
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                framer.append(data)
                while let frame = framer.next() { record(frame) }
            }
        }
        thread.start()
    }

    private func record(_ frame: MessageFramer.Frame) {
        lock.lock()
        defer { lock.unlock() }
        switch frame {
        case .message(let body):
            if let message = try? JSONValue.parse(body) {
                received.append(message)
            } else {
                problems.append("not JSON: \(String(decoding: body, as: UTF8.self))")
            }
        case .malformed(let problem): problems.append(problem)
        }
    }

    /// Starts the server and completes the `initialize` handshake.
    static func start(root: URL) async throws -> (LanguageServerProcess, JSONValue) {
        let server = try LanguageServerProcess(root: root)
        let response = try await server.request("initialize", ["processId": .null, "rootUri": .string(root.absoluteString), "capabilities": [:]])
        server.notify("initialized", [:])
        return (server, response)
    }

    var stdoutProblems: [String] {
        lock.lock()
        defer { lock.unlock() }
        return problems
    }

    var messageCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return received.count
    }

    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    func sendRaw(_ data: Data) {
        try? stdin.fileHandleForWriting.write(contentsOf: data)
    }

    func send(_ message: JSONValue) {
        sendRaw(MessageFramer.frame(message.encoded()))
    }

    func notify(_ method: String, _ params: JSONValue) {
        send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    private func takeID() -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextID += 1
        return nextID
    }

    private func firstMessage(after: Int, where predicate: (JSONValue) -> Bool) -> JSONValue? {
        lock.lock()
        defer { lock.unlock() }
        return received.dropFirst(after).first(where: predicate)
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    func request(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        let id = takeID()
        send(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params])
        return try await waitFor("the response to \(method)") { $0["id"] == .int(id) }
    }

    /// The first message from index `after` on that matches.
    /// `timeout` only guards against a server that never answers: a loaded machine can hold a
    /// test back for a minute, so it is generous, not a bound the tests assert.
    func waitFor(_ what: String, after: Int = 0, timeout: Double = 180, _ predicate: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = firstMessage(after: after, where: predicate) { return found }
            if !process.isRunning {
                try await Task.sleep(for: .milliseconds(100))
                if let found = firstMessage(after: after, where: predicate) { return found }
                throw LanguageServerTestFailure("herald lsp exited (status \(process.terminationStatus)) before \(what); stderr:\n\(stderr)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw LanguageServerTestFailure("timed out waiting for \(what); stderr:\n\(stderr)")
    }

    /// The next diagnostics published for `uri` after message number `after`.
    func diagnostics(for uri: String, after: Int) async throws -> [JSONValue] {
        let message = try await waitFor("diagnostics for \(uri)", after: after) {
            $0["method"] == "textDocument/publishDiagnostics" && $0["params"]["uri"].string == uri
        }
        return message["params"]["diagnostics"].array ?? []
    }

    /// Opens a document (with its text on disk unless `text` is given) and returns its first diagnostics.
    @discardableResult
    func open(_ url: URL, text: String? = nil) async throws -> [JSONValue] {
        let mark = messageCount
        let content = try text ?? String(contentsOf: url, encoding: .utf8)
        notify(
            "textDocument/didOpen",
            ["textDocument": ["uri": .string(url.absoluteString), "languageId": "journey", "version": 1, "text": .string(content)]])
        return try await diagnostics(for: url.absoluteString, after: mark)
    }

    /// `shutdown`, `exit`, and the exit status.
    func stop() async throws -> Int32 {
        _ = try await request("shutdown", .null)
        notify("exit", .null)
        return try await waitForExit()
    }

    func waitForExit(timeout: Double = 30) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw LanguageServerTestFailure("herald lsp did not exit")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    func closeInput() {
        try? stdin.fileHandleForWriting.close()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: stderrFile)
    }
}

struct LanguageServerTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
