import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// Inbox payloads, outbox messages and log entries in the stores' binary format: every case
/// round-trips, JSON from earlier versions still decodes, and truncated bytes throw `corrupt`.
@Suite struct StoreRecordCodingTests {
    static let values = CustomerStateCodingTests.everyValue

    static let payloads: [InboxPayload] = [
        .profile(
            CustomerProfile(
                id: "c1", email: "c1@example.com", phone: "+1555", timeZone: "America/New_York",
                subscriptions: ["sms": false], attributes: values)),
        .event(CustomerEvent(id: "e1", customerID: "c1", name: "cart.updated", properties: values, timestamp: 1_795_000_000.5)),
        .deliveryOutcome(messageID: "m1", delivered: false, detail: "550 mailbox unavailable"),
        .erase,
    ]

    static let message = OutboxMessage(
        id: "c1/cart_abandonment/1/reminder/email", customerID: "c1", journey: "cart_abandonment",
        journeyVersion: String(repeating: "f0", count: 32), step: "reminder", channel: .email, message: "cart_reminder",
        category: .marketing, at: 1_795_003_600, context: ["customer": .object(values), "event": .object(values)])

    static let entries = [
        CustomerLogEntry(at: 1_795_003_600, kind: "decision", journey: "cart_abandonment", summary: "send by email", detail: .object(values)),
        CustomerLogEntry(at: 1_795_003_601, kind: "delivery", journey: nil, summary: "delivered"),
    ]

    @Test(arguments: payloads)
    func inboxPayloadsRoundTrip(_ payload: InboxPayload) throws {
        #expect(try StoreRecordCoding.decode(InboxPayload.self, from: StoreRecordCoding.encode(payload)) == payload)
    }

    @Test func outboxMessagesRoundTrip() throws {
        #expect(try StoreRecordCoding.decode(OutboxMessage.self, from: StoreRecordCoding.encode(Self.message)) == Self.message)
    }

    @Test(arguments: entries)
    func logEntriesRoundTrip(_ entry: CustomerLogEntry) throws {
        #expect(try StoreRecordCoding.decode(CustomerLogEntry.self, from: StoreRecordCoding.encode(entry)) == entry)
    }

    /// What JSON made of a record is what a JSON row written before the binary format decodes to.
    @Test func jsonFromEarlierVersionsStillDecodes() throws {
        let plain: [String: Value] = ["n": .number(2), "s": .string("x"), "l": .list([.bool(true), .null])]
        let payload = InboxPayload.event(CustomerEvent(id: "e", customerID: "c", name: "n", properties: plain, timestamp: 5))
        #expect(try StoreRecordCoding.decode(InboxPayload.self, from: JSONEncoder().encode(payload)) == payload)
        #expect(try StoreRecordCoding.decode(InboxPayload.self, from: JSONEncoder().encode(InboxPayload.erase)) == .erase)
        var message = Self.message
        message.context = ["customer": .object(plain)]
        #expect(try StoreRecordCoding.decode(OutboxMessage.self, from: JSONEncoder().encode(message)) == message)
        let entry = CustomerLogEntry(at: 1, kind: "k", journey: "j", summary: "s", detail: .object(plain))
        #expect(try StoreRecordCoding.decode(CustomerLogEntry.self, from: JSONEncoder().encode(entry)) == entry)
    }

    @Test func truncatedAndDamagedBytesAreCorrupt() {
        let encoded: [(String, [UInt8], ([UInt8]) throws -> Void)] = [
            ("InboxPayload", StoreRecordCoding.encode(Self.payloads[1]), { _ = try StoreRecordCoding.decode(InboxPayload.self, from: $0) }),
            ("OutboxMessage", StoreRecordCoding.encode(Self.message), { _ = try StoreRecordCoding.decode(OutboxMessage.self, from: $0) }),
            ("CustomerLogEntry", StoreRecordCoding.encode(Self.entries[0]), { _ = try StoreRecordCoding.decode(CustomerLogEntry.self, from: $0) }),
        ]
        for (subject, bytes, decode) in encoded {
            for length in 0..<bytes.count {
                #expect(throws: JourneyStoreError.self, "\(subject) prefix of \(length) bytes") { try decode(Array(bytes.prefix(length))) }
            }
            #expect(throws: JourneyStoreError.self) { try decode(bytes + [0]) }
            #expect(throws: JourneyStoreError.self) { try decode([0x7F] + bytes.dropFirst()) }
        }
        #expect(throws: JourneyStoreError.self) { _ = try StoreRecordCoding.decode(InboxPayload.self, from: [0x01, 0x09]) }
    }
}
