import Foundation
public import HeraldPostgres

extension ServiceConfiguration {
    /// Where the orchestrator keeps its state.
    public enum StorageBackend: String, Sendable, Codable, Equatable, CaseIterable {
        /// One SQLite file in the data directory: a single node (the default).
        case sqlite
        /// A PostgreSQL database shared by several nodes (see docs/operations.md).
        case postgres
    }

    /// `storage.postgres`: the shared database and the shard leases.
    public struct PostgresStorage: Sendable, Codable, Equatable {
        /// `postgres://user@host:5432/database[?sslmode=require]`. Keep the password out of the
        /// file: it is read from `HERALD_POSTGRES_PASSWORD` or `PGPASSWORD` when the URL has none.
        /// `HERALD_POSTGRES_URL` overrides it.
        public var url: String?
        /// How long a node's shard leases last without renewal: how long the shards of a node that
        /// died stay unprocessed before the others take them over.
        public var leaseSeconds: Double = 15
        /// How often leases are renewed and shards rebalanced (default: a third of the lease).
        public var renewSeconds: Double?
        /// Connections in this node's pool.
        public var maxConnections: Int = 16

        public init() {}

        enum CodingKeys: String, CodingKey {
            case url
            case leaseSeconds = "lease_seconds"
            case renewSeconds = "renew_seconds"
            case maxConnections = "max_connections"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            url = try c.decodeIfPresent(String.self, forKey: .url)
            leaseSeconds = try c.decodeIfPresent(Double.self, forKey: .leaseSeconds) ?? leaseSeconds
            renewSeconds = try c.decodeIfPresent(Double.self, forKey: .renewSeconds)
            maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? maxConnections
        }

        /// The connection settings, with the password from the environment when the URL has none.
        public func connection(environment: [String: String]) throws -> PostgresConfiguration {
            guard let url, !url.isEmpty else {
                throw Invalid(description: "storage.backend is postgres but no URL is set (storage.postgres.url or HERALD_POSTGRES_URL)")
            }
            let password = environment["HERALD_POSTGRES_PASSWORD"] ?? environment["PGPASSWORD"]
            var configuration: PostgresConfiguration
            do {
                configuration = try PostgresConfiguration(url: url, password: password)
            } catch let invalid as PostgresConfiguration.Invalid {
                throw Invalid(description: "storage.postgres.url: \(invalid.description)")
            }
            configuration.leaseSeconds = leaseSeconds
            configuration.renewSeconds = renewSeconds ?? leaseSeconds / 3
            configuration.maximumConnections = maxConnections
            return configuration
        }
    }

    /// Applies `HERALD_STORAGE` (`sqlite` or `postgres`) and `HERALD_POSTGRES_URL`,
    /// `HERALD_POSTGRES_LEASE_SECONDS`, `HERALD_POSTGRES_RENEW_SECONDS`.
    mutating func applyStorageEnvironment(_ environment: [String: String]) throws {
        if let backend = environment["HERALD_STORAGE"] {
            guard let value = StorageBackend(rawValue: backend) else {
                throw Invalid(description: "HERALD_STORAGE=\(backend): expected sqlite or postgres")
            }
            storage.backend = value
        }
        if let url = environment["HERALD_POSTGRES_URL"] { storage.postgres.url = url }
        func seconds(_ key: String) throws -> Double? {
            guard let text = environment[key] else { return nil }
            guard let value = Double(text), value > 0 else { throw Invalid(description: "\(key)=\(text) is not a positive number") }
            return value
        }
        if let lease = try seconds("HERALD_POSTGRES_LEASE_SECONDS") { storage.postgres.leaseSeconds = lease }
        if let renew = try seconds("HERALD_POSTGRES_RENEW_SECONDS") { storage.postgres.renewSeconds = renew }
    }

    /// Checks the storage settings.
    func validateStorage() throws {
        guard storage.backend == .postgres else { return }
        let lease = storage.postgres.leaseSeconds
        let renew = storage.postgres.renewSeconds ?? lease / 3
        guard lease >= 1, renew > 0, renew <= lease / 2 else {
            throw Invalid(
                description:
                    "storage.postgres: lease_seconds must be at least 1 and renew_seconds at most half of it (got \(lease) and \(renew))"
            )
        }
    }
}
