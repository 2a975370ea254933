import Foundation

/// Rewrites journey source in the canonical layout: two spaces per block level, continuation lines
/// two spaces deeper than the line they continue, trailing comments of consecutive lines aligned, one space between tokens (none inside brackets, before
/// commas or after a unary minus), at most one blank line in a row, one blank line between
/// top-level declarations, comments kept where they are. Line breaks inside a statement are kept.
///
/// Formatting only changes whitespace, so a formatted file compiles to the same program (and
/// content hash), and formatting twice gives the same text as formatting once.
///
/// ```swift
/// let result = JourneyFormatter.format(text, file: "cart.journey")
/// if let formatted = result.formatted { try formatted.write(toFile: path, atomically: true, encoding: .utf8) }
/// ```
public enum JourneyFormatter {
    public struct Result: Sendable {
        /// The formatted text; `nil` when the file has syntax errors (see `diagnostics`).
        public var formatted: String?
        public var diagnostics: [Diagnostic]
    }

    public static func format(_ text: String, file: String = "<input>") -> Result {
        let parsed = Parser.parse(file: file, text: text)
        let errors = parsed.diagnostics.filter(\.isError)
        guard errors.isEmpty else { return Result(formatted: nil, diagnostics: errors) }
        return Result(formatted: layout(parsed.lexed), diagnostics: [])
    }

    private struct Unit {
        enum Kind {
            case code(tokens: [Token], first: Bool)
            case comment(String)
        }
        var kind: Kind
        var line: Int
        /// Block depth (code) or the depth chosen for a comment.
        var depth: Int
        /// Indentation in the source (column of the first character − 1).
        var sourceIndent: Int
        /// Extra indentation of continuation lines.
        var continuation: Bool
        var indent: Int { depth * 2 + (continuation ? 2 : 0) }
        var isCode: Bool {
            if case .code = kind { return true }
            return false
        }
        var isFirstLine: Bool {
            if case .code(_, let first) = kind { return first }
            return false
        }
    }

    static func layout(_ lexed: Lexer.Output) -> String {
        // 1. Code: group the tokens of each logical line by physical line.
        var units: [Unit] = []
        var depth = 0
        var logical: [Token] = []
        func flush() {
            guard !logical.isEmpty else { return }
            var group: [Token] = []
            var first = true
            func emit() {
                units.append(
                    Unit(
                        kind: .code(tokens: group, first: first), line: group[0].line, depth: depth, sourceIndent: group[0].column - 1,
                        continuation: !first))
            }
            for token in logical {
                if let last = group.last, last.line != token.line {
                    emit()
                    first = false
                    group = []
                }
                group.append(token)
            }
            emit()
            logical = []
        }
        for token in lexed.tokens {
            switch token.kind {
            case .indent:
                flush()
                depth += 1
            case .dedent:
                flush()
                depth -= 1
            case .newline, .end:
                flush()
            default:
                logical.append(token)
            }
        }
        flush()

        // 2. Comments: trailing ones stay on their line; the others become units of their own.
        var trailing: [Int: String] = [:]
        for comment in lexed.comments {
            if lexed.codeLines.contains(comment.line) {
                trailing[comment.line] = comment.text
            } else {
                units.append(Unit(kind: .comment(comment.text), line: comment.line, depth: 0, sourceIndent: comment.column - 1, continuation: false))
            }
        }
        units.sort { $0.line < $1.line }

        // A standalone comment belongs with the code after it — unless the code after it is less
        // indented (the comment closes a block): then it goes to the depth of the nearest line
        // above it that is indented no deeper than the comment.
        for index in units.indices where !units[index].isCode {
            let previous = units[..<index].last { $0.isCode }
            let next = units[(index + 1)...].first { $0.isCode }
            if let next, !next.isFirstLine {
                units[index].depth = next.depth
                units[index].continuation = true
                continue
            }
            let nextDepth = next?.depth ?? 0
            guard let previous, previous.depth > nextDepth else {
                units[index].depth = nextDepth
                continue
            }
            let column = units[index].sourceIndent
            let anchor = units[..<index].last { $0.isFirstLine && $0.sourceIndent <= column }
            units[index].depth = min(previous.depth, max(nextDepth, anchor?.depth ?? nextDepth))
        }

        // 3. Print.
        var lines: [(code: String, comment: String?)] = []
        var previous: Unit?
        for unit in units {
            if let previous {
                var blank = unit.line - previous.line > 1
                if unit.isFirstLine, unit.indent == 0, previous.isCode || previous.indent > 0 { blank = true }
                if !unit.isCode, unit.indent == 0, previous.isCode { blank = blank || previous.indent > 0 }
                if unit.isCode, !unit.isFirstLine { blank = false }
                if blank { lines.append(("", nil)) }
            }
            let padding = String(repeating: " ", count: unit.indent)
            switch unit.kind {
            case .comment(let text):
                lines.append((padding + text, nil))
            case .code(let tokens, _):
                lines.append((padding + render(tokens), trailing[unit.line]))
            }
            previous = unit
        }
        // Align the trailing comments of consecutive lines.
        var output: [String] = []
        var index = 0
        while index < lines.count {
            guard lines[index].comment != nil else {
                output.append(lines[index].code)
                index += 1
                continue
            }
            var end = index
            while end < lines.count, lines[end].comment != nil { end += 1 }
            let width = lines[index..<end].map { $0.code.count }.max() ?? 0
            for line in lines[index..<end] {
                output.append(line.code + String(repeating: " ", count: width - line.code.count + 2) + line.comment!)
            }
            index = end
        }
        while output.last == "" { output.removeLast() }
        return output.isEmpty ? "" : output.joined(separator: "\n") + "\n"
    }

