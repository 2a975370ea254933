import Foundation
public import JourneyLanguage

/// Evaluates checked expressions against one customer at one instant.
///
/// Run-time surprises never throw: a missing attribute is `null`, arithmetic on `null` or on
/// mismatched types is `null`, an ordering comparison with `null` is `false`, division by zero is
/// `null`. Time strings (RFC 3339) compare and compute as times.
public struct ExpressionEvaluator {
    public var profile: CustomerProfile
    /// The event `event.*` refers to (the one being filtered, or the instance's last matched one).
    public var event: MatchedEvent?
    public var now: Double
    /// The customer's time zone identifier, already defaulted (for `local_hour`, `local_weekday`).
    public var timeZone: String
    public var history: EventHistory
    public var segments: [String: JourneyLanguage.Expression]
    private var depth = 0

    public init(
        profile: CustomerProfile, event: MatchedEvent?, now: Double, timeZone: String, history: EventHistory,
        segments: [String: JourneyLanguage.Expression]
    ) {
        self.profile = profile
        self.event = event
        self.now = now
        self.timeZone = timeZone
        self.history = history
        self.segments = segments
    }

    /// Whether a condition holds (a non-boolean value counts by ``Value/isTruthy``).
    public func holds(_ expression: JourneyLanguage.Expression) -> Bool {
        value(of: expression).isTruthy
    }

    public func value(of expression: JourneyLanguage.Expression) -> Value {
        switch expression {
        case .literal(let v): return v
        case .customer(let path): return customerValue(path)
        case .event(let path):
            guard let event, let first = path.first, let head = event.properties[first] else { return .null }
            return path.count == 1 ? head : head[path: path.dropFirst()]
        case .eventName: return event.map { .string($0.name) } ?? .null
        case .eventTime: return event.map { .time($0.timestamp) } ?? .null
        case .now: return .time(now)
        case .unary(let op, let operand):
            let v = value(of: operand)
            switch op {
            case .not: return .bool(!v.isTruthy)
            case .negate:
                switch v {
                case .number(let n): return .number(-n)
                case .duration(let d): return .duration(-d)
                default: return .null
                }
            }
        case .binary(.and, let l, let r): return .bool(holds(l) && holds(r))
        case .binary(.or, let l, let r): return .bool(holds(l) || holds(r))
        case .binary(let op, let l, let r): return Self.binary(op, value(of: l), value(of: r))
        case .call(let function, let arguments): return call(function, arguments)
        case .exists(let inner): return .bool(value(of: inner) != .null)
        case .inSegment(let name):
            guard let definition = segments[name], depth < 16 else { return .bool(false) }
            var nested = self
            nested.depth += 1
            nested.event = nil
            return .bool(nested.holds(definition))
        case .eventCount(let name, let filter, let within):
            guard let entries = history.events[name] else { return .number(0) }
            let since = within.map { now - $0 } ?? -Double.infinity
            var count = 0
            for entry in entries.reversed() {
                if entry.timestamp < since { break }
                if entry.timestamp > now { continue }
                if let filter {
                    var nested = self
                    nested.event = MatchedEvent(name: name, timestamp: entry.timestamp, properties: entry.properties)
                    if !nested.holds(filter) { continue }
                }
                count += 1
            }
            return .number(Double(count))
        case .lastEventTime(let name):
            guard let last = history.events[name]?.last(where: { $0.timestamp <= now }) else { return .null }
            return .time(last.timestamp)
        case .list(let items): return .list(items.map { value(of: $0) })
        }
    }

    private func customerValue(_ path: [String]) -> Value {
        guard let first = path.first else { return .null }
        let rest = path.dropFirst()
        switch first {
        case "id" where rest.isEmpty: return .string(profile.id)
        case "email" where rest.isEmpty: return profile.email.map(Value.string) ?? .null
        case "phone" where rest.isEmpty: return profile.phone.map(Value.string) ?? .null
        case "time_zone" where rest.isEmpty: return .string(timeZone)
        case "subscribed" where rest.count == 1:
            // A channel or topic missing from the map counts as subscribed.
            return .bool(profile.subscriptions[rest.first!] ?? true)
        default:
            guard let head = profile.attributes[first] else { return .null }
            return rest.isEmpty ? head : head[path: rest]
        }
    }

