import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// The stores' binary encoding of the aggregate: a fully populated state round-trips equal, JSON
/// written by earlier versions still loads, and damaged bytes throw `corrupt`, never trap.
@Suite struct CustomerStateCodingTests {
    // MARK: Fixture

    static let everyValue: [String: Value] = [
        "null": .null, "yes": .bool(true), "no": .bool(false), "number": .number(-12.5), "string": .string("héllo ✉️"),
        "time": .time(1_795_000_000.25), "duration": .duration(3600), "infinity": .number(.infinity),
        "list": .list([.number(1), .string("two"), .list([.null])]),
        "object": .object(["nested": .object(["deep": .bool(true)]), "empty": .object([:])]),
    ]

    static let send = Send(
        channel: .sms, message: "cart_nudge", category: .marketing, topic: "offers", fallback: .email,
        whenCapped: .deferUpTo(seconds: 7200), inQuietHours: .skip)

    /// Every stored field set to a non-default value: every optional present, every collection
    /// non-empty (``fixtureSetsEveryField`` checks it, so a field added later fails here until the
    /// fixture — and with it the round trip — covers it).
    static var fullyPopulated: CustomerState { populated(values: everyValue) }

    static func populated(values: [String: Value]) -> CustomerState {
        let version = String(repeating: "ab12", count: 16)
        var state = CustomerState(
            profile: CustomerProfile(
                id: "customer-42", email: "ada@example.com", phone: "+33600000000", timeZone: "Europe/Paris",
                subscriptions: ["email": true, "sms": false, "topic:newsletter": true], attributes: values))
        state.instances = [
            JourneyInstance(
                journey: "cart_abandonment", version: version, entrySequence: 2, enteredAt: 1_795_000_000, state: 3,
                step: "wait_click", deadline: 1_795_086_400,
                lastEvent: MatchedEvent(name: "cart.updated", timestamp: 1_795_000_000, properties: values),
                variants: [VariantAssignment(split: "subject_test", variant: "b", isControl: false)], status: .active,
                convertedAt: 1_795_050_000, goalDeadline: 1_795_259_200, sendVisits: [4, -1], heldSince: 1_795_040_000,
                heldEvent: MatchedEvent(name: "email.clicked", timestamp: 1_795_041_000, properties: ["link": .string("cta")])),
            JourneyInstance(
                journey: "welcome", version: version, entrySequence: 1, enteredAt: 1_794_000_000, state: 9, step: "end",
                deadline: nil, lastEvent: nil, variants: [VariantAssignment(split: "s", variant: "control", isControl: true)],
                status: .finished(.explicit("unsubscribed"), at: 1_794_100_000), convertedAt: nil, goalDeadline: nil,
                sendVisits: [], heldSince: nil),
        ]
        state.entries = [
            "cart_abandonment": EntryRecord(count: 2, firstEnteredAt: 1_790_000_000, lastEnteredAt: 1_795_000_000),
            "welcome": EntryRecord(count: 1, firstEnteredAt: 1_794_000_000, lastEnteredAt: 1_794_000_000),
        ]
        state.history = EventHistory(events: [
            "product.viewed": [
                HistoryEntry(timestamp: 1_794_990_000, properties: ["sku": .string("A-1")]),
                HistoryEntry(timestamp: 1_794_995_000, properties: [:]),
            ]
        ])
        state.segments = ["hesitant_buyers", "vip"]
        state.schedules = ["weekly_digest": 1_795_400_000]
        state.ledger = SendLedger(entries: [
            LedgerEntry(
                at: 1_795_003_600, channel: .email, category: .marketing, journey: "cart_abandonment",
                message: "cart_reminder", requestID: "customer-42/cart_abandonment/2/reminder", priority: 80),
            LedgerEntry(
                at: 1_795_003_700, channel: .webhook, category: .transactional, journey: "orders", message: "receipt",
                requestID: "customer-42/orders/1/receipt", priority: nil),
        ])
        state.pendingSends = [
            PendingSend(
                request: SendRequest(
                    id: "customer-42/cart_abandonment/2/nudge", journey: "cart_abandonment", priority: 80,
                    step: "nudge", send: send, requestedAt: 1_795_086_400),
                journeyVersion: version, entrySequence: 2, event: values, dueAt: 1_795_086_520, deferrals: 3,
                heldSince: 1_795_086_500)
        ]
        state.recentEventIDs = ["evt-1", "evt-2-with-a-longer-id", "evt-2-with-a-longer-id"]
        state.clock = 1_795_086_400
        state.nextWakeAt = 1_795_086_520
        state.engagement = CustomerEngagement(
            messages: [
                SentMessage(
                    id: "customer-42/cart_abandonment/2/reminder/email", journey: "cart_abandonment", version: version, entrySequence: 2,
                    step: "reminder", message: "cart_reminder", channel: .email, variant: "offer=discount", address: "ada@example.com",
                    at: 1_795_003_600, counted: ["sent", "opened"])
            ],
            suppressions: [
                Suppression(
                    channel: .email, cause: .hardBounce, address: "ada@example.com", topic: "weekly",
                    messageID: "customer-42/cart_abandonment/2/reminder/email", at: 1_795_003_700)
            ])
        var weights = Array(repeating: 0.0, count: 24)
        weights[7] = 0.75
        weights[19] = 3.5
        state.engagementHours = EngagementHistogram(weights: weights, asOf: 1_795_080_000, opens: 3, clicks: 2)
        return state
    }

