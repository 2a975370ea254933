public import Foundation
public import JourneyEngine
public import JourneyLanguage
import Yams

/// A journey test: given these customers and these events at these times, expect these sends,
/// entries, exits, conversions and variants. Scenario files are YAML (docs/dry-run.md has the
/// format); one file holds one scenario or a list under `scenarios:`.
public struct Scenario: Sendable {
    public var name: String
    public var file: String
    public var line: Int
    /// The journeys directory the scenario runs against.
    public var journeys: String
    /// The instant relative times (`+1h`) count from.
    public var start: Double
    /// When the replay ends (default: the last event plus 7 days).
    public var until: Double?
    public var customers: [CustomerProfile]
    public var events: [CustomerEvent]
    /// Events that only feed behavioural history (`history: true`).
    public var history: [CustomerEvent]
    /// Profile changes at their times (`profile:` items in `events`).
    public var profileUpdates: [ProfileUpdate]
    public var expectations: [ScenarioExpectation]
    public var seed: UInt64
}

/// One case of a scenario file: ready to run, or unreadable (reported as that case's failure).
public enum ScenarioCase: Sendable {
    case ready(Scenario)
    case unreadable(name: String, file: String, line: Int, error: ScenarioError)

    public func get() throws -> Scenario {
        switch self {
        case .ready(let scenario): return scenario
        case .unreadable(_, _, _, let error): throw error
        }
    }
}

/// A scenario file that could not be read.
public struct ScenarioError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): error: \(message)" }
}

public enum ScenarioFile {
    /// The default start of a scenario: Monday 2026-03-02 09:00 UTC.
    public static let defaultStart = 1_772_442_000.0

    public static func load(path: String) throws -> [Scenario] {
        try loadCases(path: path).map { try $0.get() }
    }