    // MARK: Functions

    private func call(_ function: Function, _ arguments: [JourneyLanguage.Expression]) -> Value {
        let values = arguments.map { value(of: $0) }
        let first = values.first ?? .null
        switch function {
        case .lower: if case .string(let s) = first { return .string(s.lowercased()) }
        case .upper: if case .string(let s) = first { return .string(s.uppercased()) }
        case .trim: if case .string(let s) = first { return .string(s.trimmingCharacters(in: .whitespacesAndNewlines)) }
        case .length:
            switch first {
            case .string(let s): return .number(Double(s.count))
            case .list(let items): return .number(Double(items.count))
            case .object(let fields): return .number(Double(fields.count))
            default: break
            }
        case .abs, .round, .floor, .ceil:
            let apply: (Double) -> Double =
                switch function {
                case .abs: { Swift.abs($0) }
                case .round: { $0.rounded(.toNearestOrAwayFromZero) }
                case .floor: { $0.rounded(.down) }
                default: { $0.rounded(.up) }
                }
            switch first {
            case .number(let n): return .number(apply(n))
            case .duration(let d): return .duration(apply(d))
            default: break
            }
        case .min, .max:
            var best: Value?
            for v in values where v != .null {
                guard let current = best else {
                    best = v
                    continue
                }
                guard let less = Self.compare(v, current) else { return .null }
                if (function == .min && less < 0) || (function == .max && less > 0) { best = v }
            }
            return best ?? .null
        case .coalesce: return values.first { $0 != .null } ?? .null
        case .time:
            switch first {
            case .string(let s): return Value.parseTime(s).map(Value.time) ?? .null
            case .time: return first
            case .number(let n): return Value.representableTime(n).map(Value.time) ?? .null
            default: break
            }
        case .localHour, .localWeekday:
            guard let t = Self.asTime(first), let zone = LocalClock.zone(timeZone) ?? LocalClock.zone("UTC") else { break }
            if function == .localHour { return .number(Double(LocalClock.localHour(of: t, in: zone))) }
            let day = LocalClock.localDay(of: t, in: zone).day
            return .number(Double(LocalClock.weekday(ofDay: day).rawValue))
        case .year, .month, .day, .weekday:
            guard let t = Self.asTime(first), let zone = LocalClock.zone(timeZone) ?? LocalClock.zone("UTC") else { break }
            let day = LocalClock.calendarDay(of: t, in: zone)
            let date = CivilDate(dayNumber: day)
            switch function {
            case .year: return .number(Double(date.year))
            case .month: return .number(Double(date.month))
            case .day: return .number(Double(date.day))
            default: return .number(Double(LocalClock.weekday(ofDay: day).rawValue))
            }
        case .daysBetween:
            guard values.count == 2, let a = Self.asTime(values[0]), let b = Self.asTime(values[1]),
                let zone = LocalClock.zone(timeZone) ?? LocalClock.zone("UTC")
            else { break }
            return .number(Double(LocalClock.calendarDay(of: b, in: zone) - LocalClock.calendarDay(of: a, in: zone)))
        }
        return .null
    }

    // MARK: Operators

    static func asTime(_ v: Value) -> Double? {
        switch v {
        case .time(let t): Value.representableTime(t)
        case .string(let s): Value.parseTime(s).flatMap(Value.representableTime)
        default: nil
        }
    }

