/// One lexical token of a journey file.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A name, keyword or dotted path (`journey`, `cart_reminder`, `customer.lifetime_value`).
        case identifier
        /// A string literal; the payload is the decoded value.
        case string(String)
        case number(Double)
        /// `45%`: a number written directly before `%`.
        case percent(Double)
        /// `09:30`.
        case timeOfDay(LocalTime)
        /// `2026-03-01`: a date literal (four-digit year, no spaces).
        case date(CivilDate)
        /// An operator or punctuation: `->`, `==`, `(`, `,` …; the text is in `text`.
        case symbol
        /// End of a logical line.
        case newline
        /// The next line is indented deeper than the current block.
        case indent
        /// A block ends.
        case dedent
        case end
    }

    var kind: Kind
    /// The token exactly as written (empty for layout tokens).
    var text: String
    var line: Int
    var column: Int
    /// Length in Unicode scalars (for carets).
    var length: Int
    /// Whether whitespace (or a line start) precedes the token in the source.
    var spaceBefore: Bool = true

    func location(_ file: String) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }

    var isLayout: Bool {
        switch kind {
        case .newline, .indent, .dedent, .end: true
        default: false
        }
    }

    func isWord(_ word: String) -> Bool { kind == .identifier && text == word }
    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }

    /// How the token reads in a message: `identifier `foo``, `end of line`, …
    var display: String {
        switch kind {
        case .newline: "end of line"
        case .indent: "an indented block"
        case .dedent: "end of block"
        case .end: "end of file"
        case .string: "string \(text)"
        default: "`\(text)`"
        }
    }
}

/// A `#` comment, kept for the formatter.
struct Comment: Sendable, Equatable {
    var text: String
    var line: Int
    var column: Int
}
