/// A checked, resolved expression: what the compiler hands the engine.
///
/// Names are already resolved (a named segment is still referenced by name so that segment-entry
/// triggers can track it; its definition is in ``JourneyCatalog/segments``), and every expression
/// passed the type checker, so the engine only meets run-time surprises such as a missing attribute
/// (which evaluates to `null`).
public indirect enum Expression: Sendable, Hashable, Codable {
    case literal(Value)
    /// `customer.lifetime_value`, `customer.address.city`: a profile attribute. The built-in
    /// profile fields are reachable the same way: `customer.id`, `customer.email`, `customer.phone`,
    /// `customer.time_zone`, `customer.subscribed.email` (bool).
    case customer([String])
    /// `event.items`: inside a `where` filter, a property of the event being tested; elsewhere in a
    /// journey, a property of the most recent event the instance matched (its trigger, or the event
    /// a `wait for event` received).
    case event([String])
    /// `event.name` / `event.time` are the event's own name and timestamp.
    case eventName
    case eventTime
    /// The current instant (the virtual clock in a dry-run).
    case now
    case unary(UnaryOperator, Expression)
    case binary(BinaryOperator, Expression, Expression)
    case call(Function, [Expression])
    /// `exists customer.phone`: true when the path holds a value other than `null`.
    case exists(Expression)
    /// `customer in segment hesitant_buyers`.
    case inSegment(String)
    /// Behavioural count: how many `name` events (matching `filter`, where `event.*` names the
    /// counted event) the customer had within the last `within` seconds (all retained history when
    /// `nil`). A number.
    case eventCount(name: String, filter: Expression?, within: Double?)
    /// The time of the customer's most recent `name` event, or `null` if none is retained.
    case lastEventTime(name: String)
    case list([Expression])
}

public enum UnaryOperator: String, Sendable, Hashable, Codable {
    case not
    case negate
}

public enum BinaryOperator: String, Sendable, Hashable, Codable {
    // arithmetic: number ∘ number; time − time = duration; time ± duration = time; duration ± duration;
    // duration × number
    case add, subtract, multiply, divide, remainder
    // comparison: numbers, strings, times, durations; equality on any two values of one type
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case and, or
    // string tests (case-sensitive) and membership
    case contains  // string contains string; list contains element
    case startsWith, endsWith
    case `in`  // element in list
    case matches  // string matches a regular expression (the pattern must be a literal)
}

public enum Function: String, Sendable, Hashable, Codable, CaseIterable {
    case lower, upper, length, trim
    case abs, round, floor, ceil, min, max
    /// `coalesce(a, b, ...)`: the first argument that is not null.
    case coalesce
    /// `time("2026-01-01T00:00:00Z")` parses a timestamp string (null when it does not parse).
    case time
    /// `local_hour(t)`, `local_weekday(t)`: in the customer's time zone (weekday 1 = Monday … 7 = Sunday).
    case localHour = "local_hour"
    case localWeekday = "local_weekday"
    /// `year(t)`, `month(t)` (1–12), `day(t)` (1–31), `weekday(t)` (1 = Monday … 7 = Sunday): the
    /// calendar date of a time in the customer's time zone; a date value (`1990-02-28`, stored as
    /// its midnight UTC) is that date wherever the customer is.
    case year, month, day, weekday
    /// `days_between(a, b)`: whole calendar days from the date of `a` to the date of `b` (negative
    /// when `b` is earlier), by the same dates as `year`/`month`/`day`.
    case daysBetween = "days_between"
}