    /// The file's scenarios, each read on its own: a case that cannot be read (a bad expectation,
    /// a bad time) is a failure of that case only. Throws when the file as a whole cannot be read.
    public static func loadCases(path: String) throws -> [ScenarioCase] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: path, line: 1, message: "cannot read the file")
        }
        return try parseCases(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> [Scenario] {
        try parseCases(text, file: file).map { try $0.get() }
    }

    public static func parseCases(_ text: String, file: String) throws -> [ScenarioCase] {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ScenarioError(file: file, line: 1, message: "the file is empty") }
            root = node
        } catch let error as ScenarioError {
            throw error
        } catch {
            throw ScenarioError(file: file, line: 1, message: "not valid YAML: \(error)")
        }
        guard root.mapping != nil else { throw ScenarioError(file: file, line: line(root), message: "a scenario file is a mapping") }
        let directory = (file as NSString).deletingLastPathComponent
        let defaultJourneys: String = {
            if (directory as NSString).lastPathComponent == "tests" { return (directory as NSString).deletingLastPathComponent }
            return directory.isEmpty ? "." : directory
        }()
        var defaults = Defaults(journeys: defaultJourneys, start: defaultStart, seed: 0)
        defaults = try readDefaults(root, file: file, directory: directory, inherited: defaults)
        if let list = root["scenarios"] {
            guard let items = list.sequence else { throw ScenarioError(file: file, line: line(list), message: "`scenarios` is a list") }
            return items.map { item in
                do {
                    return .ready(try scenario(item, file: file, directory: directory, defaults: defaults))
                } catch {
                    let name = (item["scenario"] ?? item["name"])?.string ?? "scenario at line \(line(item))"
                    let failure = error as? ScenarioError ?? ScenarioError(file: file, line: line(item), message: "\(error)")
                    return .unreadable(name: name, file: file, line: line(item), error: failure)
                }
            }
        }
        return [.ready(try scenario(root, file: file, directory: directory, defaults: defaults))]
    }

    struct Defaults {
        var journeys: String
        var start: Double
        var seed: UInt64
    }

    static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    static func readDefaults(_ node: Node, file: String, directory: String, inherited: Defaults) throws -> Defaults {
        var d = inherited
        if let j = node["journeys"] {
            guard let path = j.string else { throw ScenarioError(file: file, line: line(j), message: "`journeys` is a directory path") }
            d.journeys = path.hasPrefix("/") ? path : (directory.isEmpty ? path : "\(directory)/\(path)")
        }
        if let s = node["start"] {
            guard let text = s.scalar?.string, let t = Value.parseTime(text) else {
                throw ScenarioError(file: file, line: line(s), message: "`start` is an RFC 3339 time such as 2026-03-02T09:00:00Z")
            }
            d.start = t
        }
        if let s = node["seed"] {
            guard let n = s.int, n >= 0 else { throw ScenarioError(file: file, line: line(s), message: "`seed` is a non-negative integer") }
            d.seed = UInt64(n)
        }
        return d
    }

    static func scenario(_ node: Node, file: String, directory: String, defaults: Defaults) throws -> Scenario {
        func fail(_ n: Node, _ message: String) -> ScenarioError { ScenarioError(file: file, line: line(n), message: message) }
        guard node.mapping != nil else { throw fail(node, "a scenario is a mapping with `customers`, `events` and `expect`") }
        let d = try readDefaults(node, file: file, directory: directory, inherited: defaults)
        let name = (node["scenario"] ?? node["name"])?.string ?? "scenario at line \(line(node))"

        var customers: [CustomerProfile] = []
        for c in node["customers"]?.sequence.map(Array.init) ?? [] {
            if let id = c.string, c.scalar != nil {
                customers.append(CustomerProfile(id: id, email: "\(id)@example.com", phone: "+15550100"))
                continue
            }
            guard case .object(var object) = value(c) else { throw fail(c, "a customer is a mapping with at least an `id`") }
            // Scenario customers get contact data unless they say otherwise (`email: null`).
            if object["email"] == nil, case .string(let id)? = object["id"] { object["email"] = .string("\(id)@example.com") }
            if object["phone"] == nil { object["phone"] = .string("+15550100") }
            do { customers.append(try SampleLoader.profile(from: object)) } catch { throw fail(c, "\(error)") }
        }

        var events: [CustomerEvent] = []
        var history: [CustomerEvent] = []
        var updates: [ProfileUpdate] = []
        for (n, e) in (node["events"]?.sequence.map(Array.init) ?? []).enumerated() {
            guard case .object(let object) = value(e) else { throw fail(e, "an event is a mapping with `at`, `customer` and `name`") }
            guard let atNode = e["at"], let atText = atNode.scalar?.string, let at = parseTime(atText, start: d.start) else {
                throw fail(e, "an event needs `at`: a time relative to the start (+1h, +2d 3h) or an RFC 3339 time")
            }
            let customer: String
            if case .string(let c)? = object["customer"] {
                customer = c
            } else if customers.count == 1 {
                customer = customers[0].id
            } else {
                throw fail(e, "an event needs `customer` when the scenario has several customers")
            }
            if let change = object["profile"] {
                guard case .object(var fields) = change else { throw fail(e, "`profile` is a mapping of profile fields") }
                fields["id"] = .string(customer)
                do { updates.append(ProfileUpdate(at: at, profile: try SampleLoader.profile(from: fields))) } catch { throw fail(e, "\(error)") }
                continue
            }
            guard case .string(let name)? = object["name"] else { throw fail(e, "an event needs a `name` (or a `profile` change)") }
            var properties: [String: Value] = [:]
            if case .object(let p)? = object["properties"] { properties = p }
            let event = CustomerEvent(id: "\(name)@\(line(e))#\(n)", customerID: customer, name: name, properties: properties, timestamp: at)
            if object["history"] == .bool(true) { history.append(event) } else { events.append(event) }
        }

        var until: Double?
        if let u = node["until"] {
            guard let text = u.scalar?.string, let t = parseTime(text, start: d.start) else { throw fail(u, "`until` is a time (+7d or RFC 3339)") }
            until = t
        }

        var expectations: [ScenarioExpectation] = []
        for x in node["expect"]?.sequence.map(Array.init) ?? [] {
            guard let text = x.string else { throw fail(x, "an expectation is a line of text such as `send email cart_reminder to c1 at +1h`") }
            do { expectations.append(try ScenarioExpectation.parse(text, start: d.start, line: line(x))) } catch { throw fail(x, "\(error)") }
        }
        if expectations.isEmpty { throw fail(node, "scenario \"\(name)\" has no `expect` list") }
        return Scenario(
            name: name, file: file, line: line(node), journeys: d.journeys, start: d.start, until: until, customers: customers, events: events,
            history: history, profileUpdates: updates, expectations: expectations, seed: d.seed)
    }

    /// `+1h`, `+2d 3h`, `+90s`, `+0` relative to `start`; or an RFC 3339 time.
    public static func parseTime(_ text: String, start: Double) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let t = Value.parseTime(trimmed) { return t }
        var body = Substring(trimmed)
        var sign = 1.0
        if body.first == "+" {
            body = body.dropFirst()
        } else if body.first == "-" {
            sign = -1
            body = body.dropFirst()
        }
        guard let seconds = parseDuration(String(body)) else { return nil }
        return start + sign * seconds
    }

    /// `1h`, `2d 3h`, `1h30m`, `90s`, `0`.
    public static func parseDuration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var sawUnit = false
        for c in text where c != " " {
            if c.isNumber || c == "." {
                number.append(c)
                continue
            }
            guard let n = Double(number) else { return nil }
            let unit: Double
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3_600
            case "d": unit = 86_400
            case "w": unit = 604_800
            default: return nil
            }
            total += n * unit
            number = ""
            sawUnit = true
        }
        if !number.isEmpty {
            guard let n = Double(number), !sawUnit || n == 0 else { return nil }
            total += n
        }
        return total
    }

    /// A YAML node as a `Value`: quoted scalars are strings; plain ones are null, booleans,
    /// numbers or strings.
    static func value(_ node: Node) -> Value {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            switch scalar.string {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default:
                if let n = Double(scalar.string), n.isFinite, !scalar.string.hasPrefix("+") { return .number(n) }
                return .string(scalar.string)
            }
        case .mapping(let mapping):
            var fields: [String: Value] = [:]
            for (k, v) in mapping { if let key = k.string { fields[key] = value(v) } }
            return .object(fields)
        case .sequence(let sequence):
            return .list(sequence.map(value))
        }
    }
}