    /// Orders two values of comparable types: negative, zero, positive; `nil` when not comparable.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch (a, b) {
        case (.number(let x), .number(let y)), (.duration(let x), .duration(let y)),
            (.number(let x), .duration(let y)), (.duration(let x), .number(let y)):
            return order(x, y)
        case (.string(let x), .string(let y)): return order(x, y)
        case (.bool(let x), .bool(let y)): return order(x ? 1 : 0, y ? 1 : 0)
        case (.time(let x), _):
            guard let y = asTime(b) else { return nil }
            return order(x, y)
        case (_, .time(let y)):
            guard let x = asTime(a) else { return nil }
            return order(x, y)
        default: return nil
        }
    }

    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.time, .string), (.string, .time), (.number, .duration), (.duration, .number):
            return compare(a, b) == 0
        default: return a == b
        }
    }

    static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) -> Value {
        switch op {
        case .equal: return .bool(equal(a, b))
        case .notEqual: return .bool(!equal(a, b))
        case .less, .lessEqual, .greater, .greaterEqual:
            guard let c = compare(a, b) else { return .bool(false) }
            switch op {
            case .less: return .bool(c < 0)
            case .lessEqual: return .bool(c <= 0)
            case .greater: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .and: return .bool(a.isTruthy && b.isTruthy)
        case .or: return .bool(a.isTruthy || b.isTruthy)
        case .contains:
            switch (a, b) {
            case (.string(let s), .string(let t)): return .bool(s.contains(t))
            case (.list(let items), _): return .bool(items.contains { equal($0, b) })
            default: return .bool(false)
            }
        case .in:
            switch (a, b) {
            case (_, .list(let items)): return .bool(items.contains { equal($0, a) })
            case (.string(let s), .string(let t)): return .bool(t.contains(s))
            default: return .bool(false)
            }
        case .startsWith:
            guard case .string(let s) = a, case .string(let t) = b else { return .bool(false) }
            return .bool(s.hasPrefix(t))
        case .endsWith:
            guard case .string(let s) = a, case .string(let t) = b else { return .bool(false) }
            return .bool(s.hasSuffix(t))
        case .matches:
            guard case .string(let s) = a, case .string(let pattern) = b,
                let regex = try? NSRegularExpression(pattern: pattern)
            else { return .bool(false) }
            let range = NSRange(s.startIndex..<s.endIndex, in: s)
            return .bool(regex.firstMatch(in: s, range: range) != nil)
        case .add, .subtract, .multiply, .divide, .remainder:
            return arithmetic(op, a, b)
        }
    }

    private static func arithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value) -> Value {
        func number(_ x: Double, _ y: Double) -> Double? {
            switch op {
            case .add: x + y
            case .subtract: x - y
            case .multiply: x * y
            case .divide: y == 0 ? nil : x / y
            case .remainder: y == 0 ? nil : x.truncatingRemainder(dividingBy: y)
            default: nil
            }
        }
        switch (a, b) {
        case (.number(let x), .number(let y)): return number(x, y).map(Value.number) ?? .null
        case (.duration(let x), .duration(let y)):
            if op == .divide { return number(x, y).map(Value.number) ?? .null }
            guard op == .add || op == .subtract || op == .remainder else { return .null }
            return number(x, y).map(Value.duration) ?? .null
        // A number next to a duration counts as seconds (durations travel as plain numbers in JSON,
        // so a state read back from a store has numbers where the engine had durations).
        case (.duration(let x), .number(let y)):
            guard op != .remainder else { return .null }
            return number(x, y).map(Value.duration) ?? .null
        case (.number(let x), .duration(let y)):
            guard op == .add || op == .subtract || op == .multiply else { return .null }
            return number(x, y).map(Value.duration) ?? .null
        case (.string(let x), .string(let y)) where op == .add:
            if let tx = Value.parseTime(x), let ty = Value.parseTime(y) { return arithmetic(op, .time(tx), .time(ty)) }
            return .string(x + y)
        default:
            break
        }
        // Times, including RFC 3339 strings on one side of a time operation.
        if case .duration(let d) = b, let t = asTime(a) {
            switch op {
            case .add: return Value.representableTime(t + d).map(Value.time) ?? .null
            case .subtract: return Value.representableTime(t - d).map(Value.time) ?? .null
            default: return .null
            }
        }
        if case .duration(let d) = a, let t = asTime(b), op == .add { return Value.representableTime(t + d).map(Value.time) ?? .null }
        if op == .subtract, let x = asTime(a), let y = asTime(b), a.isTimeLike || b.isTimeLike {
            return .duration(x - y)
        }
        return .null
    }
}

extension Value {
    fileprivate var isTimeLike: Bool {
        if case .time = self { return true }
        return false
    }
}
