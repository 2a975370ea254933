/// Turns journey source text into tokens, with Python-style layout: `indent`/`dedent` tokens mark
/// blocks (spaces only), `newline` ends a logical line. A line continues the previous one when a
/// bracket is open or when it starts with `and` / `or`.
struct Lexer {
    struct Output {
        var tokens: [Token]
        var comments: [Comment]
        var diagnostics: [Diagnostic]
        /// Lines that held at least one token (used by the formatter to tell trailing comments).
        var codeLines: Set<Int>
    }

    static let maximumErrors = 50

    private let file: String
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var tokens: [Token] = []
    private var comments: [Comment] = []
    private var diagnostics: [Diagnostic] = []
    private var indentStack = [0]
    private var bracketDepth = 0
    private var codeLines: Set<Int> = []
    private var errorCount = 0
    private var gaveUp = false

    init(file: String, text: String) {
        self.file = file
        self.scalars = Array(text.unicodeScalars)
    }

    static func tokenize(file: String, text: String) -> Output {
        var lexer = Lexer(file: file, text: text)
        lexer.run()
        return Output(tokens: lexer.tokens, comments: lexer.comments, diagnostics: lexer.diagnostics, codeLines: lexer.codeLines)
    }

    private var column: Int { index - lineStart + 1 }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let i = index + offset
        return i < scalars.count ? scalars[i] : nil
    }

    private mutating func error(_ id: DiagnosticID, line: Int, column: Int, length: Int = 1, _ message: String, notes: [Diagnostic.Note] = []) {
        guard !gaveUp else { return }
        errorCount += 1
        if errorCount > Self.maximumErrors {
            gaveUp = true
            diagnostics.append(
                .error(.tooManyErrors, at: SourceLocation(file: file, line: line, column: column), "too many errors in this file; stopped reading it")
            )
            return
        }
        diagnostics.append(.error(id, at: SourceLocation(file: file, line: line, column: column), length: length, message, notes: notes))
    }

    private mutating func emit(_ kind: Token.Kind, text: String, column: Int, length: Int, spaceBefore: Bool = true) {
        tokens.append(Token(kind: kind, text: text, line: line, column: column, length: length, spaceBefore: spaceBefore))
        if !text.isEmpty { codeLines.insert(line) }
    }

    private mutating func emitLayout(_ kind: Token.Kind) {
        if kind == .newline, let last = tokens.last(where: { !$0.isLayout }) {
            // The end of the line the statement ends on, so "expected …, found end of line" points there.
            tokens.append(Token(kind: kind, text: "", line: last.line, column: last.column + last.length, length: 1))
            return
        }
        tokens.append(Token(kind: kind, text: "", line: line, column: column, length: 1))
    }

    private var lastIsLayoutOrEmpty: Bool {
        guard let last = tokens.last else { return true }
        return last.kind == .newline || last.kind == .indent || last.kind == .dedent
    }

    private mutating func newLine() {
        // index points at "\n" or "\r".
        if scalars[index] == "\r", peek(1) == "\n" { index += 1 }
        index += 1
        line += 1
        lineStart = index
    }

    private mutating func run() {
        var atLineStart = true
        var pendingNewline = false
        while index < scalars.count, !gaveUp {
            if atLineStart {
                atLineStart = false
                // Measure the indentation.
                var width = 0
                var tabs = 0
                var tabColumn: Int?
                while let c = peek(), c == " " || c == "\t" {
                    if c == "\t" {
                        if tabColumn == nil { tabColumn = column }
                        tabs += 1
                    } else {
                        width += 1
                    }
                    index += 1
                }
                guard let c = peek() else { break }
                if c == "\n" || c == "\r" {
                    newLine()
                    atLineStart = true
                    continue
                }
                if c == "#" {
                    lexComment()
                    continue
                }
                if let tabColumn {
                    error(.tabIndentation, line: line, column: tabColumn, "tab in indentation; indent with spaces only")
                    // Recover by reading each tab as one level of the file's indentation so far.
                    let unit = indentStack.count > 1 ? indentStack[1] : 2
                    width += tabs * unit
                }
                // An open bracket continues the line only onto deeper-indented lines, so a forgotten
                // `)` cannot swallow the rest of the file.
                if bracketDepth > 0, width <= indentStack.last! { bracketDepth = 0 }
                if bracketDepth > 0 || startsContinuationWord(), !tokens.isEmpty, !lastIsLayoutOrEmpty || pendingNewline {
                    // A continuation line: part of the previous logical line.
                    pendingNewline = false
                } else {
                    if pendingNewline {
                        emitLayout(.newline)
                        pendingNewline = false
                    }
                    applyIndentation(width)
                }
            }
            guard let c = peek() else { break }
            switch c {
            case "\n", "\r":
                if bracketDepth == 0, !tokens.isEmpty, !lastIsLayoutOrEmpty { pendingNewline = true }
                newLine()
                atLineStart = true
            case " ", "\t", "\u{0C}":
                index += 1
            case "#":
                lexComment()
            case "\"":
                lexString()
            case "0"..."9":
                lexNumber()
            case "a"..."z", "A"..."Z", "_":
                lexIdentifier()
            default:
                lexSymbol(c)
            }
        }
        if !lastIsLayoutOrEmpty || pendingNewline { emitLayout(.newline) }
        while indentStack.count > 1 {
            indentStack.removeLast()
            emitLayout(.dedent)
        }
        emitLayout(.end)
    }

    private func startsContinuationWord() -> Bool {
        for word in ["and", "or"] {
            let chars = Array(word.unicodeScalars)
            guard index + chars.count <= scalars.count else { continue }
            if Array(scalars[index..<index + chars.count]) == chars {
                let after = index + chars.count < scalars.count ? scalars[index + chars.count] : " "
                if !isIdentifierContinue(after) { return true }
            }
        }
        return false
    }

    private mutating func applyIndentation(_ width: Int) {
        let current = indentStack.last!
        if width > current {
            indentStack.append(width)
            emitLayout(.indent)
        } else if width < current {
            while let top = indentStack.last, width < top {
                indentStack.removeLast()
                emitLayout(.dedent)
            }
            if width != indentStack.last! {
                error(
                    .inconsistentIndentation, line: line, column: 1, length: max(1, width),
                    "this line's indentation (\(width) spaces) matches no enclosing block (\(indentStack.last!) spaces)",
                    notes: [.init("indent each block by the same number of spaces as its siblings")]
                )
                // Recover by treating the line as part of the enclosing block.
            }
        }
    }

    private mutating func lexComment() {
        let start = index
        let startColumn = column
        while let c = peek(), c != "\n", c != "\r" { index += 1 }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<index])
        comments.append(Comment(text: text, line: line, column: startColumn))
    }

    private var spaceBeforeCurrent: Bool {
        index == lineStart || index == 0 || [" ", "\t", "\n", "\r"].contains(scalars[index - 1])
    }

    private mutating func lexString() {
        let start = index
        let startColumn = column
        let spaced = spaceBeforeCurrent
        index += 1
        var value = ""
        var terminated = false
        while let c = peek() {
            if c == "\n" || c == "\r" { break }
            index += 1
            if c == "\"" {
                terminated = true
                break
            }
            if c == "\\" {
                guard let escaped = peek(), escaped != "\n", escaped != "\r" else { continue }
                index += 1
                switch escaped {
                case "n": value += "\n"
                case "t": value += "\t"
                case "\"": value += "\""
                case "\\": value += "\\"
                default:
                    error(
                        .invalidCharacter, line: line, column: column - 2, length: 2,
                        "unknown escape `\\\(escaped)` in string; use \\\" \\\\ \\n or \\t")
                    value.unicodeScalars.append(escaped)
                }
                continue
            }
            value.unicodeScalars.append(c)
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<index])
        if !terminated {
            error(
                .unterminatedString, line: line, column: startColumn, length: index - start,
                "unterminated string; add a closing `\"` before the end of the line")
            text += "\""
        }
        emit(.string(value), text: text, column: startColumn, length: index - start, spaceBefore: spaced)
    }

    private mutating func lexNumber() {
        let start = index
        let startColumn = column
        let spaced = spaceBeforeCurrent
        while let c = peek(), ("0"..."9").contains(c) { index += 1 }
        // A date: 2026-03-01 (four digits, then -MM-DD with no spaces).
        if index - start == 4, peek() == "-", let m1 = peek(1), let m2 = peek(2), peek(3) == "-", let d1 = peek(4), let d2 = peek(5),
            [m1, m2, d1, d2].allSatisfy({ ("0"..."9").contains($0) }), !(peek(6).map { ("0"..."9").contains($0) } ?? false)
        {
            index += 6
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[start..<index])
            guard let date = CivilDate(parsing: text) else {
                error(.invalidTime, line: line, column: startColumn, length: index - start, "`\(text)` is not a date; write YYYY-MM-DD")
                emit(.date(CivilDate(year: 1970, month: 1, day: 1)), text: text, column: startColumn, length: index - start, spaceBefore: spaced)
                return
            }
            emit(.date(date), text: text, column: startColumn, length: index - start, spaceBefore: spaced)
            return
        }
        // A time of day: 9:30, 09:30.
        if peek() == ":", let d1 = peek(1), ("0"..."9").contains(d1), let d2 = peek(2), ("0"..."9").contains(d2),
            index - start <= 2
        {
            var hourText = ""
            hourText.unicodeScalars.append(contentsOf: scalars[start..<index])
            index += 3
            let hour = Int(hourText) ?? 99
            let minute = Int(String(d1))! * 10 + Int(String(d2))!
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[start..<index])
            if hour > 23 || minute > 59 {
                error(.invalidTime, line: line, column: startColumn, length: index - start, "`\(text)` is not a time of day; use 00:00 to 23:59")
            }
            emit(
                .timeOfDay(LocalTime(hour: min(hour, 23), minute: min(minute, 59))), text: text, column: startColumn, length: index - start,
                spaceBefore: spaced)
            return
        }
        if peek() == ".", let next = peek(1), ("0"..."9").contains(next) {
            index += 1
            while let c = peek(), ("0"..."9").contains(c) { index += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            var look = 1
            if let sign = peek(1), sign == "+" || sign == "-" { look = 2 }
            if let digit = peek(look), ("0"..."9").contains(digit) {
                index += look
                while let c = peek(), ("0"..."9").contains(c) { index += 1 }
            }
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<index])
        var value = Double(text) ?? .infinity
        if !value.isFinite || value > 1e15 {
            error(
                .invalidNumber, line: line, column: startColumn, length: index - start,
                "number `\(text.count > 24 ? String(text.prefix(20)) + "…" : text)` is too large; numbers must be at most 10^15")
            value = 0
        }
        if peek() == "%" {
            index += 1
            emit(.percent(value), text: text + "%", column: startColumn, length: index - start, spaceBefore: spaced)
        } else {
            emit(.number(value), text: text, column: startColumn, length: index - start, spaceBefore: spaced)
        }
    }

    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }

    private func isIdentifierContinue(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || ("0"..."9").contains(c)
    }

    private mutating func lexIdentifier() {
        let start = index
        let startColumn = column
        let spaced = spaceBeforeCurrent
        while true {
            while let c = peek(), isIdentifierContinue(c) { index += 1 }
            // Dotted paths: customer.address.city
            if peek() == ".", let next = peek(1), isIdentifierStart(next) {
                index += 1
                continue
            }
            break
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<index])
        emit(.identifier, text: text, column: startColumn, length: index - start, spaceBefore: spaced)
    }

    private static let twoCharacterSymbols: Set<String> = ["->", "==", "!=", "<=", ">="]
    private static let oneCharacterSymbols: Set<Unicode.Scalar> = ["<", ">", "=", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", ":"]

    private mutating func lexSymbol(_ c: Unicode.Scalar) {
        let startColumn = column
        let spaced = spaceBeforeCurrent
        if let next = peek(1) {
            var pair = ""
            pair.unicodeScalars.append(c)
            pair.unicodeScalars.append(next)
            if Self.twoCharacterSymbols.contains(pair) {
                index += 2
                emit(.symbol, text: pair, column: startColumn, length: 2, spaceBefore: spaced)
                return
            }
        }
        if Self.oneCharacterSymbols.contains(c) {
            index += 1
            if c == "(" || c == "[" { bracketDepth += 1 }
            if c == ")" || c == "]" { bracketDepth = max(0, bracketDepth - 1) }
            emit(.symbol, text: String(c), column: startColumn, length: 1, spaceBefore: spaced)
            return
        }
        // A run of characters the language does not use: one diagnostic for the run.
        let start = index
        while let d = peek(), d != "\n", d != "\r", d != " ", !isIdentifierContinue(d), d != "\"", d != "#",
            !Self.oneCharacterSymbols.contains(d)
        {
            index += 1
        }
        if index == start { index += 1 }
        let shown: String
        if c.value < 0x20 || c.value == 0x7F || c == "\u{FFFD}" {
            shown = "U+" + String(c.value, radix: 16, uppercase: true).leftPadded(to: 4)
        } else {
            shown = "`\(c)`"
        }
        var message = "unexpected character \(shown)"
        if c == "\u{FFFD}" { message += " (the file may not be valid UTF-8)" }
        if c == "\u{201C}" || c == "\u{201D}" { message += "; use straight quotes `\"`" }
        if c == "&" { message += "; write `and`" }
        if c == "|" { message += "; write `or`" }
        if c == "!" { message += "; write `not`" }
        error(.invalidCharacter, line: line, column: startColumn, length: index - start, message)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
