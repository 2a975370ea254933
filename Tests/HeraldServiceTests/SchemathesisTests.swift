import ChildProcess
import Foundation
import HeraldTestSupport
import Testing

/// Runs schemathesis (PyPI; `make deps` installs it) against the real `herald serve` with the
/// example journeys, generating requests from docs/openapi.yaml: no request may get a server error,
/// and every answer must conform to the document — a documented status code, content type and
/// headers, and a body that validates against its schema (the schemas forbid undocumented
/// fields), so the document and the server cannot drift apart. Bounded to about a minute.
struct SchemathesisTests {
    @Test func openAPIDocumentFindsNoServerError() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let st = try #require(
            ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
                .map { URL(fileURLWithPath: String($0)).appendingPathComponent("st") }
                .first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "schemathesis is not installed: run `make deps` (pip install schemathesis)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = "schemathesis-key"
        let server = HeraldProcess(
            arguments: [
                "serve", "--port", "0", "--journeys", root.appendingPathComponent("Journeys").path,
                "--data", directory.appendingPathComponent("data").path,
                "--outbox", directory.appendingPathComponent("outbox").path,
            ],
            environment: ["HERALD_API_KEY": key, "HERALD_LOG_LEVEL": "error"],
            logFile: directory.appendingPathComponent("server.log"))
        try await server.start()
        defer { server.killWithoutWaiting() }

        let process = ChildProcess()
        process.executableURL = st
        process.arguments = [
            "run", root.appendingPathComponent("docs/openapi.yaml").path, "--url", "http://127.0.0.1:\(server.port)",
            "-H", "Authorization: Bearer \(key)", "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            "--max-examples", "15",
            // One worker: with two, hypothesis's ast.parse in threads hit CPython 3.11's
            // "AST constructor recursion depth mismatch" once, an error of the tool, not the API.
            "--max-time", "60", "--workers", "1", "--seed", "1", "--no-color",
        ]
        // Output to a file and the exit awaited, not blocked on: a blocking wait would hold one of
        // the few cooperative threads (two on a two-core machine) for the whole run and stall every
        // other test's server meanwhile.
        let outputFile = directory.appendingPathComponent("schemathesis.log")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        process.environment = ProcessInfo.processInfo.environment.merging(["SCHEMATHESIS_HOOKS": ""]) { $1 }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let data = (try? Data(contentsOf: outputFile)) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "schemathesis found problems:\n\(text.suffix(4000))")
        #expect(server.isRunning, "the server survived the run")
        let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
        #expect(!log.contains("request failed"), "no request failed inside the server:\n\(log.suffix(2000))")
    }
}
