import Foundation
import JourneyLanguage
import JourneyLanguageServer

/// 8. The language server: a 50-journey workspace (the example journeys copied 50 times over,
/// with the example schema, segments, policy and templates), one file open; how long after an
/// edit is written to `herald lsp`'s input its diagnostics for the workspace arrive on its output.
/// The server runs its real stdio loop on a thread, over pipes, framing and JSON included. The
/// reference is one `herald check` of the same directory (compile only, no protocol) in the same run.
enum LanguageServerBench {
    static let journeyCount = 50
    static let edits = 40

    static func run(_ options: BenchOptions, into table: inout ResultTable) throws {
        let workspace = try makeWorkspace(from: options.journeys, in: options.dataDirectory)
        defer { try? FileManager.default.removeItem(atPath: workspace.root) }

        // The reference: compiling the directory, as `herald check` does.
        var checkTimes: [Double] = []
        for _ in 0..<10 {
            let started = ContinuousClock.now
            let result = JourneyCompiler.compile(directory: workspace.journeys)
            checkTimes.append(seconds(since: started) * 1000)
            if result.hasErrors { throw BenchError("the generated workspace does not check: \(result.errors.first!)") }
        }

        let input = Pipe()
        let output = Pipe()
        let server = Thread {
            _ = LanguageServer.run(input: input.fileHandleForReading, output: output.fileHandleForWriting, log: { _ in })
            try? output.fileHandleForWriting.close()
        }
        server.start()
        var reader = FrameReader(handle: output.fileHandleForReading)
        func send(_ message: JSONValue) throws { try input.fileHandleForWriting.write(contentsOf: MessageFramer.frame(message.encoded())) }

        let root = URL(fileURLWithPath: workspace.root).absoluteString
        let uri = URL(fileURLWithPath: workspace.edited).absoluteString
        try send(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["rootUri": .string(root), "capabilities": [:]]])
        _ = try reader.next { $0["id"] == 1 }
        try send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        let text = try String(contentsOfFile: workspace.edited, encoding: .utf8)
        try send([
            "jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": ["textDocument": ["uri": .string(uri), "languageId": "journey", "version": 1, "text": .string(text)]],
        ])
        _ = try reader.next { $0["method"] == "textDocument/publishDiagnostics" && $0["params"]["uri"].string == uri }

        // Each edit alternately breaks and repairs an attribute name; the diagnostics must follow.
        guard let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(where: { $0.contains("customer.lifetime_value") })
        else { throw BenchError("the edited journey has no customer.lifetime_value") }
        let column = text.split(separator: "\n", omittingEmptySubsequences: false)[line].utf16.count
        var latencies: [Double] = []
        for edit in 0..<edits {
            let broken = edit % 2 == 0
            let change: JSONValue = [
                "range": [
                    "start": ["line": .int(line), "character": .int(column)],
                    "end": ["line": .int(line), "character": .int(column + (broken ? 0 : 2))],
                ],
                "text": broken ? " +" : "",
            ]
            let started = ContinuousClock.now
            try send([
                "jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": ["textDocument": ["uri": .string(uri), "version": .int(edit + 2)], "contentChanges": [change]],
            ])
            let published = try reader.next { $0["method"] == "textDocument/publishDiagnostics" && $0["params"]["uri"].string == uri }
            latencies.append(seconds(since: started) * 1000)
            let count = published["params"]["diagnostics"].array?.count ?? 0
            if broken != (count > 0) { throw BenchError("edit \(edit): expected \(broken ? "an error" : "no diagnostics"), got \(count)") }
        }
        try send(["jsonrpc": "2.0", "id": 2, "method": "shutdown"])
        _ = try reader.next { $0["id"] == 2 }
        try send(["jsonrpc": "2.0", "method": "exit"])

        latencies.sort()
        checkTimes.sort()
        let p50 = latencies[latencies.count / 2]
        let p95 = latencies[min(latencies.count - 1, latencies.count * 95 / 100)]
        let check = checkTimes[checkTimes.count / 2]
        print(
            String(
                format: "  lsp: %d journey files; diagnostics after an edit p50 %.1f ms, p95 %.1f ms, max %.1f ms", workspace.files, p50, p95,
                latencies.last!))
        table.add(
            "lsp: diagnostics after an edit, \(journeyCount) journeys (p50)", p50, "ms", reference: ("herald check of the directory, ms", check),
            target: "≤ 100 ms", met: p50 <= 100)
        table.add(
            "lsp: diagnostics after an edit, \(journeyCount) journeys (p95)", p95, "ms", reference: ("herald check of the directory, ms", check),
            target: "≤ 100 ms", met: p95 <= 100)
    }

    /// Reads framed messages from the server's output until one matches.
    struct FrameReader {
        let handle: FileHandle
        var framer = MessageFramer()

        mutating func next(where predicate: (JSONValue) -> Bool) throws -> JSONValue {
            while true {
                while let frame = framer.next() {
                    guard case .message(let body) = frame else { throw BenchError("the server wrote a malformed frame") }
                    let message = try JSONValue.parse(body)
                    if predicate(message) { return message }
                }
                let data = handle.availableData
                if data.isEmpty { throw BenchError("the server closed its output") }
                framer.append(data)
            }
        }
    }

    /// The example schema, segments, policy and messages, and the example journeys copied until
    /// there are `journeyCount` of them (renamed `name_2`, `name_3`, … so names stay unique).
    static func makeWorkspace(from examples: String, in dataDirectory: String) throws -> (root: String, journeys: String, edited: String, files: Int)
    {
        let manager = FileManager.default
        let root = URL(fileURLWithPath: dataDirectory).appendingPathComponent("lsp-\(ProcessInfo.processInfo.processIdentifier)").path
        let journeys = root + "/Journeys"
        try? manager.removeItem(atPath: root)
        try manager.createDirectory(atPath: journeys, withIntermediateDirectories: true)
        try manager.copyItem(atPath: examples + "/messages", toPath: journeys + "/messages")
        var templates: [String] = []
        for name in try manager.contentsOfDirectory(atPath: examples).sorted() where name.hasSuffix(".journey") {
            let text = try String(contentsOfFile: examples + "/" + name, encoding: .utf8)
            if text.split(separator: "\n").contains(where: { $0.hasPrefix("journey ") }) {
                templates.append(text)
            } else {
                try text.write(toFile: journeys + "/" + name, atomically: true, encoding: .utf8)
            }
        }
        guard !templates.isEmpty else { throw BenchError("no journeys in \(examples)") }
        var edited: String?
        var files = 0
        var count = 0
        var copy = 1
        while count < journeyCount {
            for template in templates where count < journeyCount {
                let lines = template.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                    guard copy > 1, line.hasPrefix("journey ") else { return String(line) }
                    var words = line.split(separator: " ", maxSplits: 2).map(String.init)
                    words[1] += "_\(copy)"
                    return words.joined(separator: " ")
                }
                let path = journeys + "/journey_\(count).journey"
                let text = lines.joined(separator: "\n")
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                if edited == nil, text.contains("customer.lifetime_value") { edited = path }
                count += lines.filter { $0.hasPrefix("journey ") }.count
                files += 1
            }
            copy += 1
        }
        guard let edited else { throw BenchError("no example journey uses customer.lifetime_value") }
        return (root, journeys, edited, files)
    }
}
