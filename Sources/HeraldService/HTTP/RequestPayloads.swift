import Foundation
import HTTPTypes
import JourneyEngine
import JourneyLanguage

/// Reads and checks request bodies. Every problem is reported with its JSON path, and a request
/// with any problem changes nothing.
struct RequestPayloads {
    static let maxIDLength = 256
    static let maxNameLength = 256

    /// Parses JSON into a `Value`, or answers 400 `invalid_json`.
    static func parseJSON(_ bytes: [UInt8]) throws -> Value {
        if bytes.isEmpty { throw APIError(.badRequest, code: "invalid_json", message: "the request body is empty") }
        do {
            return try JSONValueParser.parse(bytes)
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON: \(error)")
        }
    }

    /// `POST /v1/events`: one event object, an array of them, or `{"events": [...]}`.
    static func events(from body: Value, maxBatch: Int, now: Double) throws -> [CustomerEvent] {
        let items: [(path: String, value: Value)]
        switch body {
        case .list(let list):
            items = list.enumerated().map { ("[\($0.offset)]", $0.element) }
        case .object(let fields) where fields["events"] != nil:
            guard case .list(let list) = fields["events"]! else {
                throw APIError.invalid([ValidationProblem(path: "events", message: "must be an array of events")])
            }
            let unknown = fields.keys.filter { $0 != "events" }.sorted()
            if !unknown.isEmpty {
                throw APIError.invalid(unknown.map { ValidationProblem(path: $0, message: "unknown field") })
            }
            items = list.enumerated().map { ("events[\($0.offset)]", $0.element) }
        case .object:
            items = [("", body)]
        default:
            throw APIError.invalid([
                ValidationProblem(path: "$", message: "expected an event object, an array of events, or {\"events\": [...]}")
            ])
        }
        if items.isEmpty { throw APIError.invalid([ValidationProblem(path: "events", message: "must not be empty")]) }
        if items.count > maxBatch {
            throw APIError(
                .contentTooLarge, code: "batch_too_large",
                message: "a batch holds at most \(maxBatch) events; this one has \(items.count). Split it into smaller batches.",
                details: [.object(["limit": .number(Double(maxBatch)), "received": .number(Double(items.count))])])
        }
        var problems: [ValidationProblem] = []
        var events: [CustomerEvent] = []
        events.reserveCapacity(items.count)
        for (path, value) in items {
            if let event = event(from: value, path: path, now: now, problems: &problems) { events.append(event) }
        }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        return events
    }

    private static func event(
        from value: Value, path: String, now: Double, problems: inout [ValidationProblem]
    )
        -> CustomerEvent?
    {
        func at(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }
        guard case .object(let fields) = value else {
            problems.append(ValidationProblem(path: path.isEmpty ? "$" : path, message: "must be an object"))
            return nil
        }
        let before = problems.count
        let allowed: Set<String> = ["id", "customer_id", "name", "properties", "timestamp"]
        for key in fields.keys.sorted() where !allowed.contains(key) {
            problems.append(ValidationProblem(path: at(key), message: "unknown field (expected one of \(allowed.sorted().joined(separator: ", ")))"))
        }
        let customerID = identifier(fields["customer_id"], path: at("customer_id"), required: true, problems: &problems)
        let name = identifier(fields["name"], path: at("name"), required: true, problems: &problems)
        let id = identifier(fields["id"], path: at("id"), required: false, problems: &problems)
        var properties: [String: Value] = [:]
        switch fields["properties"] {
        case nil, .null?: break
        case .object(let object)?: properties = object
        default: problems.append(ValidationProblem(path: at("properties"), message: "must be an object"))
        }
        var timestamp = now
        switch fields["timestamp"] {
        case nil, .null?: break
        case .number(let seconds)? where seconds.isFinite && seconds >= 0 && seconds < 32_503_680_000:
            timestamp = seconds
        case .string(let text)?:
            if let seconds = Value.parseTime(text) {
                timestamp = seconds
            } else {
                problems.append(
                    ValidationProblem(path: at("timestamp"), message: "must be an RFC 3339 time such as 2026-11-23T09:00:00Z"))
            }
        default:
            problems.append(
                ValidationProblem(
                    path: at("timestamp"), message: "must be an RFC 3339 string or a number of seconds since 1970"))
        }
        guard problems.count == before, let customerID, let name else { return nil }
        return CustomerEvent(
            id: id ?? generatedID(prefix: "evt"), customerID: customerID, name: name, properties: properties,
            timestamp: timestamp)
    }