    private static let operandKeywords: Set<String> = [
        "and", "or", "not", "if", "where", "when", "by", "in", "contains", "matches", "with", "exists", "else", "to", "within",
        "priority", "up",
    ]

    static func render(_ tokens: [Token]) -> String {
        var out = ""
        var genericDepth = 0
        var previous: Token?
        var beforePrevious: Token?
        for token in tokens {
            let text: String
            if case .timeOfDay(let time) = token.kind { text = time.description } else { text = token.text }
            if let prev = previous {
                var space = true
                if prev.isSymbol("(") || prev.isSymbol("[") { space = false }
                if token.isSymbol(")") || token.isSymbol("]") || token.isSymbol(",") || token.isSymbol(":") { space = false }
                if token.isSymbol("("), prev.kind == .identifier, Parser.callForms.contains(prev.text) { space = false }
                if prev.isSymbol("-"), isUnaryMinus(before: beforePrevious) { space = false }
                if token.isSymbol("<"), prev.isWord("list") {
                    space = false
                    genericDepth += 1
                } else if prev.isSymbol("<"), genericDepth > 0 {
                    space = false
                } else if token.isSymbol(">"), genericDepth > 0 {
                    space = false
                    genericDepth -= 1
                }
                if space { out += " " }
            }
            out += text
            beforePrevious = previous
            previous = token
        }
        return out
    }

    /// Whether a `-` preceded by `token` is a unary minus.
    private static func isUnaryMinus(before token: Token?) -> Bool {
        guard let token else { return true }
        switch token.kind {
        case .symbol: return !(token.text == ")" || token.text == "]")
        case .identifier: return operandKeywords.contains(token.text)
        default: return false
        }
    }
}

/// Formats files in place (`herald fmt`) or reports the ones that would change (`--check`).
public enum FormatDriver {
    public struct Outcome: Sendable {
        /// Files that changed (or, with `checkOnly`, would change).
        public var changed: [String]
        /// Syntax errors that kept files from being formatted, and unreadable files.
        public var diagnostics: [Diagnostic]
        public var sources: [String: String]
        /// Paths that do not exist.
        public var missingPaths: [String]
    }

    public static func format(paths: [String], checkOnly: Bool) -> Outcome {
        var outcome = Outcome(changed: [], diagnostics: [], sources: [:], missingPaths: [])
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                outcome.missingPaths.append(path)
                continue
            }
            files += isDirectory.boolValue ? JourneyDirectory.journeyFiles(in: path) : [path]
        }
        for file in files {
            switch JourneyDirectory.readText(file) {
            case .failure(let diagnostic):
                outcome.diagnostics.append(diagnostic)
            case .success(let text):
                outcome.sources[file] = text
                let result = JourneyFormatter.format(text, file: file)
                outcome.diagnostics += result.diagnostics
                guard let formatted = result.formatted, formatted != text else { continue }
                outcome.changed.append(file)
                if !checkOnly {
                    do {
                        try formatted.write(toFile: file, atomically: true, encoding: .utf8)
                    } catch {
                        outcome.diagnostics.append(
                            .error(.unreadableFile, at: SourceLocation(file: file, line: 1, column: 1), "cannot write the formatted file: \(error)"))
                    }
                }
            }
        }
        return outcome
    }
}
