import Foundation

/// What an expression may refer to where it appears.
struct ExpressionScope {
    /// "a segment condition", "the trigger's filter" … (for messages).
    var description: String
    /// Whether `event.*` may appear.
    var allowsEvent: Bool
    /// The event `event.*` refers to, when known (a filter's event).
    var eventName: String?
}

/// An expression after checking: the IR and its static type.
struct TypedExpression {
    var expression: Expression
    var type: ValueType
    /// Stands in for an expression that already has an error; it never folds to a constant.
    static let invalid = TypedExpression(expression: .customer(["<invalid>"]), type: .any)
}

extension ValueType {
    /// How a type reads in a message.
    var spoken: String {
        switch self {
        case .bool: "true/false"
        case .list(let element): "a list of \(element.spoken)"
        case .any: "any value"
        case .null: "null"
        case .number: "a number"
        case .string: "a string"
        case .time: "a time"
        case .duration: "a duration"
        case .object: "an object"
        }
    }

    func accepts(_ other: ValueType) -> Bool {
        switch (self, other) {
        case (.any, _), (_, .any): return true
        case (.list(let a), .list(let b)): return a.accepts(b)
        default: return self == other
        }
    }
}

extension CatalogChecker {
    mutating func requireBool(_ typed: TypedExpression, _ syntax: ExpressionSyntax, what: String) {
        guard typed.type != .bool, typed.type != .any else { return }
        var notes: [Diagnostic.Note] = []
        if typed.type == .number { notes.append(.init("compare it with something, as in `… > 0`")) }
        error(
            .conditionNotBool, at: syntax.location, length: syntax.length, "\(what) must be true or false, but this is \(typed.type.spoken)",
            notes: notes)
    }

    mutating func checkEventName(_ literal: StringLiteral) {
        guard !schema.events.isEmpty, schema.events[literal.value] == nil, !warnedEvents.contains(literal.value) else { return }
        warnedEvents.insert(literal.value)
        let (hint, _) = Suggestions.didYouMean(literal.value, in: schema.events.keys)
        warning(
            .undeclaredEvent, at: literal.location, length: literal.length, "event \"\(literal.value)\" is not declared in the schema\(hint)",
            notes: [.init("declare it with `event \"\(literal.value)\"` in the schema to check its properties")]
        )
    }

    mutating func check(_ syntax: ExpressionSyntax, in scope: ExpressionScope) -> TypedExpression {
        switch syntax.kind {
        case .invalid:
            return .invalid
        case .number(let n):
            return TypedExpression(expression: .literal(.number(n)), type: .number)
        case .string(let s):
            return TypedExpression(expression: .literal(.string(s)), type: .string)
        case .bool(let b):
            return TypedExpression(expression: .literal(.bool(b)), type: .bool)
        case .null:
            return TypedExpression(expression: .literal(.null), type: .null)
        case .duration(let seconds):
            return TypedExpression(expression: .literal(.duration(seconds)), type: .duration)
        case .date(let date):
            return TypedExpression(expression: .literal(.time(Double(date.dayNumber) * 86_400)), type: .time)
        case .path(let path):
            return checkPath(path, syntax, in: scope)
        case .list(let items):
            var expressions: [Expression] = []
            var element: ValueType?
            for item in items {
                let typed = check(item, in: scope)
                expressions.append(typed.expression)
                if let current = element, typed.type != .any, current != .any, !current.accepts(typed.type) {
                    error(
                        .typeMismatch, at: item.location, length: item.length,
                        "list items must have one type: this is \(typed.type.spoken), the first is \(current.spoken)")
                } else if element == nil || element == .any {
                    element = typed.type
                }
            }
            return TypedExpression(expression: .list(expressions), type: .list(element ?? .any))
        case .unary(let op, let operand):
            let typed = check(operand, in: scope)
            switch op {
            case .not:
                requireBool(typed, operand, what: "the operand of `not`")
                return TypedExpression(expression: .unary(.not, typed.expression), type: .bool)
            case .negate:
                guard [.number, .duration, .any].contains(typed.type) else {
                    error(
                        .typeMismatch, at: syntax.location, length: syntax.length,
                        "`-` needs a number or a duration, but this is \(typed.type.spoken)")
                    return .invalid
                }
                if case .literal(.number(let n)) = typed.expression { return TypedExpression(expression: .literal(.number(-n)), type: .number) }
                if case .literal(.duration(let d)) = typed.expression { return TypedExpression(expression: .literal(.duration(-d)), type: .duration) }
                return TypedExpression(expression: .unary(.negate, typed.expression), type: typed.type)
            }
        case .binary(let op, let left, let right):
            return checkBinary(op, left, right, syntax, in: scope)
        case .call(let name, let arguments):
            return checkCall(name, arguments, syntax, in: scope)
        case .exists(let operand):
            guard case .path(let path) = operand.kind, let root = path.first, root == "customer" || root == "event", path.count > 1 else {
                error(.typeMismatch, at: operand.location, length: operand.length, "`exists` tests an attribute, as in `exists customer.phone`")
                return .invalid
            }
            let typed = check(operand, in: scope)
            return TypedExpression(expression: .exists(typed.expression), type: .bool)
        case .inSegment(let subject, let segment):
            guard case .path(let path) = subject.kind, path == ["customer"] else {
                error(
                    .typeMismatch, at: subject.location, length: subject.length, "write segment membership as `customer in segment \(segment.text)`")
                return .invalid
            }
            if segmentSyntax[segment.text] == nil {
                unknown(.unknownSegment, "segment", segment, candidates: segmentSyntax.keys)
                return .invalid
            }
            return TypedExpression(expression: .inSegment(segment.text), type: .bool)
        case .count(let event, let filter, let within):
            return TypedExpression(expression: checkCount(event: event, filter: filter, within: within), type: .number)
        case .behaviour(let event, let filter, let comparison, let times, let within):
            let count = checkCount(event: event, filter: filter, within: within)
            guard case .number(let n) = times.kind else { return .invalid }
            if n != n.rounded() || n < 0 {
                error(.valueOutOfRange, at: times.location, length: times.length, "a number of times must be a whole number of at least 0")
            }
            return TypedExpression(expression: .binary(comparison, count, .literal(.number(n))), type: .bool)
        case .last(let event):
            checkEventName(event)
            return TypedExpression(expression: .lastEventTime(name: event.value), type: .time)
        }
    }

