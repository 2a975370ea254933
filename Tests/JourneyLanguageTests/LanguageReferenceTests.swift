import Foundation
import Testing

@testable import JourneyLanguage

/// Every ```herald block of docs/language.md compiles without errors.
struct LanguageReferenceTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var line: Int
        var text: String
        var testDescription: String { "docs/language.md:\(line)" }
    }

    static func examples() throws -> [Example] {
        let text = try String(contentsOfFile: PackagePaths.languageReference, encoding: .utf8)
        var examples: [Example] = []
        var current: [String]?
        var start = 0
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```herald" {
                current = []
                start = index + 2
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                examples.append(Example(line: start, text: current!.joined(separator: "\n") + "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return examples
    }

    @Test func thereAreExamples() throws {
        #expect(try Self.examples().count >= 12)
    }

    @Test(arguments: try LanguageReferenceTests.examples())
    func exampleCompiles(example: Example) {
        let result = JourneyCompiler.compile(sources: ["language.md": example.text])
        #expect(result.errors.isEmpty, "docs/language.md:\(example.line): \(result.errors.map(\.description))")
    }

    @Test func everyDiagnosticIdentifierIsDocumented() throws {
        let text = try String(contentsOfFile: PackagePaths.languageReference, encoding: .utf8)
        let source = try String(
            contentsOf: PackagePaths.root.appendingPathComponent("Sources/JourneyLanguage/Diagnostics/Diagnostic.swift"), encoding: .utf8)
        var codes: [String] = []
        for line in source.components(separatedBy: "\n") where line.contains("public static let") && line.contains(": Self = \"") {
            if let id = line.components(separatedBy: "\"").dropFirst().first { codes.append(String(id.prefix(4))) }
        }
        #expect(codes.count > 40)
        for code in codes {
            let letter = code.first!
            let number = Int(code.dropFirst())!
            let listed = text.contains(code) || Self.ranges(in: text, letter: letter).contains { $0.contains(number) }
            #expect(listed, "\(code) is not documented in docs/language.md")
        }
    }

    /// `E000–E014` style ranges in the reference.
    static func ranges(in text: String, letter: Character) -> [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        let pattern = try! NSRegularExpression(pattern: "\(letter)(\\d{3})–\(letter)(\\d{3})")
        let ns = text as NSString
        for match in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let a = Int(ns.substring(with: match.range(at: 1)))!
            let b = Int(ns.substring(with: match.range(at: 2)))!
            ranges.append(a...b)
        }
        return ranges
    }
}
