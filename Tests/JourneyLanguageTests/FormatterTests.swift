import Foundation
import Testing

@testable import JourneyLanguage

struct FormatterTests {
    @Test func goldenFile() throws {
        let input = try PackagePaths.golden("format-input.journey")
        let expected = try PackagePaths.golden("format-expected.journey")
        let result = JourneyFormatter.format(input, file: "format-input.journey")
        #expect(result.diagnostics.isEmpty)
        let formatted = try #require(result.formatted)
        #expect(formatted == expected)
    }

    /// Every example journey, the golden input and every example of the language reference.
    static func corpus() throws -> [(String, String)] {
        var files: [(String, String)] = []
        for path in JourneyDirectory.journeyFiles(in: PackagePaths.journeys) {
            files.append((path, try String(contentsOfFile: path, encoding: .utf8)))
        }
        files.append(("format-input.journey", try PackagePaths.golden("format-input.journey")))
        for (index, block) in try LanguageReferenceTests.examples().enumerated() {
            files.append(("language.md#\(index + 1)", block.text))
        }
        return files
    }

    @Test func formattingIsIdempotentAndKeepsTheProgram() throws {
        for (name, text) in try Self.corpus() {
            let once = try #require(JourneyFormatter.format(text, file: name).formatted, "\(name) did not format")
            let twice = try #require(JourneyFormatter.format(once, file: name).formatted)
            #expect(once == twice, "formatting \(name) twice changed it")
            // Same programs, same versions.
            let before = JourneyCompiler.compile(sources: [name: text])
            let after = JourneyCompiler.compile(sources: [name: once])
            #expect(before.hasErrors == after.hasErrors, "\(name)")
            #expect(before.catalog?.journeys.map(\.version) == after.catalog?.journeys.map(\.version), "\(name)")
            #expect(before.catalog?.policy.caps.map(\.name) == after.catalog?.policy.caps.map(\.name), "\(name)")
            #expect(before.catalog?.segments == after.catalog?.segments, "\(name)")
            // Every comment survives.
            let comments = Lexer.tokenize(file: name, text: text).comments.map(\.text)
            #expect(Lexer.tokenize(file: name, text: once).comments.map(\.text) == comments, "\(name)")
        }
    }

    @Test func exampleJourneysAreAlreadyFormatted() throws {
        for path in JourneyDirectory.journeyFiles(in: PackagePaths.journeys) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(JourneyFormatter.format(text, file: path).formatted == text, "\(path) is not in the canonical layout")
        }
    }

    @Test func refusesFilesWithSyntaxErrors() {
        let result = JourneyFormatter.format("journey a\n  wait 3 dayz\n", file: "x.journey")
        #expect(result.formatted == nil)
        #expect(result.diagnostics.map(\.id) == [.unknownUnit])
    }

    @Test(arguments: [
        ("journey a\n  trigger on event \"x\" where -1 < - 2\n", "journey a\n  trigger on event \"x\" where -1 < -2\n"),
        ("journey a\n  trigger on event \"x\" where max( 1,2 )-1 > 0\n", "journey a\n  trigger on event \"x\" where max(1, 2) - 1 > 0\n"),
        ("\n\n\njourney a\n\n\n\n  trigger on event \"x\"\n\n\n", "journey a\n\n  trigger on event \"x\"\n"),
        ("journey a\n  wait   7  calendar   days\n", "journey a\n  wait 7 calendar days\n"),
        (
            "segment a where customer.x == 1\nsegment b where customer.y == 2\n",
            "segment a where customer.x == 1\n\nsegment b where customer.y == 2\n"
        ),
    ])
    func smallCases(input: String, expected: String) {
        #expect(JourneyFormatter.format(input).formatted == expected)
    }
}