    mutating func checkCount(event: StringLiteral, filter: ExpressionSyntax?, within: DurationLiteral?) -> Expression {
        checkEventName(event)
        var filterExpression: Expression?
        if let filter {
            let typed = check(filter, in: ExpressionScope(description: "a count's filter", allowsEvent: true, eventName: event.value))
            requireBool(typed, filter, what: "the filter")
            filterExpression = typed.expression
        }
        if let within, within.seconds <= 0 {
            error(.valueOutOfRange, at: within.location, length: within.length, "the window of a count must be longer than 0")
        }
        return .eventCount(name: event.value, filter: filterExpression, within: within?.seconds)
    }

    mutating func checkPath(_ path: [String], _ syntax: ExpressionSyntax, in scope: ExpressionScope) -> TypedExpression {
        let root = path[0]
        let rest = Array(path.dropFirst())
        switch root {
        case "now" where rest.isEmpty:
            return TypedExpression(expression: .now, type: .time)
        case "customer":
            guard let attribute = rest.first else {
                error(
                    .unknownName, at: syntax.location, length: syntax.length,
                    "`customer` alone is not a value; name an attribute such as `customer.email`")
                return .invalid
            }
            let attributeLocation = SourceLocation(
                file: syntax.location.file, line: syntax.location.line, column: syntax.location.column + root.count + 1)
            let type: ValueType
            switch attribute {
            case "id", "email", "phone", "time_zone":
                type = .string
            case "subscribed":
                if rest.count == 1 { return TypedExpression(expression: .customer(rest), type: .object) }
                let channelName = rest[1]
                if Channel(rawValue: channelName) == nil, schema.customerAttributes["subscribed"] == nil {
                    let offset = root.count + attribute.count + 2
                    let location = SourceLocation(file: syntax.location.file, line: syntax.location.line, column: syntax.location.column + offset)
                    unknown(
                        .unknownChannel, "channel", Name(text: channelName, location: location, length: channelName.count),
                        candidates: Channel.allCases.map(\.rawValue))
                    return .invalid
                }
                return TypedExpression(expression: .customer(rest), type: rest.count == 2 ? .bool : .any)
            default:
                if let declared = schema.customerAttributes[attribute] {
                    type = declared
                } else if hasCustomerSchema {
                    let candidates = Set(schema.customerAttributes.keys).union(["id", "email", "phone", "time_zone"])
                    let name = Name(text: attribute, location: attributeLocation, length: attribute.count)
                    unknown(
                        .unknownAttribute, "attribute", name, candidates: candidates,
                        notes: [.init("declare it under `customer` in the schema if it is new")])
                    return .invalid
                } else {
                    type = .any
                }
            }
            if rest.count > 1 {
                guard type == .object || type == .any else {
                    error(.typeMismatch, at: syntax.location, length: syntax.length, "`customer.\(attribute)` is \(type.spoken) and has no fields")
                    return .invalid
                }
                return TypedExpression(expression: .customer(rest), type: .any)
            }
            return TypedExpression(expression: .customer(rest), type: type)
        case "event":
            guard scope.allowsEvent else {
                error(
                    .eventOutsideEventContext, at: syntax.location, length: syntax.length,
                    "`\(path.joined(separator: "."))` has no event to refer to in \(scope.description)",
                    notes: [
                        .init(
                            "`event.*` names a property of the event being tested, inside `count(event \"…\" where …)` or a trigger, wait or exit filter"
                        )
                    ]
                )
                return .invalid
            }
            guard let property = rest.first else {
                error(
                    .unknownName, at: syntax.location, length: syntax.length,
                    "`event` alone is not a value; name a property such as `event.total`, or `event.name` / `event.time`")
                return .invalid
            }
            if rest == ["name"] { return TypedExpression(expression: .eventName, type: .string) }
            if rest == ["time"] { return TypedExpression(expression: .eventTime, type: .time) }
            if let eventName = scope.eventName, let properties = schema.events[eventName] {
                guard let type = properties[property] else {
                    let location = SourceLocation(
                        file: syntax.location.file, line: syntax.location.line, column: syntax.location.column + root.count + 1)
                    unknown(
                        .unknownEventProperty, "property", Name(text: property, location: location, length: property.count),
                        candidates: Array(properties.keys) + ["name", "time"],
                        notes: [.init("event \"\(eventName)\" declares: \(properties.keys.sorted().joined(separator: ", "))")]
                    )
                    return .invalid
                }
                if rest.count > 1 {
                    guard type == .object || type == .any else {
                        error(.typeMismatch, at: syntax.location, length: syntax.length, "`event.\(property)` is \(type.spoken) and has no fields")
                        return .invalid
                    }
                    return TypedExpression(expression: .event(rest), type: .any)
                }
                return TypedExpression(expression: .event(rest), type: type)
            }
            return TypedExpression(expression: .event(rest), type: .any)
        default:
            var hint = ""
            var fixIts: [Diagnostic.FixIt] = []
            if path.count == 1, schema.customerAttributes[root] != nil || !hasCustomerSchema {
                hint = "; did you mean `customer.\(root)`?"
                fixIts = [.init(location: syntax.location, length: syntax.length, replacement: "customer.\(root)")]
            } else if let close = Suggestions.closest(to: root, in: ["customer", "event", "now"]) {
                hint = "; did you mean `\(close)`?"
            }
            error(
                .unknownName, at: syntax.location, length: syntax.length, "unknown name `\(path.joined(separator: "."))`\(hint)",
                notes: [.init("expressions name attributes as `customer.x`, event properties as `event.x`, and the current time as `now`")],
                fixIts: fixIts
            )
            return .invalid
        }
    }

