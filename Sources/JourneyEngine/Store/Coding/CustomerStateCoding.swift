public import Foundation
public import JourneyLanguage

/// The stores' encoding of ``CustomerState``: a compact binary format, hand-written so that
/// encoding and decoding cost a fraction of JSON's (the aggregate is written on every commit and
/// read on every load).
///
/// The first byte says which format follows:
/// - `0x01` (``binaryV1``): fields in declaration order; varint integers, 8-byte little-endian
///   doubles, strings with back references for repeats (``ByteWriter``), a tag byte per `Value`
///   and per enum case. A change to the stored fields gets a new format byte; decoding keeps
///   reading the older ones.
/// - `0x02` (``binaryV2``): the v1 fields, then the customer's ``CustomerEngagement`` (the messages
///   engagement events are tied to, and suppressions) and its optional ``EngagementHistogram``
///   (opens and clicks by local hour, its non-zero hours only). v1 records read with neither.
/// - `{` (or JSON whitespace): the JSON that stores wrote before the binary format, read with
///   `JSONDecoder` so existing rows still load (they are rewritten in binary on their next commit).
///
/// ```swift
/// let bytes = CustomerStateCoding.encode(state)          // [UInt8], starts with 0x02
/// let again = try CustomerStateCoding.decode(bytes)      // == state
/// ```
public enum CustomerStateCoding {
    /// The format byte of the first binary version.
    public static let binaryV1: UInt8 = StoreRecordFormat.binaryV1
    /// The format byte of the second binary version: the first's fields, then
    /// ``CustomerState/engagement`` and ``CustomerState/engagementHours``.
    public static let binaryV2: UInt8 = StoreRecordFormat.binaryV2

    /// Encodes the aggregate in the current binary format (v2).
    public static func encode(_ state: CustomerState) -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(StoreRecordFormat.binaryV2)
        writer.write(state)
        return writer.bytes
    }

    /// Decodes an aggregate written in any supported format (binary v1 or v2, or the earlier JSON).
    ///
    /// - Throws: ``JourneyStoreError/corrupt(_:)`` naming the problem and the byte offset when the
    ///   bytes are empty, start with an unknown format byte, are truncated or hold corrupt lengths.
    public static func decode(_ bytes: some ContiguousBytes) throws -> CustomerState {
        try ByteReader.decode(bytes, subject: "CustomerState", formats: [StoreRecordFormat.binaryV1, StoreRecordFormat.binaryV2]) {
            try $0.readCustomerState()
        }
    }
}

// MARK: - Writing (field order is the format: change it only with a new format byte)

extension ByteWriter {
    mutating func write(_ state: CustomerState) {
        write(state.profile)
        array(state.instances) { $0.write($1) }
        map(state.entries) { w, entry in
            w.int(entry.count)
            w.double(entry.firstEnteredAt)
            w.double(entry.lastEnteredAt)
        }
        map(state.history.events) { w, entries in
            w.array(entries) { w, entry in
                w.double(entry.timestamp)
                w.values(entry.properties)
            }
        }
        array(state.segments) { $0.string($1) }
        map(state.schedules) { $0.double($1) }
        array(state.ledger.entries) { $0.write($1) }
        array(state.pendingSends) { $0.write($1) }
        array(state.recentEventIDs) { $0.string($1) }
        optional(state.clock) { $0.double($1) }
        optional(state.nextWakeAt) { $0.double($1) }
        // Binary v2: engagement, then the send-time histogram (v1 records read with neither).
        write(state.engagement)
        optional(state.engagementHours) { $0.write($1) }
    }

    mutating func write(_ engagement: CustomerEngagement) {
        array(engagement.messages) { w, m in
            w.string(m.id)
            w.string(m.journey)
            w.string(m.version)
            w.int(m.entrySequence)
            w.string(m.step)
            w.string(m.message)
            w.string(m.channel.rawValue)
            w.optional(m.variant) { $0.string($1) }
            w.optional(m.address) { $0.string($1) }
            w.double(m.at)
            w.array(m.counted) { $0.string($1) }
        }
        array(engagement.suppressions) { w, s in
            w.string(s.channel.rawValue)
            w.string(s.cause.rawValue)
            w.optional(s.address) { $0.string($1) }
            w.optional(s.topic) { $0.string($1) }
            w.optional(s.messageID) { $0.string($1) }
            w.double(s.at)
        }
    }

