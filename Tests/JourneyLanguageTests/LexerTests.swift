import Testing

@testable import JourneyLanguage

struct LexerTests {
    /// A compact rendering of the token stream: layout tokens in angle brackets.
    func render(_ text: String) -> String {
        Lexer.tokenize(file: "t", text: text).tokens.map { token in
            switch token.kind {
            case .newline: "<nl>"
            case .indent: "<in>"
            case .dedent: "<de>"
            case .end: "<end>"
            case .string(let value): "s(\(value))"
            case .number(let value): "n(\(value))"
            case .percent(let value): "p(\(value))"
            case .timeOfDay(let time): "t(\(time))"
            default: token.text
            }
        }.joined(separator: " ")
    }

    @Test(arguments: [
        ("journey a\n  wait 1 day\n", "journey a <nl> <in> wait n(1.0) day <nl> <de> <end>"),
        ("a\n  b\n    c\nd\n", "a <nl> <in> b <nl> <in> c <nl> <de> <de> d <nl> <end>"),
        ("a\n\n  # comment\n  b\n", "a <nl> <in> b <nl> <de> <end>"),
        ("where x\n    and y\n  or z\n", "where x and y or z <nl> <end>"),
        ("f(a,\n      b)\n", "f ( a , b ) <nl> <end>"),
        ("customer.lifetime_value >= 1.5e3\n", "customer.lifetime_value >= n(1500.0) <nl> <end>"),
        ("wait until 9:05\n", "wait until t(09:05) <nl> <end>"),
        ("variant a 45%\n", "variant a p(45.0) <nl> <end>"),
        ("x % 3\n", "x % n(3.0) <nl> <end>"),
        ("\"a\\\"b\\n\" -> ==!=<=\n", "s(a\"b\n) -> == != <= <nl> <end>"),
        ("a\r\n  b\r\n", "a <nl> <in> b <nl> <de> <end>"),
        ("", "<end>"),
    ])
    func tokens(source: String, expected: String) {
        #expect(render(source) == expected)
    }

    @Test func commentsAreKeptForTheFormatter() {
        let output = Lexer.tokenize(file: "t", text: "# head\njourney a  # trailing\n")
        #expect(output.comments.map(\.text) == ["# head", "# trailing"])
        #expect(output.codeLines == [2])
    }

    @Test(arguments: [
        ("a\n\tb\n", DiagnosticID.tabIndentation, 2, 1),
        ("x \"open\n", .unterminatedString, 1, 3),
        ("x @ y\n", .invalidCharacter, 1, 3),
        ("wait until 25:00\n", .invalidTime, 1, 12),
        ("priority 99999999999999999999999\n", .invalidNumber, 1, 10),
        ("a\n    b\n  c\n", .inconsistentIndentation, 3, 1),
    ])
    func lexicalErrors(source: String, id: DiagnosticID, line: Int, column: Int) throws {
        let diagnostic = try #require(Lexer.tokenize(file: "t", text: source).diagnostics.first)
        #expect(diagnostic.id == id)
        #expect(diagnostic.location?.line == line)
        #expect(diagnostic.location?.column == column)
    }

    @Test func aForgottenParenthesisDoesNotSwallowTheFile() {
        let tokens = render("journey j\n  if f(a\n  send email x\n")
        #expect(tokens.contains("<nl>"))
    }
}
