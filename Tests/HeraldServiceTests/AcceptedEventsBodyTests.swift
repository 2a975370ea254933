import Foundation
import JourneyLanguage
import NIOCore
import Testing

@testable import HeraldService

/// `POST /v1/events`' fast paths give exactly what the general ones they replace gave: the 202 body
/// written byte by byte is the `JSONEncoder` text of the `Value` the handler used to build, and the
/// control-character check of ids and names is `generalCategory == .control`.
@Suite struct AcceptedEventsBodyTests {
    /// The body as the handler built it before: a `Value` through `JSONResponse.encode`.
    static func viaValue(ids: [String], accepted: [Bool]) -> [UInt8] {
        let count = accepted.filter { $0 }.count
        let value = Value.object([
            "accepted": .number(Double(count)), "duplicates": .number(Double(ids.count - count)),
            "events": .list(
                zip(ids, accepted).map { .object(["id": .string($0), "status": .string($1 ? "accepted" : "duplicate")]) }),
        ])
        return Array(JSONResponse.encode(value))
    }

    static func direct(ids: [String], accepted: [Bool]) -> [UInt8] {
        var buffer = AcceptedEventsBody.make(ids: ids, accepted: accepted)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    static let awkwardIDs: [String] = {
        var ids = [
            "", "e1", "run1-t1-12345", "jürgen smith/1", "a/b\\c\"d", "😀 emoji", "\u{7F}\u{80}\u{9F}\u{2028}\u{2029}",
            "tab\there", "line\nbreak", "cr\rlf", "\u{8}\u{C}", "ünïcödé-日本語", String(repeating: "x", count: 256),
            "\"", "\\", "/", "</script>",
        ]
        // Every byte below 0x20, alone and inside text.
        for byte in 0..<0x20 {
            let character = String(Character(Unicode.Scalar(UInt8(byte))))
            ids.append(character)
            ids.append("before" + character + "after")
        }
        return ids
    }()

    @Test func awkwardIDsMatchTheEncoder() {
        let accepted = Self.awkwardIDs.indices.map { $0 % 3 != 1 }
        #expect(Self.direct(ids: Self.awkwardIDs, accepted: accepted) == Self.viaValue(ids: Self.awkwardIDs, accepted: accepted))
    }

    @Test(arguments: [0, 1, 2, 100, 1_000])
    func batchesMatchTheEncoder(size: Int) {
        var generator = SeededGenerator(seed: UInt64(size) + 1)
        let ids = (0..<size).map { index -> String in
            let pool = Self.awkwardIDs + ["evt_\(index)", "c\(index)-\(index * 7)"]
            return pool[Int(generator.next() % UInt64(pool.count))]
        }
        let accepted = (0..<size).map { _ in generator.next() % 4 != 0 }
        let direct = Self.direct(ids: ids, accepted: accepted)
        #expect(direct == Self.viaValue(ids: ids, accepted: accepted))
        // And it parses back to the answer the API documents.
        let parsed = try? JSONValueParser.parse(direct)
        guard case .object(let fields)? = parsed, case .list(let events)? = fields["events"] else {
            Issue.record("not an object with events: \(String(decoding: direct, as: UTF8.self))")
            return
        }
        #expect(events.count == size)
        #expect(fields["accepted"] == .number(Double(accepted.filter { $0 }.count)))
    }

    @Test func everyControlCharacterIsFoundAsTheUnicodePropertiesFindIt() {
        var mismatches: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if RequestPayloads.isControl(scalar) != (scalar.properties.generalCategory == .control) { mismatches.append(value) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).map { String($0, radix: 16) })")
    }

    @Test func unknownFieldsAreStillReportedInOrderWithTheirPaths() throws {
        let body = try JSONValueParser.parse(
            Array(#"{"events": [{"customer_id": "c", "name": "n", "zeta": 1, "alpha": 2}, {"customer_id": "c", "name": "n"}]}"#.utf8))
        do {
            _ = try RequestPayloads.events(from: body, maxBatch: 1_000, now: 0)
            Issue.record("unknown fields were accepted")
        } catch let error as APIError {
            #expect(error.code == "invalid_request")
            let paths = error.details.compactMap { detail -> String? in
                if case .object(let fields) = detail, case .string(let path)? = fields["path"] { return path }
                return nil
            }
            #expect(paths == ["events[0].alpha", "events[0].zeta"])
            #expect(
                error.message.contains("unknown field (expected one of customer_id, id, name, properties, timestamp)"),
                "\(error.message)")
        }
    }
}

/// A small deterministic generator (SplitMix64) so the batches are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