    /// Only the non-zero hours: (hour, weight) pairs.
    mutating func write(_ histogram: EngagementHistogram) {
        double(histogram.asOf)
        int(histogram.opens)
        int(histogram.clicks)
        let hours = (0..<24).filter { histogram.weights[$0] != 0 }
        count(hours.count)
        for hour in hours {
            byte(UInt8(hour))
            double(histogram.weights[hour])
        }
    }

    mutating func write(_ profile: CustomerProfile) {
        string(profile.id)
        optional(profile.email) { $0.string($1) }
        optional(profile.phone) { $0.string($1) }
        optional(profile.timeZone) { $0.string($1) }
        map(profile.subscriptions) { $0.bool($1) }
        values(profile.attributes)
    }

    mutating func write(_ instance: JourneyInstance) {
        string(instance.journey)
        string(instance.version)
        int(instance.entrySequence)
        double(instance.enteredAt)
        int(instance.state)
        string(instance.step)
        optional(instance.deadline) { $0.double($1) }
        optional(instance.lastEvent) { $0.write($1) }
        array(instance.variants) { w, variant in
            w.string(variant.split)
            w.string(variant.variant)
            w.bool(variant.isControl)
        }
        switch instance.status {
        case .active:
            byte(0)
        case .finished(let reason, let at):
            byte(1)
            write(reason)
            double(at)
        }
        optional(instance.convertedAt) { $0.double($1) }
        optional(instance.goalDeadline) { $0.double($1) }
        array(instance.sendVisits) { $0.int($1) }
        optional(instance.heldSince) { $0.double($1) }
        optional(instance.heldEvent) { $0.write($1) }
    }

    mutating func write(_ event: MatchedEvent) {
        string(event.name)
        double(event.timestamp)
        values(event.properties)
    }

    mutating func write(_ reason: ExitReason) {
        switch reason {
        case .completed: byte(0)
        case .explicit(let text):
            byte(1)
            string(text)
        case .event(let name):
            byte(2)
            string(name)
        case .condition: byte(3)
        case .goal: byte(4)
        case .versionRetired: byte(5)
        case .stepLimit: byte(6)
        case .invalidState(let id):
            byte(7)
            int(id)
        case .migration: byte(8)
        }
    }

    mutating func write(_ entry: LedgerEntry) {
        double(entry.at)
        string(entry.channel.rawValue)
        string(entry.category.rawValue)
        string(entry.journey)
        string(entry.message)
        string(entry.requestID)
        optional(entry.priority) { $0.int($1) }
    }

    mutating func write(_ pending: PendingSend) {
        let request = pending.request
        string(request.id)
        string(request.journey)
        int(request.priority)
        string(request.step)
        write(request.send)
        double(request.requestedAt)
        string(pending.journeyVersion)
        int(pending.entrySequence)
        values(pending.event)
        double(pending.dueAt)
        int(pending.deferrals)
        optional(pending.heldSince) { $0.double($1) }
    }

    mutating func write(_ send: Send) {
        string(send.channel.rawValue)
        string(send.message)
        string(send.category.rawValue)
        optional(send.topic) { $0.string($1) }
        optional(send.fallback) { $0.string($1.rawValue) }
        switch send.whenCapped {
        case .skip: byte(0)
        case .deferUpTo(let seconds):
            byte(1)
            double(seconds)
        case .fallback: byte(2)
        }
        switch send.inQuietHours {
        case .deferUntilEnd: byte(0)
        case .skip: byte(1)
        }
    }

    mutating func values(_ fields: [String: Value]) { map(fields) { $0.value($1) } }

    /// A tag byte (`ValueTag`), then the payload.
    mutating func value(_ value: Value) {
        switch value {
        case .null: byte(ValueTag.null)
        case .bool(let b): byte(b ? ValueTag.true : ValueTag.false)
        case .number(let n):
            byte(ValueTag.number)
            double(n)
        case .string(let s):
            byte(ValueTag.string)
            string(s)
        case .time(let t):
            byte(ValueTag.time)
            double(t)
        case .duration(let d):
            byte(ValueTag.duration)
            double(d)
        case .list(let items):
            byte(ValueTag.list)
            array(items) { $0.value($1) }
        case .object(let fields):
            byte(ValueTag.object)
            values(fields)
        }
    }
}

