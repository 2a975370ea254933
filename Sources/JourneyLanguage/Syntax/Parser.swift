/// Thrown inside the parser after a diagnostic has been recorded; the enclosing block skips the
/// rest of the line (and any block under it) and carries on, so one run reports many errors.
struct ParseError: Error {}

/// A recursive-descent parser over the layout tokens from ``Lexer``.
struct Parser {
    struct Output {
        var file: SourceFileSyntax
        var diagnostics: [Diagnostic]
        var lexed: Lexer.Output
    }

    static let maximumNesting = 64

    let file: String
    var tokens: [Token]
    var position = 0
    var diagnostics: [Diagnostic] = []
    /// The last non-layout token consumed (for the end of spans).
    var lastConsumed: Token
    var nesting = 0
    var expressionNesting = 0
    /// Operators in the expression being parsed (capped, so checking it cannot exhaust the stack).
    var expressionOperators = 0
    static let maximumOperators = 500

    init(file: String, tokens: [Token]) {
        self.file = file
        self.tokens = tokens.isEmpty ? [Token(kind: .end, text: "", line: 1, column: 1, length: 1)] : tokens
        self.lastConsumed = self.tokens[0]
    }

    /// Lexes and parses one file.
    static func parse(file: String, text: String) -> Output {
        let lexed = Lexer.tokenize(file: file, text: text)
        var parser = Parser(file: file, tokens: lexed.tokens)
        let syntax = parser.parseFile()
        // A parse error on a line the lexer already complained about is a consequence of that error.
        let flaggedLines = Set(lexed.diagnostics.compactMap { $0.location?.line })
        let parseDiagnostics = parser.diagnostics.filter { $0.location.map { !flaggedLines.contains($0.line) } ?? true }
        return Output(file: syntax, diagnostics: lexed.diagnostics + parseDiagnostics, lexed: lexed)
    }

    // MARK: Token access

    var current: Token { tokens[position] }

