import Foundation
import Testing

@testable import JourneyLanguage

/// Whatever the input, the checker answers with diagnostics and never crashes.
struct BadInputTests {
    static let cases: [(String, String)] = [
        ("empty", ""),
        ("whitespace", "   \n\n\t\n"),
        ("only comments", "# nothing here\n   # still nothing\n"),
        (
            "deeply nested parentheses",
            "journey a\n  trigger on event \"x\" where " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " > 0\n"
        ),
        ("deeply nested not", "journey a\n  trigger on event \"x\" where " + String(repeating: "not ", count: 5000) + "true\n"),
        ("deeply nested minus", "journey a\n  trigger on event \"x\" where " + String(repeating: "-", count: 5000) + "1 > 0\n"),
        ("deeply nested lists", "journey a\n  exit when 1 in " + String(repeating: "[", count: 3000) + "\n"),
        (
            "deeply nested blocks",
            "journey a\n  trigger on event \"x\"\n" + (1...300).map { String(repeating: " ", count: $0 * 2) + "if true\n" }.joined()
        ),
        ("long chain", "journey a\n  trigger on event \"x\" where " + Array(repeating: "1", count: 20000).joined(separator: " + ") + " > 0\n"),
        (
            "huge numbers",
            "journey a\n  priority 1e400\n  trigger on event \"x\" where event.n > 123456789012345678901234567890\n  wait 99999999999999999999 days\n"
        ),
        ("unterminated string", "journey a\n  trigger on event \"x\n  send email \"y\n"),
        ("unterminated everything", "journey a \"t\n  trigger on event (\"x\" where [1, (2\n"),
        ("tabs and spaces", "journey a\n\ttrigger on event \"x\"\n  \t  wait 1 day\n\t\tsend email m\n"),
        ("control characters", "journey a\u{0}\u{1}\u{7}\n  trigger \u{1B}[31m\n"),
        ("unicode", "journey café \"Café ☕️\"\n  trigger on event \"🛒\" where event.名前 == \"値\"\n"),
        ("dedent chaos", "journey a\n        trigger on event \"x\"\n    wait 1 day\n      send email m\n  exit\n"),
        ("stray symbols", "-> -> == ( ) ] [ , : % 45% 09:00\n  ) ]\n"),
        ("keywords everywhere", "journey journey journey\n  trigger trigger trigger\n  wait wait\n  send send send\n  if if\n  split split\n"),
        ("windows line endings", "journey a\r\n  trigger on event \"x\"\r\n  wait 1 day\r\n"),
        ("no final newline", "journey a\n  trigger on event \"x\"\n  wait"),
        ("invalid times", "journey a\n  trigger every day at 99:99\n  wait until 24:00\n"),
    ]

    @Test(arguments: cases.map(\.0))
    func neverCrashes(name: String) {
        let text = Self.cases.first { $0.0 == name }!.1
        let result = compile(text)
        // Something sensible comes back: either a catalog or at least one error.
        #expect(result.catalog != nil || result.hasErrors)
        // Formatting and rendering are safe too.
        _ = JourneyFormatter.format(text)
        _ = DiagnosticsFormatter(style: .annotated, sources: result.sources).format(result.diagnostics)
        _ = DiagnosticsFormatter(style: .json).format(result.diagnostics)
    }

    @Test(arguments: [
        ("empty", "", [DiagnosticID]()),
        (
            "deeply nested parentheses",
            "journey a\n  trigger on event \"x\" where " + String(repeating: "(", count: 500) + "true" + String(repeating: ")", count: 500) + "\n",
            [.nestingTooDeep]
        ),
        ("unterminated string", "journey a\n  trigger on event \"x\n", [.unterminatedString]),
        ("tabs", "journey a\n\ttrigger on event \"x\"\n", [.tabIndentation]),
        ("huge number", "journey a\n  trigger on event \"x\" where event.n > 1e400\n", [.invalidNumber]),
    ])
    func specificDiagnostics(name: String, text: String, ids: [DiagnosticID]) {
        let errors = compile(text).errors.map(\.id)
        #expect(errors == ids, "\(name)")
    }

    @Test func binaryFileIsRejected() throws {
        let result = try decode([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00, 0xFF])
        #expect(result.id == .invalidEncoding)
        #expect(result.message.contains("binary file"))
    }

    @Test func invalidUTF8IsRejectedWithItsPosition() throws {
        let bytes = Array("journey a\n  trigger on event \"".utf8) + [0xC3, 0x28] + Array("\"\n".utf8)
        let result = try decode(bytes)
        #expect(result.id == .invalidEncoding)
        #expect(result.location?.line == 2)
        #expect(result.location?.column == 21)
        #expect(result.message == "the file is not valid UTF-8 (byte 0xC3 at line 2, column 21); save it as UTF-8")
    }

    @Test func validUTF8WithBOMIsRead() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("journey café\n".utf8)
        guard case .success(let text) = JourneyDirectory.decode(Data(bytes), path: "x") else {
            Issue.record("expected text")
            return
        }
        #expect(text == "journey café\n")
    }

    @Test func unreadableDirectoryEntriesAreReported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data([0x00, 0x01, 0x02, 0xFF, 0xFE]).write(to: directory.appendingPathComponent("binary.journey"))
        try Data([0x6A, 0xFF, 0x0A]).write(to: directory.appendingPathComponent("latin1.journey"))
        try Data().write(to: directory.appendingPathComponent("empty.journey"))
        let result = JourneyCompiler.compile(directory: directory.path)
        #expect(result.catalog == nil)
        #expect(result.errors.map(\.id) == [.invalidEncoding, .invalidEncoding])
    }

    func decode(_ bytes: [UInt8]) throws -> Diagnostic {
        switch JourneyDirectory.decode(Data(bytes), path: "x.journey") {
        case .success: throw DecodeSucceeded()
        case .failure(let diagnostic): return diagnostic
        }
    }

    struct DecodeSucceeded: Error {}
}