/// The tag byte in front of each encoded `Value`.
enum ValueTag {
    static let null: UInt8 = 0
    static let `false`: UInt8 = 1
    static let `true`: UInt8 = 2
    static let number: UInt8 = 3
    static let string: UInt8 = 4
    static let time: UInt8 = 5
    static let duration: UInt8 = 6
    static let list: UInt8 = 7
    static let object: UInt8 = 8
    /// Deeper nesting is refused (a crafted blob must not exhaust the stack); JSON input is
    /// refused at the same depth by Foundation's decoder.
    static let maximumDepth = 512
}

// MARK: - Reading

extension ByteReader {
    mutating func readCustomerState() throws -> CustomerState {
        var state = CustomerState(profile: try readProfile())
        state.instances = try array { try $0.readInstance() }
        state.entries = try map { r in
            EntryRecord(count: try r.int(), firstEnteredAt: try r.double(), lastEnteredAt: try r.double())
        }
        state.history = EventHistory(
            events: try map { r in
                try r.array { r in HistoryEntry(timestamp: try r.double(), properties: try r.values()) }
            })
        state.segments = try array { try $0.string() }
        state.schedules = try map { try $0.double() }
        state.ledger = SendLedger(entries: try array { try $0.readLedgerEntry() })
        state.pendingSends = try array { try $0.readPendingSend() }
        state.recentEventIDs = try array { try $0.string() }
        state.clock = try optional { try $0.double() }
        state.nextWakeAt = try optional { try $0.double() }
        if format >= StoreRecordFormat.binaryV2 {
            state.engagement = try readEngagement()
            state.engagementHours = try optional { try $0.readEngagementHistogram() }
        }
        return state
    }

    mutating func readEngagementHistogram() throws -> EngagementHistogram {
        let asOf = try double()
        let opens = try int()
        let clicks = try int()
        var weights = Array(repeating: 0.0, count: 24)
        let hours = try count()
        guard (0...24).contains(hours) else { throw corrupt("\(hours) engagement hours (at most 24)") }
        for _ in 0..<hours {
            let hour = Int(try byte())
            guard hour < 24 else { throw corrupt("engagement hour \(hour)") }
            weights[hour] = try double()
        }
        return EngagementHistogram(weights: weights, asOf: asOf, opens: opens, clicks: clicks)
    }

    mutating func readEngagement() throws -> CustomerEngagement {
        func channel(_ r: inout ByteReader) throws -> Channel {
            let raw = try r.string()
            guard let channel = Channel(rawValue: raw) else { throw r.corrupt("unknown channel `\(raw)`") }
            return channel
        }
        let messages = try array { r in
            SentMessage(
                id: try r.string(), journey: try r.string(), version: try r.string(), entrySequence: try r.int(), step: try r.string(),
                message: try r.string(), channel: try channel(&r), variant: try r.optional { try $0.string() },
                address: try r.optional { try $0.string() }, at: try r.double(), counted: try r.array { try $0.string() })
        }
        let suppressions = try array { r in
            let channel = try channel(&r)
            let raw = try r.string()
            guard let cause = Suppression.Cause(rawValue: raw) else { throw r.corrupt("unknown suppression cause `\(raw)`") }
            return Suppression(
                channel: channel, cause: cause, address: try r.optional { try $0.string() }, topic: try r.optional { try $0.string() },
                messageID: try r.optional { try $0.string() }, at: try r.double())
        }
        return CustomerEngagement(messages: messages, suppressions: suppressions)
    }

    mutating func readProfile() throws -> CustomerProfile {
        CustomerProfile(
            id: try string(),
            email: try optional { try $0.string() },
            phone: try optional { try $0.string() },
            timeZone: try optional { try $0.string() },
            subscriptions: try map { try $0.bool() },
            attributes: try values())
    }