    mutating func checkBinary(
        _ op: BinaryOperator, _ left: ExpressionSyntax, _ right: ExpressionSyntax, _ syntax: ExpressionSyntax, in scope: ExpressionScope
    ) -> TypedExpression {
        let l = check(left, in: scope)
        let r = check(right, in: scope)
        let expression = Expression.binary(op, l.expression, r.expression)
        let symbol = Self.symbol(op)
        func mismatch(_ checker: inout CatalogChecker, _ detail: String = "") -> TypedExpression {
            checker.error(
                .typeMismatch, at: syntax.location, length: syntax.length,
                "cannot apply `\(symbol)` to \(l.type.spoken) and \(r.type.spoken)\(detail)"
            )
            return .invalid
        }
        let anyInvolved = l.type == .any || r.type == .any
        switch op {
        case .and, .or:
            requireBool(l, left, what: "each side of `\(symbol)`")
            requireBool(r, right, what: "each side of `\(symbol)`")
            return TypedExpression(expression: expression, type: .bool)
        case .add, .subtract, .multiply, .divide, .remainder:
            let arithmetic: Set<ValueType> = [.number, .time, .duration, .any]
            guard arithmetic.contains(l.type), arithmetic.contains(r.type) else {
                return mismatch(&self, l.type == .string && r.type == .string ? " (strings cannot be added)" : "")
            }
            if anyInvolved {
                let known = l.type == .any ? r.type : l.type
                return TypedExpression(expression: expression, type: known == .number && op != .subtract ? .any : .any)
            }
            let result: ValueType? =
                switch (op, l.type, r.type) {
                case (_, .number, .number): .number
                case (.add, .time, .duration), (.add, .duration, .time), (.subtract, .time, .duration): .time
                case (.subtract, .time, .time): .duration
                case (.add, .duration, .duration), (.subtract, .duration, .duration): .duration
                case (.multiply, .duration, .number), (.multiply, .number, .duration), (.divide, .duration, .number): .duration
                case (.divide, .duration, .duration): .number
                default: nil
                }
            guard let result else { return mismatch(&self) }
            if op == .divide || op == .remainder, let divisor = ConstantFolder.value(of: r.expression),
                divisor == .number(0) || divisor == .duration(0)
            {
                error(.valueOutOfRange, at: right.location, length: right.length, "division by zero")
            }
            if let folded = ConstantFolder.value(of: expression), l.type != .time {
                return TypedExpression(expression: .literal(folded), type: result)
            }
            return TypedExpression(expression: expression, type: result)
        case .less, .lessEqual, .greater, .greaterEqual:
            let ordered: Set<ValueType> = [.number, .string, .time, .duration, .any]
            guard ordered.contains(l.type), ordered.contains(r.type), l.type.accepts(r.type) else {
                var detail = ""
                if (l.type == .time && r.type == .duration) || (l.type == .duration && r.type == .time) {
                    detail = "; to compare with a time in the past, write `now - \(l.type == .duration ? "<duration>" : "…")`"
                }
                return mismatch(&self, detail)
            }
            return TypedExpression(expression: expression, type: .bool)
        case .equal, .notEqual:
            guard l.type.accepts(r.type) || l.type == .null || r.type == .null else { return mismatch(&self) }
            return TypedExpression(expression: expression, type: .bool)
        case .contains:
            switch (l.type, r.type) {
            case (.string, .string), (.any, _), (.string, .any): break
            case (.list(let element), let item) where element.accepts(item): break
            default: return mismatch(&self, "; `contains` tests a string for a substring or a list for an element")
            }
            return TypedExpression(expression: expression, type: .bool)
        case .startsWith, .endsWith:
            guard [.string, .any].contains(l.type), [.string, .any].contains(r.type) else { return mismatch(&self) }
            return TypedExpression(expression: expression, type: .bool)
        case .in:
            switch r.type {
            case .any: break
            case .list(let element) where element.accepts(l.type) || l.type == .null: break
            default: return mismatch(&self, "; `in` tests membership in a list such as `[\"gold\", \"vip\"]`")
            }
            return TypedExpression(expression: expression, type: .bool)
        case .matches:
            guard [.string, .any].contains(l.type) else { return mismatch(&self) }
            guard case .string(let pattern) = right.kind else {
                error(.typeMismatch, at: right.location, length: right.length, "the pattern after `matches` must be a string literal")
                return .invalid
            }
            do {
                _ = try NSRegularExpression(pattern: pattern)
            } catch {
                self.error(.invalidRegex, at: right.location, length: right.length, "invalid regular expression \"\(pattern)\"")
                return .invalid
            }
            return TypedExpression(expression: expression, type: .bool)
        }
    }

