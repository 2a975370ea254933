/// Evaluates the parts of an expression that do not depend on the customer, the event or the
/// clock, so the checker can tell conditions that are always or never true.
enum ConstantFolder {
    static func value(of expression: Expression) -> Value? {
        switch expression {
        case .literal(let value):
            return value
        case .list(let items):
            var values: [Value] = []
            for item in items {
                guard let value = value(of: item) else { return nil }
                values.append(value)
            }
            return .list(values)
        case .unary(.not, let operand):
            guard case .bool(let b)? = value(of: operand) else { return nil }
            return .bool(!b)
        case .unary(.negate, let operand):
            switch value(of: operand) {
            case .number(let n)?: return .number(-n)
            case .duration(let d)?: return .duration(-d)
            default: return nil
            }
        case .binary(let op, let left, let right):
            let l = value(of: left)
            let r = value(of: right)
            // `false and x`, `x or true` are decided whatever x is.
            if op == .and, case .bool(false)? = l ?? r { return .bool(false) }
            if op == .and, case .bool(false)? = r { return .bool(false) }
            if op == .or, case .bool(true)? = l { return .bool(true) }
            if op == .or, case .bool(true)? = r { return .bool(true) }
            guard let l, let r else { return nil }
            return binary(op, l, r)
        default:
            return nil
        }
    }

    private static func binary(_ op: BinaryOperator, _ l: Value, _ r: Value) -> Value? {
        switch (op, l, r) {
        case (.and, .bool(let a), .bool(let b)): return .bool(a && b)
        case (.or, .bool(let a), .bool(let b)): return .bool(a || b)
        case (.equal, _, _): return .bool(l == r)
        case (.notEqual, _, _): return .bool(l != r)
        case (.add, .number(let a), .number(let b)): return .number(a + b)
        case (.subtract, .number(let a), .number(let b)): return .number(a - b)
        case (.multiply, .number(let a), .number(let b)): return .number(a * b)
        case (.add, .duration(let a), .duration(let b)): return .duration(a + b)
        case (.subtract, .duration(let a), .duration(let b)): return .duration(a - b)
        case (.multiply, .duration(let a), .number(let b)), (.multiply, .number(let b), .duration(let a)): return .duration(a * b)
        case (.less, _, _), (.lessEqual, _, _), (.greater, _, _), (.greaterEqual, _, _):
            guard let order = compare(l, r) else { return nil }
            switch op {
            case .less: return .bool(order < 0)
            case .lessEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case (.contains, .string(let a), .string(let b)): return .bool(a.contains(b))
        case (.contains, .list(let items), _): return .bool(items.contains(r))
        case (.in, _, .list(let items)): return .bool(items.contains(l))
        case (.startsWith, .string(let a), .string(let b)): return .bool(a.hasPrefix(b))
        case (.endsWith, .string(let a), .string(let b)): return .bool(a.hasSuffix(b))
        default: return nil
        }
    }

    private static func compare(_ l: Value, _ r: Value) -> Int? {
        switch (l, r) {
        case (.number(let a), .number(let b)), (.duration(let a), .duration(let b)), (.time(let a), .time(let b)):
            return a < b ? -1 : a > b ? 1 : 0
        case (.string(let a), .string(let b)):
            return a < b ? -1 : a > b ? 1 : 0
        default:
            return nil
        }
    }
}
