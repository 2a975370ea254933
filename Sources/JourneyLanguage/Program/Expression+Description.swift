extension Expression: CustomStringConvertible {
    /// The expression in journey-language syntax (`customer.lifetime_value > 500`), as used in
    /// graphs and reports.
    public var description: String { ExpressionPrinter.print(self, parentPrecedence: 0) }
}

enum ExpressionPrinter {
    static func precedence(_ op: BinaryOperator) -> Int {
        switch op {
        case .or: 1
        case .and: 2
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .contains, .startsWith, .endsWith, .in, .matches: 4
        case .add, .subtract: 5
        case .multiply, .divide, .remainder: 6
        }
    }

    static func print(_ expression: Expression, parentPrecedence: Int) -> String {
        switch expression {
        case .literal(let value): return literal(value)
        case .customer(let path): return (["customer"] + path).joined(separator: ".")
        case .event(let path): return (["event"] + path).joined(separator: ".")
        case .eventName: return "event.name"
        case .eventTime: return "event.time"
        case .now: return "now"
        case .unary(.not, let operand):
            let text = "not " + print(operand, parentPrecedence: 3)
            return parentPrecedence > 3 ? "(\(text))" : text
        case .unary(.negate, let operand):
            return "-" + print(operand, parentPrecedence: 7)
        case .binary(let op, let l, let r):
            let p = precedence(op)
            let text = print(l, parentPrecedence: p == 4 ? 5 : p) + " " + CatalogChecker.symbol(op) + " " + print(r, parentPrecedence: p + 1)
            return parentPrecedence > p ? "(\(text))" : text
        case .call(let function, let arguments):
            return function.rawValue + "(" + arguments.map { print($0, parentPrecedence: 0) }.joined(separator: ", ") + ")"
        case .exists(let operand): return "exists " + print(operand, parentPrecedence: 7)
        case .inSegment(let name): return "customer in segment \(name)"
        case .eventCount(let name, let filter, let within):
            var text = "count(event \(quote(name))"
            if let filter { text += " where " + print(filter, parentPrecedence: 0) }
            if let within { text += " within " + CatalogChecker.describe(seconds: within) }
            return text + ")"
        case .lastEventTime(let name): return "last(event \(quote(name)))"
        case .list(let items): return "[" + items.map { print($0, parentPrecedence: 0) }.joined(separator: ", ") + "]"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    static func literal(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): return quote(s)
        case .time(let t):
            // A date literal reads back as one.
            if t.truncatingRemainder(dividingBy: 86_400) == 0 { return CivilDate(dayNumber: Int(t / 86_400)).description }
            return "time(\(quote(Value.formatTime(t))))"
        case .duration(let d): return CatalogChecker.describe(seconds: d)
        case .list(let items): return "[" + items.map(literal).joined(separator: ", ") + "]"
        case .object: return "{…}"
        }
    }
}