    mutating func readInstance() throws -> JourneyInstance {
        JourneyInstance(
            journey: try string(),
            version: try string(),
            entrySequence: try int(),
            enteredAt: try double(),
            state: try int(),
            step: try string(),
            deadline: try optional { try $0.double() },
            lastEvent: try optional { try $0.readMatchedEvent() },
            variants: try array { r in
                VariantAssignment(split: try r.string(), variant: try r.string(), isControl: try r.bool())
            },
            status: try readStatus(),
            convertedAt: try optional { try $0.double() },
            goalDeadline: try optional { try $0.double() },
            sendVisits: try array { try $0.int() },
            heldSince: try optional { try $0.double() },
            heldEvent: try optional { try $0.readMatchedEvent() })
    }

    mutating func readMatchedEvent() throws -> MatchedEvent {
        MatchedEvent(name: try string(), timestamp: try double(), properties: try values())
    }

    mutating func readStatus() throws -> InstanceStatus {
        switch try byte() {
        case 0: return .active
        case 1: return .finished(try readExitReason(), at: try double())
        case let tag: throw badTag(tag, of: "InstanceStatus")
        }
    }

    mutating func readExitReason() throws -> ExitReason {
        switch try byte() {
        case 0: return .completed
        case 1: return .explicit(try string())
        case 2: return .event(try string())
        case 3: return .condition
        case 4: return .goal
        case 5: return .versionRetired
        case 6: return .stepLimit
        case 7: return .invalidState(try int())
        case 8: return .migration
        case let tag: throw badTag(tag, of: "ExitReason")
        }
    }

    mutating func readLedgerEntry() throws -> LedgerEntry {
        LedgerEntry(
            at: try double(), channel: try readChannel(), category: try readCategory(), journey: try string(),
            message: try string(), requestID: try string(), priority: try optional { try $0.int() })
    }

    mutating func readPendingSend() throws -> PendingSend {
        let request = SendRequest(
            id: try string(), journey: try string(), priority: try int(), step: try string(), send: try readSend(),
            requestedAt: try double())
        return PendingSend(
            request: request, journeyVersion: try string(), entrySequence: try int(), event: try values(),
            dueAt: try double(), deferrals: try int(), heldSince: try optional { try $0.double() })
    }

    mutating func readSend() throws -> Send {
        let channel = try readChannel()
        let message = try string()
        let category = try readCategory()
        let topic = try optional { try $0.string() }
        let fallback = try optional { try $0.readChannel() }
        let whenCapped: CappedRule
        switch try byte() {
        case 0: whenCapped = .skip
        case 1: whenCapped = .deferUpTo(seconds: try double())
        case 2: whenCapped = .fallback
        case let tag: throw badTag(tag, of: "CappedRule")
        }
        let inQuietHours: QuietHoursRule
        switch try byte() {
        case 0: inQuietHours = .deferUntilEnd
        case 1: inQuietHours = .skip
        case let tag: throw badTag(tag, of: "QuietHoursRule")
        }
        return Send(
            channel: channel, message: message, category: category, topic: topic, fallback: fallback,
            whenCapped: whenCapped, inQuietHours: inQuietHours)
    }

    mutating func readChannel() throws -> Channel {
        let name = try string()
        guard let channel = Channel(rawValue: name) else { throw corrupt("unknown channel \"\(name)\"") }
        return channel
    }

    mutating func readCategory() throws -> MessageCategory {
        let name = try string()
        guard let category = MessageCategory(rawValue: name) else { throw corrupt("unknown message category \"\(name)\"") }
        return category
    }

    mutating func values(depth: Int = 0) throws -> [String: Value] {
        try map { try $0.value(depth: depth + 1) }
    }

    mutating func value(depth: Int = 0) throws -> Value {
        guard depth <= ValueTag.maximumDepth else { throw corrupt("values nested deeper than \(ValueTag.maximumDepth)") }
        switch try byte() {
        case ValueTag.null: return .null
        case ValueTag.false: return .bool(false)
        case ValueTag.true: return .bool(true)
        case ValueTag.number: return .number(try double())
        case ValueTag.string: return .string(try string())
        case ValueTag.time: return .time(try double())
        case ValueTag.duration: return .duration(try double())
        case ValueTag.list: return .list(try array { try $0.value(depth: depth + 1) })
        case ValueTag.object: return .object(try values(depth: depth))
        case let tag: throw badTag(tag, of: "Value")
        }
    }
}
