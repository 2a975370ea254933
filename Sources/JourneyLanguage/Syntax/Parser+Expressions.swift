/// Expressions, lowest precedence first:
/// `or` < `and` < `not` < comparisons and tests < `+ -` < `* / %` < unary `-` < primary.
extension Parser {
    mutating func parseExpression() throws -> ExpressionSyntax {
        if expressionNesting == 0 { expressionOperators = 0 }
        expressionNesting += 1
        defer { expressionNesting -= 1 }
        if expressionNesting > Self.maximumNesting {
            try fail(
                .nestingTooDeep, at: current, "expression is nested too deeply (more than \(Self.maximumNesting) levels); split it into simpler parts"
            )
        }
        return try parseOr()
    }

    /// Counts an operator against the size limit.
    private mutating func countOperator() throws {
        expressionOperators += 1
        if expressionOperators > Self.maximumOperators {
            try fail(
                .nestingTooDeep, at: current,
                "expression is too long (more than \(Self.maximumOperators) operators); split it into segments or simpler conditions")
        }
    }

    private mutating func binary(_ op: BinaryOperator, _ left: ExpressionSyntax, _ right: ExpressionSyntax) -> ExpressionSyntax {
        let length =
            left.location.line == right.location.line && right.location.column >= left.location.column
            ? right.location.column + right.length - left.location.column : left.length
        return ExpressionSyntax(kind: .binary(op, left, right), location: left.location, length: length)
    }

