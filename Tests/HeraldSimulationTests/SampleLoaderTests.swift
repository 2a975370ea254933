import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

@testable import HeraldSimulation

/// Bad input is reported with file and line and skipped (or, with `strict`, refused); nothing crashes.
struct SampleLoaderTests {
    static let customersNDJSON = """
        {"id": "c1", "email": "c1@example.com", "time_zone": "Europe/Paris", "attributes": {"ltv": 10}}
        {"id": "c2", "plan": "pro", "subscriptions": {"sms": false}}
        not json at all
        {"email": "no-id@example.com"}
        # a comment line

        {"id": "c3", "time_zone": "Mars/Olympus"}
        {"id": "c1", "email": "again@example.com"}
        [1, 2, 3]
        {"id": "c4", "subscriptions": {"sms": "no"}}
        {"id": "c5", "attributes": 7}
        """

    /// The JSON parser reads a line exactly as `JSONDecoder` does, or refuses it; the loader then
    /// hands it to `JSONDecoder`, so what loads is unchanged.
    @Test(arguments: [
        #"{"id": "c1", "email": "c1@example.com", "attributes": {"ltv": 10, "tags": ["a", "b"], "vip": false, "x": null}}"#,
        #"{"n": -1.5e3, "z": 0, "big": 12345678901234567890, "small": 1E-7, "neg": -0.25, "deep": {"a": [[{}], []]}}"#,
        #"  {"a":1}  "#, #"{}"#, #"{"s": "Zoë — 東京 🚀"}"#,
        // Escapes, control characters, repeated keys, odd numbers, malformed lines:
        #"{"s": "a\"b"}"#, #"{"s": "tab\there"}"#, "{\"s\": \"tab\there\"}", #"{"a": 1, "a": 2}"#, #"{"n": -0}"#, #"{"n": 1e999}"#, #"{"n": 01}"#,
        #"{"n": 1.}"#, #"{"a": tru}"#, #"{"a": 1,}"#, #"{"a": 1} x"#, #"[1, 2]"#, #"{"a" 1}"#, "{\"s\": \"a\u{1}b\"}", #"{"n": .5}"#,
    ])
    func parserAgreesWithJSONDecoder(line: String) throws {
        let decoded = try? JSONDecoder().decode(Value.self, from: Data(line.utf8))
        if let parsed = try? JSONValueParser.parse(Array(line.utf8)) {
            #expect(decoded == parsed, "\(line)")
        }
        // Either way the loader reads the line as JSONDecoder does (Foundation's is lenient about
        // a trailing comma; the strict parser refuses it and the line goes to JSONDecoder).
        if case .object(let object)? = decoded {
            #expect(try SampleLoader.parseObject(line[...]) == object, "\(line)")
        } else {
            #expect(throws: (any Error).self, "\(line)") { try SampleLoader.parseObject(line[...]) }
        }
    }

