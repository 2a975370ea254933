import Foundation
import JourneyLanguage
import Testing

/// The JSON parser (request bodies, sample lines) agrees with `JSONDecoder` + `Value`'s `Decodable` conformance on valid
/// JSON and refuses what JSON does not allow.
@Suite struct JSONValueParserTests {
    @Test(arguments: [
        #"{"events": [{"id": "e1", "customer_id": "c1", "name": "cart.updated", "properties": {"items": 2}}]}"#,
        #"[1, -0.5, 2.5e3, 1E-2, 0, -0, 123456789012345678901234567890]"#,
        #"  {"a": null, "b": true, "c": false, "d": {}, "e": [], "f": [[[]]]}  "#,
        #"{"s": "plain", "esc": "q\" b\\ s\/ \b\f\n\r\t", "u": "\u00e9\u4e2d\ud83d\ude00", "raw": "é中😀"}"#,
        #"{"dup": 1, "dup": 2}"#,
        #""just a string""#, "42", "true", "null",
    ])
    func agreesWithJSONDecoder(_ text: String) throws {
        let expected = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
        #expect(try JSONValueParser.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "[,1]", #"{"a" 1}"#, #"{"a": 1,}"#, #"{a: 1}"#, "01", "1.", ".5", "-", "1e", "+1",
        "tru", "nul", "[1] 2", #""unterminated"#, "\"tab\there\"", #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00x""#,
        "1e400", "NaN", "'single'",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONValueParser.Invalid.self) { try JSONValueParser.parse(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONValueParser.Invalid.self) { try JSONValueParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONValueParser.Invalid.self) { try JSONValueParser.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONValueParser.parse(Array(fine.utf8))) != nil)
    }

    @Test func errorsSayWhere() {
        #expect(throws: JSONValueParser.Invalid(message: "expected ':' after an object key", offset: 5)) {
            try JSONValueParser.parse(Array(#"{"a" 1}"#.utf8))
        }
    }
}