    static func symbol(_ op: BinaryOperator) -> String {
        switch op {
        case .add: "+"
        case .subtract: "-"
        case .multiply: "*"
        case .divide: "/"
        case .remainder: "%"
        case .equal: "=="
        case .notEqual: "!="
        case .less: "<"
        case .lessEqual: "<="
        case .greater: ">"
        case .greaterEqual: ">="
        case .and: "and"
        case .or: "or"
        case .contains: "contains"
        case .startsWith: "starts with"
        case .endsWith: "ends with"
        case .in: "in"
        case .matches: "matches"
        }
    }

    mutating func checkCall(_ name: Name, _ arguments: [ExpressionSyntax], _ syntax: ExpressionSyntax, in scope: ExpressionScope) -> TypedExpression {
        guard let function = Function(rawValue: name.text) else {
            if name.text == "count" || name.text == "last" {
                error(.expected, at: name.location, length: name.length, "write `\(name.text)(event \"name\" …)`")
                return .invalid
            }
            unknown(.unknownFunction, "function", name, candidates: Function.allCases.map(\.rawValue) + ["count", "last"])
            return .invalid
        }
        let typed = arguments.map { check($0, in: scope) }
        func arity(_ checker: inout CatalogChecker, _ expected: String) -> TypedExpression {
            checker.error(
                .argumentCount, at: syntax.location, length: syntax.length,
                "`\(name.text)` takes \(expected), but \(typed.count) \(typed.count == 1 ? "was" : "were") given")
            return .invalid
        }
        func expect(_ checker: inout CatalogChecker, _ index: Int, _ allowed: [ValueType]) -> Bool {
            let type = typed[index].type
            if type == .any || allowed.contains(type) { return true }
            if allowed.contains(.list(.any)), case .list = type { return true }
            checker.error(
                .typeMismatch, at: arguments[index].location, length: arguments[index].length,
                "`\(name.text)` needs \(allowed.map(\.spoken).joined(separator: " or ")), but this is \(type.spoken)"
            )
            return false
        }
        let expression = Expression.call(function, typed.map(\.expression))
        switch function {
        case .lower, .upper, .trim:
            guard typed.count == 1 else { return arity(&self, "one string") }
            guard expect(&self, 0, [.string]) else { return .invalid }
            return TypedExpression(expression: expression, type: .string)
        case .length:
            guard typed.count == 1 else { return arity(&self, "one string or list") }
            guard expect(&self, 0, [.string, .list(.any)]) else { return .invalid }
            return TypedExpression(expression: expression, type: .number)
        case .abs, .round, .floor, .ceil:
            guard typed.count == 1 else { return arity(&self, "one number") }
            guard expect(&self, 0, [.number]) else { return .invalid }
            return TypedExpression(expression: expression, type: .number)
        case .min, .max:
            guard typed.count >= 2 else { return arity(&self, "two or more numbers, times or durations") }
            var result: ValueType = .any
            for index in typed.indices {
                guard expect(&self, index, [.number, .time, .duration]) else { return .invalid }
                if typed[index].type != .any {
                    if result != .any, result != typed[index].type {
                        error(
                            .typeMismatch, at: arguments[index].location, length: arguments[index].length,
                            "`\(name.text)` needs arguments of one type: this is \(typed[index].type.spoken), an earlier one is \(result.spoken)")
                        return .invalid
                    }
                    result = typed[index].type
                }
            }
            return TypedExpression(expression: expression, type: result)
        case .coalesce:
            guard !typed.isEmpty else { return arity(&self, "one or more values") }
            var result: ValueType = .any
            for (index, argument) in typed.enumerated() where argument.type != .any && argument.type != .null {
                if result == .any {
                    result = argument.type
                } else if !result.accepts(argument.type) {
                    error(
                        .typeMismatch, at: arguments[index].location, length: arguments[index].length,
                        "`coalesce` needs arguments of one type: this is \(argument.type.spoken), an earlier one is \(result.spoken)")
                    return .invalid
                }
            }
            return TypedExpression(expression: expression, type: result)
        case .time:
            guard typed.count == 1 else { return arity(&self, "one string") }
            guard expect(&self, 0, [.string]) else { return .invalid }
            if case .literal(.string(let text)) = typed[0].expression, Value.parseTime(text) == nil {
                error(
                    .valueOutOfRange, at: arguments[0].location, length: arguments[0].length,
                    "\"\(text)\" is not an RFC 3339 time such as \"2026-01-01T00:00:00Z\"")
                return .invalid
            }
            return TypedExpression(expression: expression, type: .time)
        case .localHour, .localWeekday, .year, .month, .day, .weekday:
            guard typed.count == 1 else { return arity(&self, "one time or date") }
            guard expect(&self, 0, [.time]) else { return .invalid }
            return TypedExpression(expression: expression, type: .number)
        case .daysBetween:
            guard typed.count == 2 else { return arity(&self, "two times or dates") }
            guard expect(&self, 0, [.time]), expect(&self, 1, [.time]) else { return .invalid }
            return TypedExpression(expression: expression, type: .number)
        }
    }
}