    /// Lines are split on bytes, as `split(separator: "\n")` on `Character`s splits them.
    @Test(arguments: ["a\nb", "a\r\nb\n", "\n\n#c\n x \r\n", "", "é\u{301}\nb", "a\rb\n\r", "\r\n\r\n"])
    func linesAreTheCharacterSplit(text: String) {
        var expected: [(Int, Substring)] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.last == "\r" ? line.dropLast() : line
            if trimmed.allSatisfy(\.isWhitespace) || trimmed.first == "#" { continue }
            expected.append((k + 1, trimmed))
        }
        let lines = SampleLoader.lines(text)
        #expect(lines.map(\.0) == expected.map(\.0))
        #expect(lines.map { String($0.1) } == expected.map { String($0.1) })
    }

    @Test func parserReadsTheSampleFilesAsJSONDecoderDoes() throws {
        for file in ["customers.ndjson", "events.ndjson"] {
            let text = try SampleLoader.read("\(DryRunTests.root)/Journeys/samples/\(file)")
            var scanned = 0
            for (_, line) in SampleLoader.lines(text) {
                let decoded = try JSONDecoder().decode(Value.self, from: Data(line.utf8))
                if let parsed = try? JSONValueParser.parse(Array(line.utf8)) {
                    scanned += 1
                    #expect(decoded == parsed, "\(file): \(line)")
                }
            }
            #expect(scanned > 100)
        }
    }

    @Test func malformedCustomerLinesAreReportedAndSkipped() throws {
        let loaded = try SampleLoader().customers(text: Self.customersNDJSON, file: "customers.ndjson", csv: false)
        #expect(loaded.customers.map(\.id) == ["c1", "c2"])
        #expect(loaded.customers[1].attributes["plan"] == .string("pro"))
        #expect(loaded.customers[1].subscriptions == ["sms": false])
        #expect(loaded.issues.map(\.line) == [3, 4, 7, 8, 9, 10, 11])
        #expect(loaded.issues.map(\.description).first == "customers.ndjson:3: error: malformed JSON")
        #expect(loaded.issues[2].message.contains("unknown time zone \"Mars/Olympus\""))
        #expect(loaded.issues[3].message.contains("duplicate customer id \"c1\""))
    }

    @Test func strictRefusesTheWholeFileWithEveryIssue() throws {
        let failure = try #require(throws: LoadFailure.self) {
            try SampleLoader(strict: true).customers(text: Self.customersNDJSON, file: "customers.ndjson", csv: false)
        }
        #expect(failure.issues.count == 7)
    }

    @Test func csvCustomers() throws {
        let text = #"""
            id,email,phone,time_zone,subscribed_sms,ltv,vip,zip,note
            c1,c1@example.com,+15550100,Asia/Tokyo,false,12.5,true,01234,"hello, ""world"""
            c2,,,,,,,,
            c3,too,few
            c4,x@y.z,,UTC,,1,false,75001,"unterminated
            """#
        let loaded = try SampleLoader().customers(text: text, file: "c.csv", csv: true)
        #expect(loaded.customers.map(\.id) == ["c1", "c2"])
        let c1 = loaded.customers[0]
        #expect(c1.phone == "+15550100")
        #expect(c1.subscriptions == ["sms": false])
        #expect(c1.attributes["ltv"] == .number(12.5))
        #expect(c1.attributes["vip"] == .bool(true))
        #expect(c1.attributes["zip"] == .string("01234"))
        #expect(c1.attributes["note"] == .string("hello, \"world\""))
        #expect(loaded.customers[1].attributes.isEmpty)
        #expect(loaded.issues.map(\.line) == [4, 5])
        #expect(loaded.issues[0].message == "expected 9 fields, found 3")
        #expect(loaded.issues[1].message == "unterminated quoted field")
    }

    @Test func csvWithoutIDColumnIsRefused() throws {
        let loaded = try SampleLoader().customers(text: "email,plan\na@b.c,pro\n", file: "c.csv", csv: true)
        #expect(loaded.customers.isEmpty)
        #expect(loaded.issues.map(\.description) == ["c.csv:1: error: the header has no \"id\" column"])
    }

    @Test(arguments: [
        (#"{"customer_id": "c1", "name": "x", "timestamp": "2026-03-02T09:00:00Z"}"#, nil as String?),
        (#"{"customer_id": "c1", "name": "x", "timestamp": 1772442000}"#, nil),
        (#"{"customer_id": "c1", "name": "x", "timestamp": "2026-03-02T10:00:00+01:00", "history": true}"#, nil),
        (#"{"customer_id": "c1", "name": "x"}"#, "event needs a \"timestamp\" (RFC 3339 string or seconds since the epoch)"),
        (#"{"customer_id": "c1", "name": "x", "timestamp": "yesterday"}"#, "\"timestamp\" is not an RFC 3339 time: \"yesterday\""),
        (#"{"name": "x", "timestamp": 1}"#, "event needs a string \"customer_id\""),
        (#"{"customer_id": "c1", "timestamp": 1}"#, "event needs a string \"name\""),
        (#"{"customer_id": "c1", "name": "x", "timestamp": 1, "properties": [1]}"#, "\"properties\" must be an object"),
        (#"{"customer_id": "c1", "name": "x", "timestamp": 1, "history": "yes"}"#, "\"history\" must be true or false"),
        (#"{"customer_id": "c1", "name": "x", "timestamp": 1"#, "malformed JSON"),
    ])
    func eventLines(line: String, error: String?) throws {
        let loaded = try SampleLoader().events(text: line, file: "events.ndjson")
        if let error {
            #expect(loaded.issues.map(\.description) == ["events.ndjson:1: error: \(error)"])
            #expect(loaded.events.isEmpty && loaded.history.isEmpty)
        } else {
            #expect(loaded.issues.isEmpty)
            let event = try #require((loaded.events + loaded.history).first)
            #expect(event.id == "events.ndjson:1")
        }
    }

    @Test func historyEventsAreSeparated() throws {
        let text = """
            {"id": "a", "customer_id": "c1", "name": "order.completed", "timestamp": "2025-11-01T00:00:00Z", "history": true}
            {"id": "b", "customer_id": "c1", "name": "cart.updated", "timestamp": "2026-03-02T00:00:00Z", "properties": {"items": 2}}
            """
        let loaded = try SampleLoader().events(text: text, file: "e")
        #expect(loaded.history.map(\.id) == ["a"])
        #expect(loaded.events.map(\.id) == ["b"])
        #expect(loaded.events[0].properties == ["items": .number(2)])
    }

    @Test func unreadableFile() {
        #expect(throws: (any Error).self) { try SampleLoader().customers(at: "/nonexistent/customers.ndjson") }
    }
}
