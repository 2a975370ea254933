import Foundation
import HeraldService
import HeraldSimulation
import JourneyEngine
import JourneyLanguage
import Testing

/// `ValueEncoder` gives exactly what the JSON round trip it replaces gave (encode with
/// `JSONEncoder`, decode the text as `Value`), for every timeline record a real run produces and for
/// the shapes `Codable` can take.
@Suite struct ValueEncoderTests {
    static func viaJSON(_ value: some Encodable) throws -> Value {
        try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(value))
    }

    @Test func timelineRecordsOfARealRunMatchTheJSONRoundTrip() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        guard let catalog = JourneyCompiler.compile(directory: root.appendingPathComponent("Journeys").path).catalog else {
            Issue.record("the example journeys do not compile")
            return
        }
        let start = ServiceDryRunEquivalenceTests.start
        let events = ServiceDryRunEquivalenceTests.inputs.enumerated().map { n, input in
            CustomerEvent(id: "e\(n)", customerID: input.customer, name: input.name, properties: input.properties, timestamp: input.at)
        }
        let run = DryRun(catalog: catalog).run(
            customers: ServiceDryRunEquivalenceTests.profiles, events: events,
            options: DryRunOptions(from: start, until: start + 3 * 86_400))
        let kinds = run.customers.flatMap(\.timeline).map(\.kind)
        #expect(kinds.count > 10)
        for kind in kinds {
            #expect(try ValueEncoder.encode(kind) == Self.viaJSON(kind), "\(kind)")
        }
    }

    enum Shape: Codable, Equatable {
        case plain
        case labelled(name: String, count: Int, ratio: Double?)
        case unlabelled(String, [Int])
        indirect case nested(Shape, note: String?)
    }

    struct Everything: Codable {
        var string = "s"
        var int = -3
        var int64: Int64 = 1 << 40
        var uint8: UInt8 = 200
        var float: Float = 0.5
        var bool = true
        var missing: String? = nil
        var present: Double? = 2.25
        var list = [1.5, 2]
        var nestedList = [[Shape.plain], []]
        var byString = ["a": Shape.labelled(name: "n", count: 2, ratio: nil)]
        var byInt = [3: "three", 4: "four"]
        var shapes: [Shape] = [.unlabelled("u", [1, 2]), .nested(.plain, note: "x"), .nested(.plain, note: nil)]
        var value: Value = .object(["t": .time(1_795_000_000), "d": .duration(60), "l": .list([.null, .bool(false)])])
        var empty: [String: Int] = [:]
    }

    @Test func codableShapesMatchTheJSONRoundTrip() throws {
        #expect(try ValueEncoder.encode(Everything()) == Self.viaJSON(Everything()))
        for top in ["text", 42, 1.5] as [any Encodable] {
            #expect(try ValueEncoder.encode(top) == Self.viaJSON(top))
        }
        #expect(try ValueEncoder.encode([Shape.plain]) == Self.viaJSON([Shape.plain]))
    }

    @Test func nonFiniteNumbersAreRefusedAsJSONRefusesThem() {
        #expect(throws: (any Error).self) { try ValueEncoder.encode(["x": Double.infinity]) }
        #expect(throws: (any Error).self) { try ValueEncoder.encode([Double.nan]) }
    }
}
