import JourneyLanguage
import Testing

@testable import JourneyEngine

/// Run-time evaluation: types, `null`, times and durations, strings and lists, behavioural counts.
struct ExpressionEvaluatorTests {
    static let profile = CustomerProfile(
        id: "c1", email: "c1@example.com", timeZone: "Europe/Paris", subscriptions: ["sms": false],
        attributes: [
            "ltv": .number(640), "plan": .string("pro"), "tags": .list([.string("vip"), .string("outdoor")]),
            "signed_up_at": .string("2026-02-20T09:00:00Z"), "address": .object(["city": .string("Lyon")]),
        ])
    static let history = EventHistory(events: [
        "product.viewed": [
            HistoryEntry(timestamp: t0 - 8 * day, properties: ["price": .number(10)]),
            HistoryEntry(timestamp: t0 - 2 * day, properties: ["price": .number(90)]),
            HistoryEntry(timestamp: t0 - hour, properties: ["price": .number(120)]),
        ]
    ])

    static func evaluate(_ e: Expression) -> Value {
        ExpressionEvaluator(
            profile: profile, event: MatchedEvent(name: "cart.updated", timestamp: t0 - 60, properties: ["items": .number(3)]), now: t0,
            timeZone: "Europe/Paris", history: history, segments: ["big": attr("ltv") > num(500)]
        ).value(of: e)
    }

    static func lit(_ v: Value) -> Expression { .literal(v) }

    @Test(arguments: [
        (attr("ltv"), Value.number(640)),
        (attr("address", "city"), .string("Lyon")),
        (attr("missing"), .null),
        (attr("address", "zip"), .null),
        (attr("id"), .string("c1")),
        (attr("time_zone"), .string("Europe/Paris")),
        (attr("subscribed", "sms"), .bool(false)),
        (attr("subscribed", "email"), .bool(true)),
        (prop("items"), .number(3)),
        (Expression.eventName, .string("cart.updated")),
        (.eventTime, .time(t0 - 60)),
        (.binary(.add, attr("ltv"), num(1)), .number(641)),
        (.binary(.add, attr("missing"), num(1)), .null),
        (.binary(.divide, num(1), num(0)), .null),
        (.binary(.remainder, num(7), num(4)), .number(3)),
        (.binary(.greater, attr("missing"), num(1)), .bool(false)),
        (.binary(.less, attr("missing"), num(1)), .bool(false)),
        (.binary(.equal, attr("missing"), Self.lit(.null)), .bool(true)),
        (.binary(.notEqual, attr("plan"), str("free")), .bool(true)),
        (.binary(.greater, str("b"), str("a")), .bool(true)),
        // time − time = duration; time ± duration = time; strings in RFC 3339 act as times
        (.binary(.subtract, .now, attr("signed_up_at")), .duration(t0 - utc("2026-02-20T09:00:00Z"))),
        (.binary(.greater, .binary(.subtract, .now, attr("signed_up_at")), Self.lit(.duration(7 * day))), .bool(true)),
        (.binary(.add, .now, Self.lit(.duration(hour))), .time(t0 + hour)),
        (.binary(.multiply, Self.lit(.duration(hour)), num(2)), .duration(2 * hour)),
        // Numbers next to durations are seconds (a state read back from JSON has numbers there).
        (.binary(.add, num(60), Self.lit(.duration(60))), .duration(120)),
        (.binary(.greater, num(7_200), Self.lit(.duration(hour))), .bool(true)),
        (.binary(.less, attr("signed_up_at"), .now), .bool(true)),
        (.binary(.contains, attr("tags"), str("vip")), .bool(true)),
        (.binary(.in, str("outdoor"), attr("tags")), .bool(true)),
        (.binary(.contains, attr("plan"), str("r")), .bool(true)),
        (.binary(.startsWith, attr("plan"), str("p")), .bool(true)),
        (.binary(.endsWith, attr("plan"), str("x")), .bool(false)),
        (.binary(.matches, attr("email"), str("^c[0-9]+@")), .bool(true)),
        (.binary(.and, Self.lit(.bool(true)), attr("missing")), .bool(false)),
        (.binary(.or, attr("missing"), Self.lit(.bool(true))), .bool(true)),
        (.unary(.not, attr("missing")), .bool(true)),
        (.unary(.negate, num(2)), .number(-2)),
        (.exists(attr("ltv")), .bool(true)),
        (.exists(attr("phone")), .bool(false)),
        (.call(.lower, [str("ABC")]), .string("abc")),
        (.call(.length, [attr("tags")]), .number(2)),
        (.call(.trim, [str("  x ")]), .string("x")),
        (.call(.round, [num(2.5)]), .number(3)),
        (.call(.max, [num(1), num(7), attr("missing")]), .number(7)),
        (.call(.coalesce, [attr("missing"), str("fallback")]), .string("fallback")),
        (.call(.time, [str("2026-03-02T00:00:00Z")]), .time(t0)),
        (.call(.time, [str("not a time")]), .null),
        // t0 is Monday 00:00Z = 01:00 in Paris.
        (.call(.localHour, [.now]), .number(1)),
        (.call(.localWeekday, [.now]), .number(1)),
        (.inSegment("big"), .bool(true)),
        (.inSegment("unknown"), .bool(false)),
        (.eventCount(name: "product.viewed", filter: nil, within: 7 * day), .number(2)),
        (.eventCount(name: "product.viewed", filter: nil, within: nil), .number(3)),
        (.eventCount(name: "product.viewed", filter: prop("price") > num(100), within: 7 * day), .number(1)),
        (.eventCount(name: "never", filter: nil, within: day), .number(0)),
        (.lastEventTime(name: "product.viewed"), .time(t0 - hour)),
        (.lastEventTime(name: "never"), .null),
        (.list([num(1), attr("missing")]), .list([.number(1), .null])),
    ])
    func evaluates(expression: Expression, expected: Value) {
        #expect(Self.evaluate(expression) == expected)
    }
}