    private static func identifier(
        _ value: Value?, path: String, required: Bool, problems: inout [ValidationProblem]
    )
        -> String?
    {
        switch value {
        case nil, .null?:
            if required { problems.append(ValidationProblem(path: path, message: "is required")) }
            return nil
        case .string(let text)?:
            if let message = identifierProblem(text) {
                problems.append(ValidationProblem(path: path, message: message))
                return nil
            }
            return text
        default:
            problems.append(ValidationProblem(path: path, message: "must be a string"))
            return nil
        }
    }

    /// Why a string cannot be an id or a name, if it cannot.
    static func identifierProblem(_ text: String) -> String? {
        if text.isEmpty { return "must not be empty" }
        if text.utf8.count > maxIDLength { return "must be at most \(maxIDLength) bytes" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        return nil
    }

    /// `PUT /v1/customers/{id}`.
    static func profile(id: String, from body: Value) throws -> CustomerProfile {
        guard case .object(let fields) = body else {
            throw APIError.invalid([ValidationProblem(path: "$", message: "must be an object")])
        }
        var problems: [ValidationProblem] = []
        let allowed: Set<String> = ["email", "phone", "time_zone", "subscriptions", "attributes", "id"]
        for key in fields.keys.sorted() where !allowed.contains(key) {
            problems.append(ValidationProblem(path: key, message: "unknown field (expected one of \(allowed.sorted().joined(separator: ", ")))"))
        }
        var profile = CustomerProfile(id: id)
        if case .string(let bodyID)? = fields["id"], bodyID != id {
            problems.append(ValidationProblem(path: "id", message: "does not match the id in the path (\(id))"))
        }
        func optionalString(_ key: String, check: (String) -> String?) -> String? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let text)?:
                if let message = check(text) {
                    problems.append(ValidationProblem(path: key, message: message))
                    return nil
                }
                return text
            default:
                problems.append(ValidationProblem(path: key, message: "must be a string"))
                return nil
            }
        }
        profile.email = optionalString("email") { text in
            text.count <= 320 && text.contains("@") && !text.contains(where: \.isWhitespace) ? nil : "must be an email address"
        }
        profile.phone = optionalString("phone") { text in
            text.count <= 32 && text.allSatisfy({ $0.isNumber || "+-() ".contains($0) }) && text.contains(where: \.isNumber)
                ? nil : "must be a phone number such as +447700900123"
        }
        profile.timeZone = optionalString("time_zone") { text in
            TimeZone(identifier: text) != nil
                ? nil : "unknown time zone \"\(text)\": use an IANA name such as Europe/Paris"
        }
        switch fields["subscriptions"] {
        case nil, .null?: break
        case .object(let object)?:
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                if case .bool(let subscribed) = value {
                    profile.subscriptions[key] = subscribed
                } else {
                    problems.append(ValidationProblem(path: "subscriptions.\(key)", message: "must be true or false"))
                }
            }
        default: problems.append(ValidationProblem(path: "subscriptions", message: "must be an object of booleans"))
        }
        switch fields["attributes"] {
        case nil, .null?: break
        case .object(let object)?: profile.attributes = object
        default: problems.append(ValidationProblem(path: "attributes", message: "must be an object"))
        }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        return profile
    }

    /// A time-ordered unique id (keeps the inbox's id index append-mostly).
    static func generatedID(prefix: String) -> String {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        let random = UInt64.random(in: 0...UInt64.max)
        return prefix + "_" + String(millis, radix: 16) + String(format: "%016llx", random)
    }
}
