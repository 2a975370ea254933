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

    /// The fields an event object may have.
    private static let eventFields: Set<String> = ["id", "customer_id", "name", "properties", "timestamp"]

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
        if fields.keys.contains(where: { !eventFields.contains($0) }) {
            for key in fields.keys.sorted() where !eventFields.contains(key) {
                problems.append(
                    ValidationProblem(path: at(key), message: "unknown field (expected one of \(eventFields.sorted().joined(separator: ", ")))"))
            }
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

    /// Why a string cannot be an id or a name, if it cannot. An id is any text of 1 to 256 UTF-8
    /// bytes without control characters: spaces, slashes, percent signs and non-ASCII letters are
    /// all fine (in a URL path they are percent-encoded, as `jürgen smith/1` is `j%C3%BCrgen%20smith%2F1`).
    static func identifierProblem(_ text: String) -> String? {
        if text.isEmpty { return "must not be empty" }
        if text.utf8.count > maxIDLength { return "must be at most \(maxIDLength) bytes" }
        if text.unicodeScalars.contains(where: isControl) {
            return "must not contain control characters"
        }
        return nil
    }

    /// Whether `scalar` is a control character (general category Cc): U+0000–U+001F and
    /// U+007F–U+009F, a set Unicode's stability policy fixes. Comparing the value is what
    /// `properties.generalCategory == .control` answers, without its table lookup per character
    /// (2 % of the server's CPU under `POST /v1/events`, three ids per event).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// A path segment as sent (`j%C3%BCrgen%20smith%2F1`) decoded to the id it names
    /// (`jürgen smith/1`). Every `%` must start a `%XX` escape and the bytes must be UTF-8; `+`
    /// stays a plus (it means a space only in query strings).
    static func percentDecoded(_ segment: String) -> Result<String, PercentDecodingProblem> {
        let bytes = Array(segment.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else {
                    return .failure(PercentDecodingProblem(message: "has a % that does not start a %XX escape; write a literal % as %25"))
                }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            return .failure(PercentDecodingProblem(message: "percent-decodes to bytes that are not UTF-8"))
        }
        return .success(text)
    }

    struct PercentDecodingProblem: Error {
        var message: String
    }

    /// Why an email address cannot be used, if it cannot: one address `local@domain` (no display
    /// name, no list), the local part a dot-atom of letters, digits and ``!#$%&'*+-/=?^_`{|}~``
    /// (non-ASCII allowed), the domain dot-separated labels of letters, digits and hyphens.
    static func emailProblem(_ text: String) -> String? {
        let example = "must be one email address such as ada@example.com"
        if text.utf8.count > 320 { return "must be at most 320 bytes" }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return parts.count < 2 ? "\(example) (it has no @)" : "\(example) (it has more than one @; give one address, not a list)"
        }
        let (local, domain) = (parts[0], parts[1])
        let atext = Set("!#$%&'*+-/=?^_`{|}~")
        func dotAtom(_ text: Substring, allowed: (Character) -> Bool) -> Bool {
            !text.isEmpty
                && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
                    !atom.isEmpty && atom.allSatisfy(allowed)
                }
        }
        guard local.utf8.count <= 64,
            dotAtom(local, allowed: { $0.isLetter || $0.isNumber || atext.contains($0) || !$0.isASCII && !$0.isWhitespace })
        else {
            return "\(example) (the part before @ may hold letters, digits, dots and !#$%&'*+-/=?^_`{|}~, but no spaces, commas or quotes)"
        }
        let labelsValid = domain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
        guard domain.utf8.count <= 255, labelsValid else {
            return "\(example) (the part after @ must be a domain such as example.com)"
        }
        return nil
    }

    /// Why a phone number cannot be used, if it cannot.
    static func phoneProblem(_ text: String) -> String? {
        text.count <= 32 && text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-() ".contains($0)) }) && text.contains(where: \.isNumber)
            ? nil : "must be a phone number such as +447700900123 (digits, spaces, +, -, parentheses; at most 32)"
    }

    /// `PUT /v1/customers/{id}`. A field left out keeps its stored value; `email` and `phone` may be
    /// `null` or `""` to remove the stored one (passed on as `""`, which the engine clears).
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
        switch fields["id"] {
        case nil: break
        case .string(let bodyID)? where bodyID == id: break
        case .string?:
            problems.append(ValidationProblem(path: "id", message: "does not match the id in the path (\(id)); leave it out or repeat the path's id"))
        default:
            problems.append(ValidationProblem(path: "id", message: "must be a string equal to the id in the path (\(id))"))
        }
        func optionalString(_ key: String, emptyIsNone: Bool = false, check: (String) -> String?) -> String? {
            switch fields[key] {
            case nil: return nil
            case .null?: return emptyIsNone ? "" : nil
            case .string(let text)? where emptyIsNone && text.isEmpty: return ""
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
        profile.email = optionalString("email", emptyIsNone: true, check: emailProblem)
        profile.phone = optionalString("phone", emptyIsNone: true, check: phoneProblem)
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
