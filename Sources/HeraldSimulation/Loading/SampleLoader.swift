public import Foundation
public import JourneyEngine
public import JourneyLanguage
import Synchronization

/// A problem with one line of an input file: printed as `file:line: error: message`.
public struct LoadIssue: Sendable, Hashable, Codable, Error, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String { "\(file):\(line): error: \(message)" }
}

/// Thrown in strict mode: every malformed line, not just the first.
public struct LoadFailure: Error, CustomStringConvertible {
    public var issues: [LoadIssue]
    public init(issues: [LoadIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Reads sample customers (NDJSON or CSV) and events (NDJSON) for the dry-run.
///
/// Malformed lines are reported with file and line and skipped; with `strict`, any malformed
/// line makes the whole load fail (nothing is run). The formats are described in docs/dry-run.md.
public struct SampleLoader: Sendable {
    public var strict: Bool
    public init(strict: Bool = false) { self.strict = strict }

    // MARK: Customers

    /// Loads customers from `path`: CSV when the name ends in `.csv`, NDJSON otherwise.
    public func customers(at path: String) throws -> (customers: [CustomerProfile], issues: [LoadIssue]) {
        let text = try Self.read(path)
        return try customers(text: text, file: path, csv: path.lowercased().hasSuffix(".csv"))
    }

    public func customers(text: String, file: String, csv: Bool) throws -> (customers: [CustomerProfile], issues: [LoadIssue]) {
        let result = csv ? Self.customersCSV(text, file: file) : Self.customersNDJSON(text, file: file)
        if strict, !result.issues.isEmpty { throw LoadFailure(issues: result.issues) }
        return result
    }

    static let profileKeys: Set<String> = ["id", "email", "phone", "time_zone", "subscriptions", "attributes"]

    static func customersNDJSON(_ text: String, file: String) -> (customers: [CustomerProfile], issues: [LoadIssue]) {
        var customers: [CustomerProfile] = []
        var issues: [LoadIssue] = []
        var seen: Set<String> = []
        let lines = lines(text)
        let parsed = parseLines(lines) { object, _ in try profile(from: object) }
        for ((number, _), parsedProfile) in zip(lines, parsed) {
            do {
                let profile = try parsedProfile.get()
                guard seen.insert(profile.id).inserted else {
                    issues.append(LoadIssue(file: file, line: number, message: "duplicate customer id \"\(profile.id)\"; the first one is kept"))
                    continue
                }
                customers.append(profile)
            } catch {
                issues.append(LoadIssue(file: file, line: number, message: "\(error)"))
            }
        }
        return (customers, issues)
    }

    static func profile(from object: [String: Value]) throws -> CustomerProfile {
        guard case .string(let id)? = object["id"], !id.isEmpty else { throw Message("customer needs a non-empty string \"id\"") }
        func text(_ key: String) throws -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s.isEmpty ? nil : s
            default: throw Message("\"\(key)\" must be a string")
            }
        }
        let zone = try text("time_zone")
        if let zone, LocalClock.zone(zone) == nil { throw Message("unknown time zone \"\(zone)\" (use an IANA name such as \"Europe/Paris\")") }
        var subscriptions: [String: Bool] = [:]
        switch object["subscriptions"] {
        case nil, .null?: break
        case .object(let fields)?:
            for (key, value) in fields {
                guard case .bool(let b) = value else { throw Message("subscription \"\(key)\" must be true or false") }
                subscriptions[key] = b
            }
        default: throw Message("\"subscriptions\" must be an object of booleans")
        }
        var attributes: [String: Value] = [:]
        switch object["attributes"] {
        case nil, .null?: break
        case .object(let fields)?: attributes = fields
        default: throw Message("\"attributes\" must be an object")
        }
        for (key, value) in object where !profileKeys.contains(key) { attributes[key] = value }
        return CustomerProfile(
            id: id, email: try text("email"), phone: try text("phone"), timeZone: zone, subscriptions: subscriptions, attributes: attributes)
    }

    static func customersCSV(_ text: String, file: String) -> (customers: [CustomerProfile], issues: [LoadIssue]) {
        var customers: [CustomerProfile] = []
        var issues: [LoadIssue] = []
        var header: [String]?
        var seen: Set<String> = []
        for (number, line) in lines(text) {
            let fields: [String]
            do { fields = try CSV.fields(line) } catch {
                issues.append(LoadIssue(file: file, line: number, message: "\(error)"))
                continue
            }
            guard let columns = header else {
                header = fields.map { $0.trimmingCharacters(in: .whitespaces) }
                if !(header ?? []).contains("id") {
                    issues.append(LoadIssue(file: file, line: number, message: "the header has no \"id\" column"))
                    return (customers, issues)
                }
                continue
            }
            guard fields.count == columns.count else {
                issues.append(LoadIssue(file: file, line: number, message: "expected \(columns.count) fields, found \(fields.count)"))
                continue
            }
            var object: [String: Value] = [:]
            var subscriptions: [String: Value] = [:]
            for (column, field) in zip(columns, fields) where !field.isEmpty {
                if column.hasPrefix("subscribed_") || column.hasPrefix("subscriptions.") {
                    let key = column.hasPrefix("subscribed_") ? String(column.dropFirst(11)) : String(column.dropFirst(14))
                    subscriptions[key] = CSV.typed(field)
                } else if ["id", "email", "phone", "time_zone"].contains(column) {
                    object[column] = .string(field)
                } else {
                    object[column] = CSV.typed(field)
                }
            }
            if !subscriptions.isEmpty { object["subscriptions"] = .object(subscriptions) }
            do {
                let profile = try profile(from: object)
                guard seen.insert(profile.id).inserted else {
                    issues.append(LoadIssue(file: file, line: number, message: "duplicate customer id \"\(profile.id)\"; the first one is kept"))
                    continue
                }
                customers.append(profile)
            } catch {
                issues.append(LoadIssue(file: file, line: number, message: "\(error)"))
            }
        }
        return (customers, issues)
    }

    // MARK: Events

    /// Loads events from an NDJSON file. Each line: `{"id", "customer_id", "name", "timestamp",
    /// "properties", "history"}`; `timestamp` is RFC 3339 or seconds since the epoch; a missing
    /// `id` becomes `<file>:<line>`; `"history": true` marks an event that happened before the
    /// replay (it only feeds behavioural history).
    public func events(at path: String) throws -> LoadedEvents {
        try events(text: try Self.read(path), file: path)
    }

    public func events(text: String, file: String) throws -> LoadedEvents {
        var events: [CustomerEvent] = []
        var history: [CustomerEvent] = []
        var issues: [LoadIssue] = []
        let base = (file as NSString).lastPathComponent
        let lines = Self.lines(text)
        let parsed = Self.parseLines(lines) { object, number -> (CustomerEvent, Bool) in
            guard case .string(let customer)? = object["customer_id"] ?? object["customer"], !customer.isEmpty else {
                throw Message("event needs a string \"customer_id\"")
            }
            guard case .string(let name)? = object["name"], !name.isEmpty else { throw Message("event needs a string \"name\"") }
            let timestamp: Double
            switch object["timestamp"] ?? object["time"] {
            case .string(let s)?:
                guard let t = Value.parseTime(s) else { throw Message("\"timestamp\" is not an RFC 3339 time: \"\(s)\"") }
                timestamp = t
            case .number(let n)?: timestamp = n
            default: throw Message("event needs a \"timestamp\" (RFC 3339 string or seconds since the epoch)")
            }
            var properties: [String: Value] = [:]
            switch object["properties"] {
            case nil, .null?: break
            case .object(let fields)?: properties = fields
            default: throw Message("\"properties\" must be an object")
            }
            let id: String
            switch object["id"] {
            case .string(let s)? where !s.isEmpty: id = s
            case .number(let n)?: id = JSONNode.formatNumber(n)
            default: id = "\(base):\(number)"
            }
            let event = CustomerEvent(id: id, customerID: customer, name: name, properties: properties, timestamp: timestamp)
            switch object["history"] {
            case .bool(true)?: return (event, true)
            case nil, .null?, .bool(false)?: return (event, false)
            default: throw Message("\"history\" must be true or false")
            }
        }
        for ((number, _), parsedEvent) in zip(lines, parsed) {
            switch parsedEvent {
            case .success((let event, true)): history.append(event)
            case .success((let event, false)): events.append(event)
            case .failure(let error): issues.append(LoadIssue(file: file, line: number, message: "\(error)"))
            }
        }
        if strict, !issues.isEmpty { throw LoadFailure(issues: issues) }
        return LoadedEvents(events: events, history: history, issues: issues)
    }

    // MARK: Helpers

    public static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw Message("\(path): cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw Message("\(path): not UTF-8 text") }
        return text
    }

    /// Non-blank, non-comment (`#`) lines with their 1-based numbers.
    static func lines(_ text: String) -> [(Int, Substring)] {
        var result: [(Int, Substring)] = []
        var number = 0
        func add(_ line: Substring) {
            number += 1
            let trimmed = line.last == "\r" ? line.dropLast() : line
            if trimmed.allSatisfy(\.isWhitespace) || trimmed.first == "#" { return }
            result.append((number, trimmed))
        }
        // Split on the bytes: the lines of `text.split(separator: "\n")` (a line feed that is part
        // of a CR LF pair is one `Character`, not a separator), without breaking the whole text
        // into `Character`s.
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        var previous: UInt8 = 0
        while index != utf8.endIndex {
            let byte = utf8[index]
            let next = utf8.index(after: index)
            if byte == 0x0A, previous != 0x0D {
                add(text[start..<index])
                start = next
            }
            previous = byte
            index = next
        }
        add(text[start..<utf8.endIndex])
        return result
    }

    static func parseObject(_ line: Substring, decoder: JSONDecoder = JSONDecoder()) throws(Message) -> [String: Value] {
        // Read directly; a line the parser refuses goes through JSONDecoder for its message.
        if case .object(let object)? = try? JSONValueParser.parse(Array(line.utf8)) { return object }
        let value: Value
        do { value = try decoder.decode(Value.self, from: Data(line.utf8)) } catch { throw Message("malformed JSON") }
        guard case .object(let object) = value else { throw Message("expected a JSON object") }
        return object
    }

    /// `parseObject` and then `transform` (given the object and the line number) for every line,
    /// in order: lines are independent, so large files are read on every core, in contiguous
    /// slices with one decoder each.
    static func parseLines<T: Sendable>(
        _ lines: [(Int, Substring)], _ transform: @Sendable ([String: Value], Int) throws -> T
    ) -> [Result<T, any Error>] {
        let slices = lines.count < 1_024 ? 1 : min(lines.count / 256, max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
        let done = Mutex([[Result<T, any Error>]](repeating: [], count: slices))
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let decoder = JSONDecoder()
            var results: [Result<T, any Error>] = []
            let range = (lines.count * slice / slices)..<(lines.count * (slice + 1) / slices)
            results.reserveCapacity(range.count)
            for k in range {
                results.append(Result { try transform(parseObject(lines[k].1, decoder: decoder), lines[k].0) })
            }
            done.withLock { $0[slice] = results }
        }
        return done.withLock { $0.flatMap { $0 } }
    }
}

/// The events of a file: those to replay, those that are only history, and the skipped lines.
public struct LoadedEvents: Sendable {
    public var events: [CustomerEvent]
    public var history: [CustomerEvent]
    public var issues: [LoadIssue]
}

/// An error that is just a message.
struct Message: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Minimal RFC 4180 CSV: quoted fields with doubled quotes; one record per line.
enum CSV {
    static func fields(_ line: Substring) throws -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var iterator = line.makeIterator()
        var atStart = true
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else if next == "," {
                            quoted = false
                            fields.append(field)
                            field = ""
                            atStart = true
                            continue
                        } else {
                            throw Message("unexpected character after a closing quote")
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && atStart {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
                atStart = true
                continue
            } else {
                field.append(c)
            }
            atStart = false
        }
        if quoted { throw Message("unterminated quoted field") }
        fields.append(field)
        return fields
    }

    /// `true`/`false` → bool, numbers → number, anything else → string.
    static func typed(_ field: String) -> Value {
        switch field {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            // Leading `+` or `0` (phone numbers, zip codes) stays text.
            let keepsText = field.count > 1 && (field.first == "+" || (field.first == "0" && !field.hasPrefix("0.")))
            if !keepsText, let n = Double(field), n.isFinite { return .number(n) }
            return .string(field)
        }
    }
}
