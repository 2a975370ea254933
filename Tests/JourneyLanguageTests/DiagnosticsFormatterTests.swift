import Foundation
import Testing

@testable import JourneyLanguage

/// The text output of `herald check` for files with very many problems: every shown diagnostic
/// carries its own source line, and each file stops after the error limit with a line saying so.
struct DiagnosticsFormatterTests {
    /// A file of `lines` lines, `line 1` … `line N`, and one error on every second line.
    static func manyErrors(lines: Int, file: String = "big.journey") -> (source: String, diagnostics: [Diagnostic]) {
        let source = (1...lines).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let diagnostics = stride(from: 2, through: lines, by: 2).map {
            Diagnostic.error(.unknownStatement, at: SourceLocation(file: file, line: $0, column: 1), length: 4, "problem on \($0)")
        }
        return (source, diagnostics.reversed())  // out of order on purpose: the formatter sorts
    }

    @Test(arguments: [DiagnosticsFormatter.Style.annotated, .plain])
    func stopsAfterTheErrorLimitAndSaysHowManyWereLeftOut(style: DiagnosticsFormatter.Style) {
        let (source, diagnostics) = Self.manyErrors(lines: 8_000)
        #expect(diagnostics.count == 4_000)
        let text = DiagnosticsFormatter(style: style, sources: ["big.journey": source]).format(diagnostics)
        let errorLines = text.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errorLines.count == DiagnosticsFormatter.defaultErrorLimit)
        #expect(errorLines.first == "big.journey:2:1: error: problem on 2 [E012-unknown-statement]")
        #expect(errorLines.last == "big.journey:100:1: error: problem on 100 [E012-unknown-statement]")
        #expect(
            text.hasSuffix(
                "big.journey: note: stopped after 50 errors in this file; 3950 more errors not shown "
                    + "(fix these first, or use --format json for every diagnostic)\n"))
        if style == .annotated {
            // Each error shows its own line under it.
            #expect(text.contains("big.journey:2:1: error: problem on 2 [E012-unknown-statement]\n 2 | line 2\n   | ^~~~\n"))
            #expect(text.contains("big.journey:100:1: error: problem on 100 [E012-unknown-statement]\n 100 | line 100\n     | ^~~~\n"))
        }
    }

    @Test func theLimitIsPerFileWarningsAreCountedAndNoLimitPrintsAll() {
        let (a, aErrors) = Self.manyErrors(lines: 200, file: "a.journey")
        let (b, bErrors) = Self.manyErrors(lines: 20, file: "b.journey")
        let warning = Diagnostic.warning(.emptyJourney, at: SourceLocation(file: "a.journey", line: 199, column: 1), "late warning")
        let all = aErrors + bErrors + [warning]
        let sources = ["a.journey": a, "b.journey": b]
        let text = DiagnosticsFormatter(style: .plain, sources: sources, errorLimit: 5).format(all)
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("a.journey:") && $0.contains(": error: ") }.count == 5)
        #expect(lines.filter { $0.hasPrefix("b.journey:") && $0.contains(": error: ") }.count == 5)
        #expect(
            lines.contains(
                "a.journey: note: stopped after 5 errors in this file; 95 more errors and 1 warning not shown (fix these first, or use --format json for every diagnostic)"
            ))
        #expect(lines.contains { $0.hasPrefix("b.journey: note: stopped after 5 errors in this file; 5 more errors not shown") })

        let everything = DiagnosticsFormatter(style: .plain, sources: sources, errorLimit: nil).format(all)
        #expect(everything.split(separator: "\n").count == all.count)
        #expect(!everything.contains("stopped after"))
        // JSON is for tools: never cut.
        let json = DiagnosticsFormatter(style: .json, sources: sources, errorLimit: 5).format(all)
        #expect(json.components(separatedBy: "\"severity\"").count - 1 == all.count)
    }

    @Test func aFileUnderTheLimitHasNoCutOffLine() {
        let (source, diagnostics) = Self.manyErrors(lines: 100)
        let text = DiagnosticsFormatter(style: .annotated, sources: ["big.journey": source]).format(diagnostics)
        #expect(text.split(separator: "\n").filter { $0.contains(": error: ") }.count == 50)
        #expect(!text.contains("stopped after"))
    }

    @Test func linesEndAsTheLexerEndsThem() {
        let source = "first\r\nsecond\rthird\nfourth"
        let lines = SourceLines(source)
        #expect(lines.count == 4)
        #expect((1...4).map { lines.line($0) } == ["first", "second", "third", "fourth"])
        #expect(lines.line(0) == nil && lines.line(5) == nil)
        #expect(SourceLines("a\n").line(2) == "")
        #expect(SourceLines("").line(1) == "")
    }

    @Test func compilerOutputForAFileWithThousandsOfErrorsIsCut() {
        // 3,000 misspelt channels: one error each, all real compiler diagnostics.
        let body = (0..<3_000).map { _ in "  send emial m\n" }.joined()
        let result = compile("journey a\n  trigger on event \"x\"\n" + body)
        let errors = result.diagnostics.filter { $0.severity == .error }
        #expect(errors.count >= 3_000)
        let text = DiagnosticsFormatter(style: .annotated, sources: result.sources).format(result.diagnostics)
        #expect(text.split(separator: "\n").filter { $0.contains(": error: ") }.count == 50)
        #expect(text.contains(" 3 |   send emial m\n"))
        #expect(text.contains("more errors not shown"))
    }
}
