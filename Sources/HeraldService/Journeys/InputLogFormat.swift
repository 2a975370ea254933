public import Foundation
public import JourneyEngine
public import JourneyLanguage

/// The export format of the input log (docs/service.md, "Input log"): NDJSON, one object per
/// accepted input, in `(accepted_at, sequence)` order.
///
/// ```json
/// {"accepted_at":"2026-12-01T09:00:00.250Z","event":{"customer_id":"c1","id":"e1","name":"cart.updated","properties":{"items":2},"timestamp":"2026-12-01T09:00:00Z"},"kind":"event","sequence":17}
/// {"accepted_at":"2026-12-01T09:00:01.000Z","customer_id":"c1","kind":"profile","profile":{"email":"ada@example.com"},"sequence":18}
/// {"accepted_at":"2026-12-01T09:05:00.000Z","customer_id":"erased-6e0b…","kind":"erasure","sequence":19}
/// ```
///
/// `event` is the event object as `POST /v1/events` accepts it, and `profile` the body of
/// `PUT /v1/customers/{id}` as accepted (a removed email or phone is `null`), so a line can be
/// sent to the API again as it is. An erasure's `customer_id` is a pseudonym
/// (``InputLogEntry/erasedCustomerID(_:)``): the erased id itself leaves the store.
public enum InputLogFormat {
    /// The media type of an export.
    public static let mediaType = "application/x-ndjson"

    /// The JSON object of one entry, or `nil` for an entry that is not an input (never logged).
    public static func object(_ entry: InputLogEntry) -> Value? {
        var fields: [String: Value] = [
            "accepted_at": .string(acceptedAt(entry.acceptedAt)), "sequence": .number(Double(entry.sequence)),
        ]
        switch entry.payload {
        case .event(let event):
            fields["kind"] = .string("event")
            fields["event"] = .object([
                "id": .string(event.id), "customer_id": .string(event.customerID), "name": .string(event.name),
                "properties": .object(event.properties), "timestamp": .string(Value.formatTime(event.timestamp)),
            ])
        case .profile(let profile):
            fields["kind"] = .string("profile")
            fields["customer_id"] = .string(entry.customerID)
            var body: [String: Value] = [:]
            func optional(_ key: String, _ text: String?) {
                guard let text else { return }
                body[key] = text.isEmpty ? .null : .string(text)
            }
            optional("email", profile.email)
            optional("phone", profile.phone)
            if let zone = profile.timeZone { body["time_zone"] = .string(zone) }
            if !profile.subscriptions.isEmpty { body["subscriptions"] = .object(profile.subscriptions.mapValues(Value.bool)) }
            if !profile.attributes.isEmpty { body["attributes"] = .object(profile.attributes) }
            fields["profile"] = .object(body)
        case .erase:
            fields["kind"] = .string("erasure")
            fields["customer_id"] = .string(entry.customerID)
        case .deliveryOutcome:
            return nil
        }
        return .object(fields)
    }

    /// One NDJSON line (with its newline), or `nil` for an entry that is not an input.
    public static func line(_ entry: InputLogEntry) -> Data? {
        guard let object = object(entry), var data = try? encoder.encode(object) else { return nil }
        data.append(0x0A)
        return data
    }

    /// RFC 3339 in UTC, always with milliseconds (`2026-12-01T09:00:00.250Z`).
    public static func acceptedAt(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    /// A bound of an export: RFC 3339 or seconds since 1970 (`1764579600`, `1764579600.5`).
    public static func parseBound(_ text: String) -> Double? {
        if let seconds = Double(text), seconds.isFinite, text.first?.isNumber == true { return seconds }
        guard text.count > 10 else { return nil }  // a bare date is not an instant here
        return Value.parseTime(text)
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Writes every entry of the store's log in `[since, until)` through `write`, a page at a
    /// time (memory stays bounded by the page size). Returns how many lines were written.
    @discardableResult
    public static func export(
        from store: any JourneyStore, since: Double?, until: Double?, pageSize: Int = 1_000,
        write: (Data) async throws -> Void
    ) async throws -> Int {
        var after: InputLogPosition?
        var count = 0
        while true {
            let page = try await store.inputLog(since: since, until: until, after: after, limit: pageSize)
            var chunk = Data()
            for entry in page {
                if let line = line(entry) {
                    chunk.append(line)
                    count += 1
                }
            }
            if !chunk.isEmpty { try await write(chunk) }
            guard page.count == pageSize, let last = page.last else { return count }
            after = last.position
        }
    }
}
