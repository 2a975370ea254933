import ChildProcess
import Foundation
import HeraldTestSupport
import Testing

/// `herald check`, `herald fmt` and `herald graph` as users run them: the built binary, real files,
/// what it prints where, and the exit status (0 clean, 1 problems found, 2 the command misused).
struct CheckCommandTests {
    @Test func exampleJourneysAreClean() async throws {
        let result = try await herald("check", "Journeys")
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("checked ") && result.stderr.contains("no problems"), "\(result)")
    }

    @Test func anErrorIsReportedAtItsPlaceWithExitOne() async throws {
        let file = Paths.broken.appendingPathComponent("type_mismatch.journey").path
        let result = try await herald("check", "--standalone", "--format", "plain", file)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("type_mismatch.journey:7:6: error: cannot apply `>` to a string and a number"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test func annotatedOutputShowsTheLineAndACaret() async throws {
        let file = Paths.broken.appendingPathComponent("type_mismatch.journey").path
        let result = try await herald("check", "--standalone", file)
        #expect(result.status == 1)
        #expect(result.stderr.contains("if customer.first_name > 5"), "\(result)")
        #expect(result.stderr.contains("^"), "\(result)")
    }

    @Test func jsonGoesToStandardOutputAndParses() async throws {
        let file = Paths.broken.appendingPathComponent("type_mismatch.journey").path
        let result = try await herald("check", "--standalone", "--format", "json", file)
        #expect(result.status == 1)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let text = "\(parsed)"
        #expect(text.contains("E040-type-mismatch"), "\(result)")
    }

    @Test func warningsPassUnlessWarningsAreErrors() async throws {
        let file = Paths.broken.appendingPathComponent("wait_beyond_goal.journey").path
        let lenient = try await herald("check", "--standalone", file)
        #expect(lenient.status == 0, "\(lenient)")
        #expect(lenient.stderr.contains("warning:"), "\(lenient)")
        let strict = try await herald("check", "--standalone", "--warnings-as-errors", file)
        #expect(strict.status == 1, "\(strict)")
    }

    @Test func aMissingPathIsAUsageError() async throws {
        let result = try await herald("check", "/nonexistent/herald/journeys")
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("no such file or directory: /nonexistent/herald/journeys"), "\(result)")
    }

    @Test(arguments: [["check", "--format", "xml", "Journeys"], ["check", "--no-such-flag"], ["no-such-command"]])
    func misuseExitsTwo(arguments: [String]) async throws {
        let result = try await HeraldCommand.run(arguments)
        #expect(result.status == 2, "\(result)")
        #expect(!result.stderr.isEmpty, "a usage error says what is wrong")
    }

    @Test func aFileThatIsNotUTF8IsAnErrorNotACrash() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = scratch.file("binary.journey")
        try Data([0x6a, 0x6f, 0xff, 0xfe, 0x00, 0x80]).write(to: URL(fileURLWithPath: file))
        let result = try await herald("check", "--standalone", file)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("binary.journey"), "\(result)")
    }
}

struct FormatCommandTests {
    /// The welcome journey with its layout spoiled (spacing only), in a copy of the example
    /// journeys (so that it compiles with its messages and policy).
    static func spoil(_ scratch: Scratch) throws -> (path: String, text: String) {
        try scratch.copyExampleJourneys()
        let path = scratch.file("Journeys/welcome.journey")
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "  send email welcome\n", with: "  send   email    welcome   \n")
            .replacingOccurrences(of: "  priority 60\n", with: "  priority   60\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, text)
    }

    @Test func checkReportsWithoutWritingThenFormatRewrites() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (path, original) = try Self.spoil(scratch)
        let journeys = scratch.file("Journeys")

        let check = try await herald("fmt", "--check", journeys)
        #expect(check.status == 1, "\(check)")
        #expect(check.stdout == "would reformat \(path)\n", "only the spoiled file: \(check)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == original, "--check wrote the file")

        let format = try await herald("fmt", journeys)
        #expect(format.status == 0, "\(format)")
        #expect(format.stdout.contains("formatted \(path)"), "\(format)")
        let formatted = try String(contentsOfFile: path, encoding: .utf8)
        #expect(formatted != original)
        #expect(formatted.contains("  send email welcome\n"))

        let again = try await herald("fmt", "--check", journeys)
        #expect(again.status == 0, "formatting is idempotent: \(again)")
        #expect(again.stdout.isEmpty)
        let check2 = try await herald("check", journeys)
        #expect(check2.status == 0, "the formatted journeys still compile: \(check2)")
    }

    @Test func exampleJourneysAreFormatted() async throws {
        let result = try await herald("fmt", "--check", "Journeys")
        #expect(result.status == 0, "\(result)")
    }

    @Test func aFileWithSyntaxErrorsIsLeftAloneAndReported() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broken = "journey hello\n  trigger on event \"signed_up\"\n  send email\n"
        try scratch.write("broken.journey", broken)
        let result = try await herald("fmt", scratch.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("broken.journey:"), "\(result)")
        #expect(try scratch.read("broken.journey") == broken)
    }

    @Test func aMissingPathIsAUsageError() async throws {
        let result = try await herald("fmt", "/nonexistent/herald/x.journey")
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("no such file or directory: /nonexistent/herald/x.journey"), "\(result)")
    }
}

struct GraphCommandTests {
    @Test func dotIsTheDefault() async throws {
        let result = try await herald("graph", "Journeys/cart_abandonment.journey")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("digraph cart_abandonment {"), "\(result)")
        #expect(result.stdout.contains("->"))
    }

    @Test func mermaidForOneJourneyOfADirectory() async throws {
        let result = try await herald("graph", "Journeys", "--format", "mermaid", "--journey", "welcome_series")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("flowchart TD"), "\(result)")
        #expect(!result.stdout.contains("cart_abandonment"))
    }

    @Test func graphvizReadsTheOutputWhenInstalled() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") else { return }
        let result = try await herald("graph", "Journeys/welcome.journey")
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dot")
        process.arguments = ["-Tsvg", "-o", "/dev/null"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(result.stdout.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func anUnknownJourneyIsAUsageError() async throws {
        let result = try await herald("graph", "Journeys", "--journey", "no_such_journey")
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("no_such_journey"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: [["graph", "/nonexistent/herald.journey"], ["graph", "Journeys", "--format", "png"], ["graph"]])
    func misuseExitsTwo(arguments: [String]) async throws {
        let result = try await HeraldCommand.run(arguments)
        #expect(result.status == 2, "\(result)")
        #expect(!result.stderr.isEmpty)
    }

    @Test func aJourneyWithErrorsDrawsNothing() async throws {
        let result = try await herald("graph", Paths.broken.appendingPathComponent("type_mismatch.journey").path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("error:"), "\(result)")
    }
}