    private mutating func parseOr() throws -> ExpressionSyntax {
        var left = try parseAnd()
        while current.isWord("or") {
            try countOperator()
            let keyword = advance()
            try refuseTrailingConnective(keyword)
            left = binary(.or, left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws -> ExpressionSyntax {
        var left = try parseNot()
        while current.isWord("and") {
            try countOperator()
            let keyword = advance()
            try refuseTrailingConnective(keyword)
            left = binary(.and, left, try parseNot())
        }
        return left
    }

    /// `if a > 5 and` with the rest on the next line: a condition continues on a line that
    /// starts with `and` / `or`, not after a line that ends with one.
    private mutating func refuseTrailingConnective(_ keyword: Token) throws {
        guard current.kind == .newline || current.kind == .indent || current.kind == .end else { return }
        try fail(
            at: keyword,
            "`\(keyword.text)` ends the line: a condition that continues on the next line starts that line with `\(keyword.text)`",
            notes: [.init("move `\(keyword.text)` to the start of the next line, indented deeper than the first")])
    }

    private mutating func parseNot() throws -> ExpressionSyntax {
        guard current.isWord("not") else { return try parseComparison() }
        let keyword = advance()
        expressionNesting += 1
        defer { expressionNesting -= 1 }
        if expressionNesting > Self.maximumNesting {
            try fail(.nestingTooDeep, at: current, "expression is nested too deeply (more than \(Self.maximumNesting) levels)")
        }
        let operand = try parseNot()
        return ExpressionSyntax(kind: .unary(.not, operand), location: location(keyword), length: span(from: keyword))
    }

    /// The comparison or test at the current token, if any, with how many tokens it takes.
    private func comparisonOperator() -> (BinaryOperator, tokens: Int, negated: Bool)? {
        let token = current
        if token.kind == .symbol {
            switch token.text {
            case "==": return (.equal, 1, false)
            case "!=": return (.notEqual, 1, false)
            case "<": return (.less, 1, false)
            case "<=": return (.lessEqual, 1, false)
            case ">": return (.greater, 1, false)
            case ">=": return (.greaterEqual, 1, false)
            case "=": return nil
            default: return nil
            }
        }
        guard token.kind == .identifier else { return nil }
        switch token.text {
        case "contains": return (.contains, 1, false)
        case "starts" where peek().isWord("with"): return (.startsWith, 2, false)
        case "ends" where peek().isWord("with"): return (.endsWith, 2, false)
        case "in": return (.in, 1, false)
        case "matches": return (.matches, 1, false)
        case "not" where peek().isWord("in"): return (.in, 2, true)
        case "not" where peek().isWord("contains"): return (.contains, 2, true)
        default: return nil
        }
    }

    private mutating func parseComparison() throws -> ExpressionSyntax {
        let left = try parseAdditive()
        if current.isSymbol("=") {
            try fail(
                at: current, "`=` assigns; compare with `==`",
                fixIts: [.init(location: location(current), length: 1, replacement: "==")]
            )
        }
        guard let (op, count, negated) = comparisonOperator() else { return left }
        for _ in 0..<count { advance() }
        var result: ExpressionSyntax
        if op == .in, current.isWord("segment") {
            advance()
            let segment = try expectSimpleName("a segment name")
            result = ExpressionSyntax(kind: .inSegment(left, segment), location: left.location, length: left.length)
            result.length =
                segment.location.line == left.location.line ? segment.location.column + segment.length - left.location.column : left.length
        } else {
            result = binary(op, left, try parseAdditive())
        }
        if negated {
            result = ExpressionSyntax(kind: .unary(.not, result), location: result.location, length: result.length)
        }
        if comparisonOperator() != nil {
            try fail(at: current, "comparisons cannot be chained; combine them with `and`")
        }
        return result
    }

    private mutating func parseAdditive() throws -> ExpressionSyntax {
        var left = try parseMultiplicative()
        while current.isSymbol("+") || current.isSymbol("-") {
            try countOperator()
            let op: BinaryOperator = advance().text == "+" ? .add : .subtract
            left = binary(op, left, try parseMultiplicative())
        }
        return left
    }

    private mutating func parseMultiplicative() throws -> ExpressionSyntax {
        var left = try parseUnary()
        while current.isSymbol("*") || current.isSymbol("/") || current.isSymbol("%") {
            try countOperator()
            let text = advance().text
            let op: BinaryOperator = text == "*" ? .multiply : text == "/" ? .divide : .remainder
            left = binary(op, left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws -> ExpressionSyntax {
        guard current.isSymbol("-") else { return try parsePrimary() }
        let minus = advance()
        expressionNesting += 1
        defer { expressionNesting -= 1 }
        if expressionNesting > Self.maximumNesting {
            try fail(.nestingTooDeep, at: current, "expression is nested too deeply (more than \(Self.maximumNesting) levels)")
        }
        let operand = try parseUnary()
        return ExpressionSyntax(kind: .unary(.negate, operand), location: location(minus), length: span(from: minus))
    }

    static let callForms: Set<String> = Set(Function.allCases.map(\.rawValue)).union(["count", "last"])

    private mutating func parsePrimary() throws -> ExpressionSyntax {
        let token = current
        let here = location(token)
        switch token.kind {
        case .number(let value):
            advance()
            if Self.isUnit(current) {
                let duration = try parseUnit(amount: value, start: token)
                return ExpressionSyntax(kind: .duration(duration.seconds), location: here, length: duration.length)
            }
            return ExpressionSyntax(kind: .number(value), location: here, length: token.length)
        case .percent:
            try fail(at: token, "a percentage is only a split weight; write the number without `%` (for a remainder, put spaces around `%`)")
        case .string(let value):
            advance()
            return ExpressionSyntax(kind: .string(value), location: here, length: token.length)
        case .timeOfDay:
            try fail(at: token, "a time of day is not a value in expressions; use `local_hour(now)` to test the hour")
        case .date(let date):
            advance()
            return ExpressionSyntax(kind: .date(date), location: here, length: token.length)
        case .symbol where token.text == "(":
            advance()
            var inner = try parseExpression()
            try expectSymbol(")", "to close the `(` at \(here.line):\(here.column)")
            inner.location = here
            inner.length = span(from: token)
            return inner
        case .symbol where token.text == "[":
            advance()
            var items: [ExpressionSyntax] = []
            while !current.isSymbol("]") {
                try countOperator()
                items.append(try parseExpression())
                if current.isSymbol(",") {
                    advance()
                } else if !current.isSymbol("]") {
                    try expected("`,` or `]` in the list")
                }
            }
            advance()
            return ExpressionSyntax(kind: .list(items), location: here, length: span(from: token))
        case .identifier:
            return try parseWord(token)
        default:
            try expected("an expression")
        }
    }

    private mutating func parseWord(_ token: Token) throws -> ExpressionSyntax {
        let here = location(token)
        switch token.text {
        case "true", "false":
            advance()
            return ExpressionSyntax(kind: .bool(token.text == "true"), location: here, length: token.length)
        case "null":
            advance()
            return ExpressionSyntax(kind: .null, location: here, length: token.length)
        case "exists":
            advance()
            let operand = try parsePrimary()
            return ExpressionSyntax(kind: .exists(operand), location: here, length: span(from: token))
        case "event"
        where {
            if case .string = peek().kind { return true }
            return false
        }():
            return try parseBehaviour()
        case "count" where peek().isSymbol("("):
            advance()
            advance()
            try expectWord("event", "inside `count(`, as in `count(event \"order.completed\" within 30 days)`")
            let event = try expectString("an event name")
            var filter: ExpressionSyntax?
            if current.isWord("where") {
                advance()
                filter = try parseExpression()
            }
            var within: DurationLiteral?
            if current.isWord("within") || current.isWord("in") {
                advance()
                if current.isWord("last") { advance() }
                within = try parseDuration()
            }
            try expectSymbol(")", "to close `count(`")
            return ExpressionSyntax(kind: .count(event: event, filter: filter, within: within), location: here, length: span(from: token))
        case "last" where peek().isSymbol("("):
            advance()
            advance()
            try expectWord("event", "inside `last(`, as in `last(event \"order.completed\")`")
            let event = try expectString("an event name")
            try expectSymbol(")", "to close `last(`")
            return ExpressionSyntax(kind: .last(event: event), location: here, length: span(from: token))
        default:
            break
        }
        advance()
        if current.isSymbol("(") && !token.text.contains(".") {
            advance()
            var arguments: [ExpressionSyntax] = []
            while !current.isSymbol(")") {
                try countOperator()
                arguments.append(try parseExpression())
                if current.isSymbol(",") {
                    advance()
                } else if !current.isSymbol(")") {
                    try expected("`,` or `)` in the call to `\(token.text)`")
                }
            }
            advance()
            let name = Name(text: token.text, location: here, length: token.length)
            return ExpressionSyntax(kind: .call(name, arguments), location: here, length: span(from: token))
        }
        return ExpressionSyntax(kind: .path(token.text.split(separator: ".").map(String.init)), location: here, length: token.length)
    }

    /// `event "x" [where f] at least|at most|exactly N times [in last D | within D]`
    private mutating func parseBehaviour() throws -> ExpressionSyntax {
        let start = advance()
        let event = try expectString("an event name")
        var filter: ExpressionSyntax?
        if current.isWord("where") {
            advance()
            filter = try parseExpression()
        }
        let comparison: BinaryOperator
        if current.isWord("at") && peek().isWord("least") {
            comparison = .greaterEqual
            advance()
            advance()
        } else if current.isWord("at") && peek().isWord("most") {
            comparison = .lessEqual
            advance()
            advance()
        } else if current.isWord("exactly") {
            comparison = .equal
            advance()
        } else {
            try expected(
                "`at least N times`, `at most N times` or `exactly N times` after `event \"\(event.value)\"` (or use `count(event \"\(event.value)\")`)"
            )
        }
        let timesToken = current
        guard case .number(let times) = timesToken.kind else { try expected("a number of times") }
        advance()
        guard current.isWord("times") || current.isWord("time") else { try expected("`times` after `\(timesToken.text)`") }
        advance()
        var within: DurationLiteral?
        if current.isWord("in") {
            advance()
            if current.isWord("the") { advance() }
            try expectWord("last", "after `in` (`in last 7 days`)")
            within = try parseDuration()
        } else if current.isWord("within") {
            advance()
            within = try parseDuration()
        }
        let timesExpression = ExpressionSyntax(kind: .number(times), location: location(timesToken), length: timesToken.length)
        return ExpressionSyntax(
            kind: .behaviour(event: event, filter: filter, comparison: comparison, times: timesExpression, within: within),
            location: location(start), length: span(from: start)
        )
    }
}