    func peek(_ offset: Int = 1) -> Token { tokens[min(position + offset, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        if !token.isLayout { lastConsumed = token }
        return token
    }

    func location(_ token: Token) -> SourceLocation { token.location(file) }

    /// The length from `start` to the end of the last consumed token, when on the same line.
    func span(from start: Token) -> Int {
        guard lastConsumed.line == start.line, lastConsumed.column >= start.column else { return start.length }
        return lastConsumed.column + lastConsumed.length - start.column
    }

    // MARK: Errors

    mutating func report(
        _ id: DiagnosticID = .expected, at token: Token, _ message: String, notes: [Diagnostic.Note] = [], fixIts: [Diagnostic.FixIt] = []
    ) {
        // One syntax error per position is enough.
        let location = self.location(token)
        if diagnostics.last?.location == location { return }
        diagnostics.append(.error(id, at: location, length: token.isLayout ? 1 : token.length, message, notes: notes, fixIts: fixIts))
    }

    mutating func fail(
        _ id: DiagnosticID = .expected, at token: Token? = nil, _ message: String, notes: [Diagnostic.Note] = [], fixIts: [Diagnostic.FixIt] = []
    ) throws -> Never {
        report(id, at: token ?? current, message, notes: notes, fixIts: fixIts)
        throw ParseError()
    }

    mutating func expected(_ what: String) throws -> Never {
        try fail(at: current, "expected \(what), found \(current.display)")
    }

    // MARK: Expectations

    @discardableResult
    mutating func expectWord(_ word: String, _ context: String? = nil) throws -> Token {
        guard current.isWord(word) else {
            try expected("`\(word)`" + (context.map { " \($0)" } ?? ""))
        }
        return advance()
    }

    @discardableResult
    mutating func expectSymbol(_ symbol: String, _ context: String? = nil) throws -> Token {
        guard current.isSymbol(symbol) else {
            try expected("`\(symbol)`" + (context.map { " \($0)" } ?? ""))
        }
        return advance()
    }

    mutating func expectName(_ what: String) throws -> Name {
        guard current.kind == .identifier else { try expected(what) }
        let token = advance()
        return Name(text: token.text, location: location(token), length: token.length)
    }

    /// A plain name: no dots.
    mutating func expectSimpleName(_ what: String) throws -> Name {
        let name = try expectName(what)
        if name.text.contains(".") {
            diagnostics.append(
                .error(.expected, at: name.location, length: name.length, "expected \(what), found `\(name.text)`; names cannot contain `.`"))
            throw ParseError()
        }
        return name
    }

    mutating func expectString(_ what: String) throws -> StringLiteral {
        guard case .string(let value) = current.kind else {
            if current.kind == .identifier {
                try fail(
                    at: current, "expected \(what) in quotes, found \(current.display)",
                    fixIts: [.init(location: location(current), length: current.length, replacement: "\"\(current.text)\"")]
                )
            }
            try expected(what)
        }
        let token = advance()
        return StringLiteral(value: value, location: location(token), length: token.length)
    }

    mutating func expectTime() throws -> LocalTime {
        guard case .timeOfDay(let time) = current.kind else { try expected("a time of day such as 09:00") }
        advance()
        return time
    }

    mutating func expectWholeNumber(_ what: String) throws -> (Int, Token) {
        guard case .number(let value) = current.kind else { try expected(what) }
        guard value == value.rounded(), value >= 0, value <= 1_000_000_000 else {
            try fail(.invalidNumber, at: current, "expected \(what) (a whole number), found \(current.display)")
        }
        return (Int(value), advance())
    }

    mutating func expectNewline() throws {
        switch current.kind {
        case .newline:
            advance()
        case .end, .dedent:
            break
        default:
            try fail(at: current, "expected end of line, found \(current.display)")
        }
    }

    // MARK: Recovery

    /// Skips the rest of the logical line and any block indented under it.
    mutating func skipLine() {
        while true {
            switch current.kind {
            case .newline:
                advance()
                if current.kind == .indent { skipBlock() }
                return
            case .end, .dedent:
                return
            case .indent:
                skipBlock()
                return
            default:
                advance()
            }
        }
    }

    /// Skips a balanced `indent … dedent` block (current must be `indent`).
    mutating func skipBlock() {
        var depth = 0
        repeat {
            if current.kind == .indent { depth += 1 }
            if current.kind == .dedent { depth -= 1 }
            if current.kind == .end { return }
            advance()
        } while depth > 0
    }

    /// Parses an indented block of items, recovering from errors item by item. Returns `nil` when
    /// no indented block follows.
    mutating func parseBlock<Item>(_ item: (inout Parser) throws -> Item?) -> [Item]? {
        guard current.kind == .indent else { return nil }
        let indent = advance()
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Self.maximumNesting {
            report(
                .nestingTooDeep, at: peek(0).kind == .indent ? indent : current,
                "blocks are nested too deeply (more than \(Self.maximumNesting) levels)")
            position -= 1
            skipBlock()
            return []
        }
        var items: [Item] = []
        while current.kind != .dedent && current.kind != .end {
            if current.kind == .newline {
                advance()
                continue
            }
            if current.kind == .indent {
                report(.unexpectedIndent, at: current, "unexpected indentation; this line is indented deeper than the line before it")
                skipBlock()
                continue
            }
            do {
                if let value = try item(&self) { items.append(value) }
            } catch {
                skipLine()
            }
        }
        if current.kind == .dedent { advance() }
        return items
    }

    // MARK: File and declarations

    static let declarationKeywords = ["journey", "segment", "policy", "schema"]

    mutating func parseFile() -> SourceFileSyntax {
        var declarations: [DeclarationSyntax] = []
        while current.kind != .end {
            switch current.kind {
            case .newline, .dedent:
                advance()
            case .indent:
                report(
                    .unexpectedIndent, at: current,
                    "unexpected indentation; a declaration (journey, segment, policy or schema) starts at the beginning of a line")
                skipBlock()
            default:
                do {
                    declarations.append(try parseDeclaration())
                } catch {
                    skipLine()
                }
            }
        }
        return SourceFileSyntax(path: file, declarations: declarations)
    }

    mutating func parseDeclaration() throws -> DeclarationSyntax {
        let token = current
        switch token.kind == .identifier ? token.text : "" {
        case "journey": return .journey(try parseJourney())
        case "segment": return .segment(try parseSegment())
        case "policy": return .policy(try parsePolicy())
        case "schema": return .schema(try parseSchema())
        default:
            var message = "expected `journey`, `segment`, `policy` or `schema`, found \(token.display)"
            var fixIts: [Diagnostic.FixIt] = []
            if token.kind == .identifier {
                let (text, suggestion) = Suggestions.didYouMean(token.text, in: Self.declarationKeywords)
                message += text
                if let suggestion { fixIts.append(.init(location: location(token), length: token.length, replacement: suggestion)) }
            }
            try fail(.unknownDeclaration, at: token, message, fixIts: fixIts)
        }
    }

    // MARK: Segment

    mutating func parseSegment() throws -> SegmentSyntax {
        let keyword = advance()
        let name = try expectSimpleName("a segment name")
        var title: String?
        if case .string(let value) = current.kind {
            title = value
            advance()
        }
        var condition: ExpressionSyntax?
        let errorsBefore = diagnostics.count
        if current.isWord("where") {
            advance()
            condition = try parseExpression()
        }
        try expectNewline()
        if let items = parseBlock({ parser -> ExpressionSyntax? in
            try parser.expectWord("where", "before the segment's condition")
            let expression = try parser.parseExpression()
            try parser.expectNewline()
            return expression
        }) {
            for item in items {
                if condition != nil {
                    diagnostics.append(
                        .error(.duplicateSetting, at: item.location, "a segment has one `where` condition; combine conditions with `and`"))
                } else {
                    condition = item
                }
            }
        }
        if condition == nil && diagnostics.count == errorsBefore {
            diagnostics.append(
                .error(
                    .expected, at: location(keyword), length: keyword.length,
                    "segment `\(name.text)` has no condition; add `where <condition>` under it"))
        }
        return SegmentSyntax(name: name, title: title, condition: condition, location: location(keyword))
    }

    // MARK: Schema

    mutating func parseSchema() throws -> SchemaSyntax {
        let keyword = advance()
        try expectNewline()
        var schema = SchemaSyntax(location: location(keyword), customer: [], hasCustomerBlock: false, events: [])
        let parts = parseBlock { parser -> (StringLiteral?, [FieldSyntax], SourceLocation)? in
            let start = parser.current
            if start.isWord("customer") {
                parser.advance()
                try parser.expectNewline()
                return (nil, parser.parseFields(), parser.location(start))
            }
            if start.isWord("event") {
                parser.advance()
                let name = try parser.expectString("an event name")
                try parser.expectNewline()
                return (name, parser.parseFields(), parser.location(start))
            }
            try parser.fail(at: start, "expected `customer` or `event \"name\"` in the schema, found \(start.display)")
        }
        for (event, fields, _) in parts ?? [] {
            if let event {
                schema.events.append((event, fields))
            } else {
                schema.hasCustomerBlock = true
                schema.customer += fields
            }
        }
        return schema
    }

    mutating func parseFields() -> [FieldSyntax] {
        parseBlock { parser -> FieldSyntax? in
            let name = try parser.expectSimpleName("an attribute name")
            let type = try parser.parseType()
            try parser.expectNewline()
            return FieldSyntax(name: name, type: type)
        } ?? []
    }

    mutating func parseType() throws -> TypeSyntax {
        let start = current
        let name = try expectName("a type (string, number, bool, time, duration, object, any or list<type>)")
        if name.text == "list" && current.isSymbol("<") {
            advance()
            let element = try parseType()
            try expectSymbol(">", "to close `list<`")
            return .list(element, location(start))
        }
        return .named(name)
    }

    // MARK: Policy

    mutating func parsePolicy() throws -> PolicySyntax {
        let keyword = advance()
        try expectNewline()
        let settings = parseBlock { parser -> PolicySetting? in try parser.parsePolicySetting() } ?? []
        return PolicySyntax(location: location(keyword), settings: settings)
    }

    static let policyKeywords = ["time zone", "settle window", "cap", "minimum gap", "quiet hours", "transactional counts toward caps"]

    mutating func parsePolicySetting() throws -> PolicySetting {
        let start = current
        let kind: PolicySetting.Kind
        switch start.kind == .identifier ? start.text : "" {
        case "time":
            advance()
            try expectWord("zone", "after `time`")
            kind = .timeZone(try expectString("an IANA time zone name such as \"Europe/Paris\""))
        case "settle":
            advance()
            try expectWord("window", "after `settle`")
            kind = .settleWindow(try parseDuration())
        case "cap":
            kind = .cap(try parseCap())
        case "minimum":
            advance()
            try expectWord("gap", "after `minimum`")
            let gap = try parseDuration()
            if current.isWord("between") {
                advance()
                try expectWord("marketing", "after `between` (the gap applies to marketing messages)")
            }
            kind = .minimumGap(gap)
        case "quiet":
            advance()
            try expectWord("hours", "after `quiet`")
            let from = try expectTime()
            try expectWord("to", "between the start and end of quiet hours")
            let to = try expectTime()
            var channels: [Name] = []
            if current.isWord("for") {
                advance()
                channels = try parseNameList("a channel")
            }
            kind = .quietHours(start: from, end: to, channels: channels)
        case "global":
            advance()
            try expectWord("holdout", "after `global` (write `global holdout 5%`)")
            let share = current
            switch share.kind {
            case .percent(let value):
                advance()
                kind = .globalHoldout(value, location(share), share.length)
            case .number:
                try fail(
                    at: share, "write the holdout as a percentage: `\(share.text)%`",
                    fixIts: [.init(location: location(share), length: share.length, replacement: "\(share.text)%")])
            default:
                try expected("the share of customers held out, as a percentage (`5%`)")
            }
        case "transactional":
            advance()
            try expectWord("counts")
            try expectWord("toward")
            try expectWord("caps")
            kind = .transactionalCountsTowardCaps
        default:
            let first = start.kind == .identifier ? start.text : ""
            let (hint, _) = Suggestions.didYouMean(first, in: ["time", "settle", "cap", "minimum", "quiet", "transactional", "global"])
            try fail(
                .unknownStatement, at: start,
                "unknown policy setting \(start.display)\(hint)",
                notes: [.init("a policy holds: " + Self.policyKeywords.map { "`\($0)`" }.joined(separator: ", "))]
            )
        }
        let length = span(from: start)
        try expectNewline()
        return PolicySetting(kind: kind, location: location(start), length: length)
    }

    /// `cap [scope …] N per WINDOW`
    mutating func parseCap() throws -> CapSyntax {
        let keyword = advance()
        var scopes: [(scope: CapSyntax.Scope, location: SourceLocation, length: Int)] = []
        while current.kind == .identifier {
            let token = advance()
            switch token.text {
            case "all": scopes.append((.all, location(token), token.length))
            case "marketing": scopes.append((.marketing, location(token), token.length))
            case "transactional": scopes.append((.transactional, location(token), token.length))
            case "each":
                try expectWord("journey", "after `each`")
                scopes.append((.eachJourney, location(token), span(from: token)))
            case "journey":
                let name = try expectSimpleName("a journey name")
                scopes.append((.journey(name), location(token), span(from: token)))
            default:
                scopes.append((.channel(Name(text: token.text, location: location(token), length: token.length)), location(token), token.length))
            }
            if current.isSymbol(",") { advance() }
        }
        let limitToken = current
        let (limit, _) = try expectWholeNumber("the cap's limit")
        try expectWord("per", "after the cap's limit (`per day`, `per 24 hours`, `per rolling 7 days`)")
        let window: CapWindow
        let windowName: String
        if current.isWord("day") {
            advance()
            window = .calendarDay
            windowName = "day"
        } else if current.isWord("hour") || current.isWord("week") {
            let token = advance()
            window = .rolling(seconds: token.text == "hour" ? 3600 : 7 * 86400)
            windowName = token.text
        } else {
            let rolling = current.isWord("rolling")
            if rolling { advance() }
            let duration = try parseDuration()
            window = .rolling(seconds: duration.seconds)
            windowName = (rolling ? "rolling_" : "") + duration.text.split(separator: " ").joined(separator: "_")
        }
        return CapSyntax(
            scopes: scopes, limit: limit, limitLocation: location(limitToken), window: window, windowName: windowName, location: location(keyword))
    }

    /// `a, b, c` (also `a and b`).
    mutating func parseNameList(_ what: String) throws -> [Name] {
        var names = [try expectSimpleName(what)]
        while current.isSymbol(",") || current.isWord("and") {
            advance()
            names.append(try expectSimpleName(what))
        }
        return names
    }

    // MARK: Durations, weekdays

    static let units: [String: Double] = [
        "second": 1, "seconds": 1, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600,
        "day": 86400, "days": 86400, "week": 604_800, "weeks": 604_800,
    ]

    static func isUnit(_ token: Token) -> Bool { token.kind == .identifier && units[token.text] != nil }

    mutating func parseDuration() throws -> DurationLiteral {
        let start = current
        guard case .number(let amount) = start.kind else {
            try expected("a duration such as `3 days`")
        }
        advance()
        return try parseUnit(amount: amount, start: start)
    }

    mutating func parseUnit(amount: Double, start: Token) throws -> DurationLiteral {
        let unitToken = current
        guard unitToken.kind == .identifier, let factor = Self.units[unitToken.text] else {
            if unitToken.kind == .identifier {
                if ["month", "months", "year", "years"].contains(unitToken.text) {
                    try fail(.unknownUnit, at: unitToken, "`\(unitToken.text)` has no fixed length; write the duration in days (30 days, 365 days)")
                }
                let (hint, suggestion) = Suggestions.didYouMean(unitToken.text, in: Self.units.keys)
                try fail(
                    .unknownUnit, at: unitToken, "unknown unit of time `\(unitToken.text)`\(hint)",
                    notes: [.init("units are seconds, minutes, hours, days and weeks")],
                    fixIts: suggestion.map { [.init(location: location(unitToken), length: unitToken.length, replacement: $0)] } ?? []
                )
            }
            try expected("a unit of time (minutes, hours, days …) after `\(start.text)`")
        }
        advance()
        var unit = unitToken.text
        if unit.hasSuffix("s") { unit.removeLast() }
        let text = "\(start.text) \(amount == 1 ? unit : unit + "s")"
        return DurationLiteral(seconds: amount * factor, text: text, location: location(start), length: span(from: start))
    }

    static let weekdayNames: [String: Weekday] = {
        var names: [String: Weekday] = [:]
        for day in Weekday.allCases {
            names[day.name] = day
            names[day.name + "s"] = day
        }
        return names
    }()

    /// `weekdays`, `weekends`, or `monday, thursday`.
    mutating func parseWeekdays() throws -> Set<Weekday> {
        if current.isWord("weekdays") || current.isWord("weekday") {
            advance()
            return [.monday, .tuesday, .wednesday, .thursday, .friday]
        }
        if current.isWord("weekends") || current.isWord("weekend") {
            advance()
            return [.saturday, .sunday]
        }
        var days: Set<Weekday> = []
        repeat {
            if current.isSymbol(",") || current.isWord("and") { advance() }
            let token = current
            guard token.kind == .identifier, let day = Self.weekdayNames[token.text] else {
                if token.kind == .identifier {
                    let (hint, suggestion) = Suggestions.didYouMean(token.text, in: Weekday.allCases.map(\.name) + ["weekdays", "weekends"])
                    try fail(
                        at: token, "unknown day `\(token.text)`\(hint)",
                        fixIts: suggestion.map { [.init(location: location(token), length: token.length, replacement: $0)] } ?? []
                    )
                }
                try expected("a day of the week (monday … sunday), `weekdays` or `weekends`")
            }
            advance()
            days.insert(day)
        } while current.isSymbol(",") || current.isWord("and")
        return days
    }
}
