import Foundation
import Testing

/// The files in `editors/` stay true to the language and to each other.
struct EditorFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let vscode = root.appendingPathComponent("editors/vscode")

    func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.vscode.appendingPathComponent(path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func theExtensionDeclaresTheLanguageGrammarAndServerPathSetting() throws {
        let package = try json("package.json")
        let contributes = try #require(package["contributes"] as? [String: Any])
        let language = try #require((contributes["languages"] as? [[String: Any]])?.first)
        #expect(language["id"] as? String == "journey")
        #expect(language["extensions"] as? [String] == [".journey"])
        let configuration = try #require(language["configuration"] as? String)
        #expect(FileManager.default.fileExists(atPath: Self.vscode.appendingPathComponent(configuration).path))
        _ = try json(configuration)

        let grammar = try #require((contributes["grammars"] as? [[String: Any]])?.first)
        let grammarFile = try json(try #require(grammar["path"] as? String))
        #expect(grammarFile["scopeName"] as? String == grammar["scopeName"] as? String)
        #expect(grammar["language"] as? String == "journey")

        let properties = try #require((contributes["configuration"] as? [String: Any])?["properties"] as? [String: Any])
        #expect((properties["herald.server.path"] as? [String: Any])?["default"] as? String == "herald")
        let main = try #require(package["main"] as? String)
        let script = try String(contentsOf: Self.vscode.appendingPathComponent(main), encoding: .utf8)
        #expect(script.contains("'herald.server.path'") || script.contains("get('server.path')"))
        #expect(script.contains("args: ['lsp']"))
    }

    /// Every keyword of the grammar in docs/language.md is highlighted by some rule of the TextMate grammar.
    @Test func theGrammarHighlightsEveryKeywordOfTheLanguage() throws {
        let reference = try String(contentsOf: Self.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
        let grammarSection = try #require(reference.components(separatedBy: "```ebnf").last?.components(separatedBy: "```").first)
        let quoted = try NSRegularExpression(pattern: "\"([a-z_]+)\"")
        let words = Set(
            quoted.matches(in: grammarSection, range: NSRange(grammarSection.startIndex..., in: grammarSection)).map {
                String(grammarSection[Range($0.range(at: 1), in: grammarSection)!])
            })
        #expect(words.count > 60)
        let grammar = try json("syntaxes/journey.tmLanguage.json")
        let repository = try #require(grammar["repository"] as? [String: [String: Any]])
        let patterns = try ["declaration", "function", "constant", "control", "keyword"].map { name in
            try NSRegularExpression(pattern: try #require(repository[name]?["match"] as? String))
        }
        for word in words.sorted() {
            let highlighted = patterns.contains { pattern in
                [word, word + "("].contains { text in
                    pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)).map {
                        $0.range.location == 0 && $0.range.length >= word.utf16.count
                    } ?? false
                }
            }
            #expect(highlighted, "`\(word)` is a keyword of the language but the TextMate grammar does not highlight it")
        }
    }
}