    // MARK: Round trips

    /// Fields the engine never sets in a stored state: a pending send keeps the delivery rules of
    /// its send, not the message's variants (read from the program when the send is decided).
    /// Nor its best-time window: the time was chosen when the send was requested.
    static let neverStored: Set<String> = [
        "state.pendingSends[0].request.send.variants", "state.pendingSends[0].request.send.bestTime",
    ]

    @Test func fixtureSetsEveryField() {
        var unset: [String] = []
        Self.findUnset(Self.fullyPopulated, path: "state", into: &unset)
        unset.removeAll { Self.neverStored.contains($0) }
        #expect(unset.isEmpty, "set these in the fixture so the round trip covers them: \(unset)")
    }

    @Test func aFullyPopulatedStateRoundTrips() throws {
        let state = Self.fullyPopulated
        let bytes = CustomerStateCoding.encode(state)
        #expect(bytes.first == CustomerStateCoding.binaryV2)
        #expect(try CustomerStateCoding.decode(bytes) == state)
        // Without a send-time histogram: the same record up to its last byte, the empty optional.
        var without = state
        without.engagementHours = nil
        let shorter = CustomerStateCoding.encode(without)
        #expect(shorter.first == CustomerStateCoding.binaryV2)
        #expect(try CustomerStateCoding.decode(shorter) == without)
        #expect(shorter.count < bytes.count)
        #expect(try CustomerStateCoding.decode(Data(bytes)) == state)
    }

    @Test(arguments: [
        ExitReason.completed, .explicit("done"), .event("order.completed"), .condition, .goal, .versionRetired, .migration,
        .stepLimit, .invalidState(-7),
    ])
    func everyExitReasonRoundTrips(_ reason: ExitReason) throws {
        var state = Self.fullyPopulated
        state.instances[0].status = .finished(reason, at: 1_795_100_000)
        #expect(try CustomerStateCoding.decode(CustomerStateCoding.encode(state)) == state)
    }

    @Test(arguments: [
        Send(channel: .email, message: "m", category: .transactional),
        Send(channel: .webhook, message: "m", category: .marketing, whenCapped: .fallback, inQuietHours: .deferUntilEnd),
        Send(channel: .sms, message: "m", category: .marketing, whenCapped: .skip),
    ])
    func everySendRuleRoundTrips(_ send: Send) throws {
        var state = Self.fullyPopulated
        state.pendingSends[0].request.send = send
        #expect(try CustomerStateCoding.decode(CustomerStateCoding.encode(state)) == state)
    }

