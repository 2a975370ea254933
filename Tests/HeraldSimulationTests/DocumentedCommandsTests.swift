import ChildProcess
import Foundation
import Testing

/// Every `herald` command the README and docs/*.md show runs, as shown, with the built binary,
/// and exits 0: a renamed option, a moved sample file or a command that starts failing breaks
/// this test instead of a reader's first try. `herald serve` is left out (it runs until stopped),
/// and so are `herald revisions` and `herald export`, which read a service's data directory or a
/// running server (RevisionsCommandTests runs them against one); synopsis lines (`[--from TIME]`)
/// are not commands.
struct DocumentedCommandsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Command: CustomStringConvertible, Sendable {
        var file: String
        var line: Int
        var arguments: [String]
        var description: String { "\(file):\(line): herald \(arguments.joined(separator: " "))" }
    }

    /// The documented commands, in file order.
    static func commands() throws -> [Command] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        var commands: [Command] = []
        for file in ["README.md"] + docs {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            var inBlock = false
            var pending = ""
            var pendingLine = 0
            for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(rawLine)
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                    inBlock.toggle()
                    pending = ""
                    continue
                }
                guard inBlock else { continue }
                if pending.isEmpty { pendingLine = n + 1 }
                pending += pending.isEmpty ? line : " " + line.trimmingCharacters(in: .whitespaces)
                if pending.hasSuffix("\\") {
                    pending.removeLast()
                    continue
                }
                defer { pending = "" }
                guard pending.contains("herald ") else { continue }
                var words = try #require(shellWords(pending), "\(file):\(pendingLine): unbalanced quotes in `\(pending)`")
                if words.starts(with: ["swift", "run"]) { words.removeFirst(2) }
                guard words.first == "herald", words.count > 1 else { continue }
                words.removeFirst()
                let isSynopsis = words.contains { $0.hasPrefix("[") || $0 == "..." || $0 == "…" || $0.contains("|") }
                if isSynopsis || ["serve", "revisions", "export"].contains(words.first) { continue }
                commands.append(Command(file: file, line: pendingLine, arguments: words))
            }
        }
        return commands
    }

    /// Splits a shell line into words: single and double quotes, backslash escapes, `#` comments.
    static func shellWords(_ line: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in line {
            if escaped {
                word.append(c)
                escaped = false
                continue
            }
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\" && q == "\"" {
                    escaped = true
                } else {
                    word.append(c)
                }
                continue
            }
            switch c {
            case "'", "\"":
                quote = c
                inWord = true
            case "\\":
                escaped = true
                inWord = true
            case "#" where !inWord:
                return words
            case " ", "\t":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            default:
                word.append(c)
                inWord = true
            }
        }
        if quote != nil { return nil }
        if inWord { words.append(word) }
        return words
    }

    static var binary: URL {
        get throws {
            for configuration in ["debug", "release"] {
                let candidate = root.appendingPathComponent(".build/\(configuration)/herald")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw Failure("the herald binary is not built: run `swift build --build-tests` (it builds it) first")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs `herald` with `arguments` in `directory`; returns the exit status and the output.
    static func run(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = ChildProcess()
        process.executableURL = try binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("herald-docs-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }

    @Test func theDocsShowCommandsOfEveryKind() throws {
        let kinds = Set(try Self.commands().compactMap(\.arguments.first))
        for kind in ["check", "fmt", "graph", "dry-run", "test", "send-test"] {
            #expect(kinds.contains(kind), "no documented `herald \(kind)` command was found")
        }
    }

    @Test func everyDocumentedCommandRuns() throws {
        // A scratch copy of what the commands read, so that commands that write (send-test's
        // ./outbox) write there; `fmt` runs with `--check`.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("herald-docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for entry in ["Journeys", "herald.example.yaml", "docs/examples"] {
            let target = scratch.appendingPathComponent(entry)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.root.appendingPathComponent(entry), to: target)
        }
        let commands = try Self.commands()
        #expect(commands.count >= 10)
        for command in commands {
            var arguments = command.arguments
            if arguments.first == "fmt", !arguments.contains("--check") { arguments.append("--check") }
            let (status, output) = try Self.run(arguments, in: scratch)
            #expect(status == 0, "\(command) exited \(status):\n\(output.suffix(2_000))")
        }
    }

    /// The README's sample output is what `herald dry-run --customer c010` prints on the samples:
    /// every line of the excerpt (but `…`) starts a line of the output, in the same order.
    @Test func readmeSampleOutputIsTheRealOutput() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let excerpt = try #require(
            readme.components(separatedBy: "```\n").first { $0.hasPrefix("Dry run ") }, "the README's sample output block is missing")
        let arguments = [
            "dry-run", "--customers", "Journeys/samples/customers.ndjson", "--events", "Journeys/samples/events.ndjson", "--customer", "c010",
        ]
        let (status, output) = try Self.run(arguments, in: Self.root)
        #expect(status == 0)
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        for wanted in excerpt.split(separator: "\n").map(String.init) where wanted.trimmingCharacters(in: .whitespaces) != "…" {
            guard let at = lines.firstIndex(where: { $0.hasPrefix(wanted) }) else {
                Issue.record("README.md shows `\(wanted)`, which `herald \(arguments.joined(separator: " "))` does not print (in that order)")
                return
            }
            lines = lines[(at + 1)...]
        }
    }

    @Test(arguments: [
        ("herald check Journeys  # a comment", ["herald", "check", "Journeys"]),
        ("herald send-test --customer '{\"id\": \"c1\"}'", ["herald", "send-test", "--customer", "{\"id\": \"c1\"}"]),
        ("a \"b c\" d\\ e", ["a", "b c", "d e"]),
    ])
    func shellWords(line: String, words: [String]) {
        #expect(Self.shellWords(line) == words)
    }
}
