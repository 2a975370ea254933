import Foundation
import HeraldSQLite
import HeraldService
import Yams

/// Everything `herald serve` can be told: how the service runs (HeraldService's
/// ``ServiceConfiguration``), where its data lives and which store holds it. Read from a YAML or
/// JSON file (`--config`), then overridden by `HERALD_*` environment variables, then by
/// command-line flags. Every field has a default, so an empty file (or none) is valid.
struct ServeConfiguration: Sendable, Equatable {
    var service = ServiceConfiguration()
    /// The data directory: the SQLite database and its lock live here.
    var data: String = "data"
    var storage = StorageConfiguration()

    /// Command-line overrides (`nil`: not given).
    struct Overrides: Sendable {
        var host: String?
        var port: Int?
        var journeys: String?
        var data: String?
        var outbox: String?
        var durability: String?
    }

    /// Resolves the configuration: defaults ◂ file ◂ environment ◂ flags.
    static func resolve(file: String?, environment: [String: String], overrides: Overrides) throws -> ServeConfiguration {
        var configuration = try file.map { try load(file: $0) } ?? ServeConfiguration()
        try configuration.applyEnvironment(environment)
        if let host = overrides.host { configuration.service.host = host }
        if let port = overrides.port { configuration.service.port = port }
        if let journeys = overrides.journeys { configuration.service.journeys = journeys }
        if let data = overrides.data { configuration.data = data }
        if let outbox = overrides.outbox { configuration.service.delivery.outboxFolder = outbox }
        if let durability = overrides.durability {
            guard let value = SQLiteConfiguration.Durability(rawValue: durability) else {
                throw ServiceConfiguration.Invalid(description: "--durability \(durability): expected full or relaxed")
            }
            configuration.storage.durability = value
        }
        try configuration.validate()
        return configuration
    }

    /// The file's top-level keys that are not the service's.
    private struct Sections: Decodable {
        var data: String?
        var storage: StorageConfiguration?
    }

    /// Reads a YAML (or JSON) file; keys are snake_case (`api_keys`, `max_body_bytes`).
    static func load(file: String) throws -> ServeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ServiceConfiguration.Invalid(description: "cannot read configuration file \(file): \(OpenedStore.reason(error))")
        }
        var configuration = ServeConfiguration()
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return configuration }
        do {
            configuration.service = try YAMLDecoder().decode(ServiceConfiguration.self, from: text)
            let sections = try YAMLDecoder().decode(Sections.self, from: text)
            configuration.data = sections.data ?? configuration.data
            configuration.storage = sections.storage ?? configuration.storage
        } catch let invalid as ServiceConfiguration.Invalid {
            throw ServiceConfiguration.Invalid(description: "\(file): \(invalid.description)")
        } catch {
            throw ServiceConfiguration.Invalid(description: "\(file): \(Self.describe(error))")
        }
        return configuration
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                // Yams wraps what it could not parse, and what a section refused, in `underlyingError`.
                if let underlying = context.underlyingError {
                    if let invalid = underlying as? ServiceConfiguration.Invalid { return invalid.description }
                    return "not valid YAML: " + "\(underlying)".split(separator: "\n").joined(separator: " ")
                }
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return "\(path.isEmpty ? "" : path + ": ")\(context.debugDescription)"
            case .keyNotFound(let key, _):
                return "missing key \(key.stringValue)"
            @unknown default:
                return "\(error)"
            }
        }
        return "\(error)"
    }

    /// Applies `HERALD_*` environment variables.
    mutating func applyEnvironment(_ environment: [String: String]) throws {
        try service.applyEnvironment(environment)
        if let data = environment["HERALD_DATA"] { self.data = data }
        try storage.applyEnvironment(environment)
    }

    /// Checks values that would fail later in a less helpful way.
    func validate() throws {
        try service.validate()
        try storage.validate()
    }
}