    /// Strings of eight bytes or more are written once and referred back to after: the writer
    /// finds repeats by a linear scan while it has seen few and by a table past
    /// `ByteWriter.linearInterned`; both sides must agree on every index, before and after.
    @Test(arguments: [3, 47, 48, 49, 200])
    func manyRepeatedStringsRoundTrip(_ distinct: Int) throws {
        var state = CustomerState(profile: CustomerProfile(id: "customer-with-many-strings"))
        // Each id twice (the second a back reference), interleaved with short strings that are never
        // interned, and two spellings of one string (é composed and decomposed), equal as Strings.
        state.recentEventIDs =
            (0..<distinct).flatMap { ["event-number-\($0)", "e\($0)", "event-number-\($0)"] }
            + ["caf\u{E9}-au-lait", "cafe\u{301}-au-lait", "caf\u{E9}-au-lait", "event-number-0"]
        let bytes = CustomerStateCoding.encode(state)
        let decoded = try CustomerStateCoding.decode(bytes)
        #expect(decoded == state)
        // The repeats are references: the encoding grows by a few bytes per repeat, not its length.
        let literalsOnly = state.recentEventIDs.reduce(0) { $0 + $1.utf8.count }
        #expect(bytes.count < literalsOnly)
    }

    @Test func anEmptyStateRoundTrips() throws {
        let state = CustomerState(profile: CustomerProfile(id: ""))
        #expect(try CustomerStateCoding.decode(CustomerStateCoding.encode(state)) == state)
    }

    @Test func integerExtremesRoundTrip() throws {
        var state = Self.fullyPopulated
        state.instances[0].entrySequence = .max
        state.instances[0].state = .min
        state.pendingSends[0].deferrals = 0
        #expect(try CustomerStateCoding.decode(CustomerStateCoding.encode(state)) == state)
    }

    /// Rows written before the binary format hold JSON; they still load, as JSON decodes them.
    @Test(arguments: ["", " \n"])
    func jsonFromEarlierVersionsStillLoads(_ leading: String) throws {
        // JSON has no infinity (the binary format does).
        let state = Self.populated(values: Self.everyValue.filter { $0.key != "infinity" })
        let json = Data(leading.utf8) + (try JSONEncoder().encode(state))
        let expected = try JSONDecoder().decode(CustomerState.self, from: json)
        #expect(try CustomerStateCoding.decode(json) == expected)
        #expect(expected.instances.count == 2)
    }

    // MARK: Damaged bytes

    @Test(
        arguments: [
            ([], "no bytes"),
            ([0x03, 0x00], "unknown format byte 0x3 (expected 0x01 or 0x02 for binary"),
            ([0x02], "CustomerState (binary v2): truncated"),
            ([0xFF], "unknown format byte 0xff"),
            ([0x01], "truncated"),
            ([0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F], "string length"),
            ([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "varint longer than 64 bits"),
            ([0x01, 0x03], "string reference 1"),
            ([0x01, 0x04, 0xC3, 0x28], "invalid UTF-8"),
            ([0x01, 0x00, 0x02], "invalid optional marker"),
            ([0x01, 0x00, 0x00, 0x00, 0x00, 0x7F], "length 127 exceeds"),
            ([0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x6B, 0x03], "invalid boolean"),
            ([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x6B, 0x09], "unknown Value tag 0x9"),
            (Array("{\"profile\":".utf8), "CustomerState (JSON)"),
        ] as [([UInt8], String)])
    func damagedBytesThrowCorrupt(_ bytes: [UInt8], _ expected: String) {
        let message = Self.corruptMessage(bytes)
        #expect(message?.contains(expected) == true, "got \(message ?? "no error")")
    }

    @Test func aDamagedEngagementHistogramIsCorrupt() {
        // A customer without a histogram ends with its absent-optional marker; a present one follows 1.
        let bytes = Array(CustomerStateCoding.encode(CustomerState(profile: CustomerProfile(id: "c"))).dropLast()) + [1]
        let asOf = [UInt8](repeating: 0, count: 8)
        #expect(Self.corruptMessage(bytes + asOf + [0, 0, 1, 24] + asOf)?.contains("engagement hour 24") == true)
        #expect(Self.corruptMessage(bytes + asOf + [0, 0, 25] + [UInt8](repeating: 0, count: 40))?.contains("25 engagement hours") == true)
        #expect(Self.corruptMessage(bytes + asOf + [0, 0, 1, 3])?.contains("truncated") == true)
        #expect(Self.corruptMessage(bytes + asOf + [0, 0, 1, 3] + asOf) == nil)
    }

    @Test func trailingBytesAreCorrupt() {
        let bytes = CustomerStateCoding.encode(Self.fullyPopulated) + [0]
        #expect(Self.corruptMessage(bytes)?.contains("1 unexpected trailing bytes") == true)
    }

    @Test func everyTruncationIsCorrupt() {
        let bytes = CustomerStateCoding.encode(Self.fullyPopulated)
        for length in 0..<bytes.count {
            #expect(Self.corruptMessage(Array(bytes.prefix(length))) != nil, "prefix of \(length) bytes decoded")
        }
    }

    /// Overwriting any single byte either decodes to some state or throws `corrupt`; it never traps.
    @Test func overwrittenBytesNeverTrap() {
        let bytes = CustomerStateCoding.encode(Self.fullyPopulated)
        for index in bytes.indices {
            for replacement: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF] where bytes[index] != replacement {
                var damaged = bytes
                damaged[index] = replacement
                do {
                    _ = try CustomerStateCoding.decode(damaged)
                } catch let error as JourneyStoreError {
                    if case .corrupt = error { continue }
                    Issue.record("byte \(index): \(error)")
                } catch {
                    Issue.record("byte \(index): not a JourneyStoreError: \(error)")
                }
            }
        }
    }

    @Test func deeplyNestedValuesAreRefused() {
        // id "", no email/phone/zone, no subscriptions, one attribute "k" holding lists 10,000 deep.
        var bytes: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, UInt8(ascii: "k")]
        for _ in 0..<10_000 { bytes += [ValueTag.list, 0x01] }
        bytes.append(ValueTag.null)
        #expect(Self.corruptMessage(bytes)?.contains("nested deeper than 512") == true)
    }

    // MARK: Helpers

    /// The message of the `corrupt` error decoding throws, or `nil` when it decodes.
    static func corruptMessage(_ bytes: [UInt8]) -> String? {
        do {
            _ = try CustomerStateCoding.decode(bytes)
            return nil
        } catch JourneyStoreError.corrupt(let message) {
            return message
        } catch {
            return "not corrupt: \(error)"
        }
    }

    /// Collects the paths of optionals that are `nil` and collections that are empty, walking
    /// every stored property of `value`.
    static func findUnset(_ value: Any, path: String, into unset: inout [String]) {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return unset.append(path) }
            findUnset(wrapped, path: path, into: &unset)
        case .collection, .set:
            if mirror.children.isEmpty { return unset.append(path) }
            // Elements are checked only where they are records of this module (first one suffices).
            if let first = mirror.children.first?.value { findUnset(first, path: path + "[0]", into: &unset) }
        case .dictionary:
            if mirror.children.isEmpty { return unset.append(path) }
            if let pair = mirror.children.first?.value, let entryValue = Mirror(reflecting: pair).children.dropFirst().first?.value {
                if !(entryValue is Value) { findUnset(entryValue, path: path + "[…]", into: &unset) }
            }
        case .struct:
            for child in mirror.children { findUnset(child.value, path: path + "." + (child.label ?? "?"), into: &unset) }
        default:
            return
        }
    }
}
