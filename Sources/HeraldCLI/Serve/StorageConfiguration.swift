import Foundation
import HeraldPostgres
import HeraldSQLite
import HeraldService

/// The configuration file's `storage:` section: which store `herald serve` opens and how. Only the
/// composition root reads it, so a new store is added here and in `StoreOpening.swift`, never in
/// HeraldService.
struct StorageConfiguration: Sendable, Decodable, Equatable {
    /// `sqlite` (default) or `postgres` (several nodes on one database; see docs/operations.md).
    var backend: Backend = .sqlite
    /// SQLite: `full` (default): WAL + synchronous=FULL + group commit. `relaxed`: synchronous=NORMAL —
    /// survives a process crash, may lose the last commits on power loss.
    var durability: SQLiteConfiguration.Durability = .full
    /// SQLite: the most commits one group commit writes.
    var maxGroupSize: Int = 256
    var postgres = PostgresStorage()

    init() {}

    /// Where the orchestrator keeps its state.
    enum Backend: String, Sendable, Codable, Equatable, CaseIterable {
        /// One SQLite file in the data directory: a single node (the default).
        case sqlite
        /// A PostgreSQL database shared by several nodes (see docs/operations.md).
        case postgres
    }

    /// `storage.postgres`: the shared database and the shard leases.
    struct PostgresStorage: Sendable, Codable, Equatable {
        /// `postgres://user@host:5432/database[?sslmode=require]`. Keep the password out of the
        /// file: it is read from `HERALD_POSTGRES_PASSWORD` or `PGPASSWORD` when the URL has none.
        /// `HERALD_POSTGRES_URL` overrides it.
        var url: String?
        /// How long a node's shard leases last without renewal: how long the shards of a node that
        /// died stay unprocessed before the others take them over.
        var leaseSeconds: Double = 15
        /// How often leases are renewed and shards rebalanced (default: a third of the lease).
        var renewSeconds: Double?
        /// Connections in this node's pool.
        var maxConnections: Int = 16
        /// How long an API write waits for a database connection before it answers 503
        /// `store_unavailable` (PostgreSQL down or unreachable, or the pool exhausted).
        var connectionWaitSeconds: Double = 5

        init() {}

        enum CodingKeys: String, CodingKey {
            case url
            case leaseSeconds = "lease_seconds"
            case renewSeconds = "renew_seconds"
            case maxConnections = "max_connections"
            case connectionWaitSeconds = "connection_wait_seconds"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            url = try c.decodeIfPresent(String.self, forKey: .url)
            leaseSeconds = try c.decodeIfPresent(Double.self, forKey: .leaseSeconds) ?? leaseSeconds
            renewSeconds = try c.decodeIfPresent(Double.self, forKey: .renewSeconds)
            maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? maxConnections
            connectionWaitSeconds = try c.decodeIfPresent(Double.self, forKey: .connectionWaitSeconds) ?? connectionWaitSeconds
            guard connectionWaitSeconds > 0 else {
                throw ServiceConfiguration.Invalid(
                    description: "storage.postgres.connection_wait_seconds: \(connectionWaitSeconds) is not a wait; give a number of seconds above 0")
            }
        }

        /// The connection settings, with the password from the environment when the URL has none.
        func connection(environment: [String: String]) throws -> PostgresConfiguration {
            guard let url, !url.isEmpty else {
                throw ServiceConfiguration.Invalid(
                    description: "storage.backend is postgres but no URL is set (storage.postgres.url or HERALD_POSTGRES_URL)")
            }
            let password = environment["HERALD_POSTGRES_PASSWORD"] ?? environment["PGPASSWORD"]
            var configuration: PostgresConfiguration
            do {
                configuration = try PostgresConfiguration(url: url, password: password)
            } catch let invalid as PostgresConfiguration.Invalid {
                throw ServiceConfiguration.Invalid(description: "storage.postgres.url: \(invalid.description)")
            }
            configuration.leaseSeconds = leaseSeconds
            configuration.renewSeconds = renewSeconds ?? leaseSeconds / 3
            configuration.maximumConnections = maxConnections
            configuration.connectionWaitSeconds = connectionWaitSeconds
            return configuration
        }
    }

    enum CodingKeys: String, CodingKey {
        case durability, backend, postgres
        case maxGroupSize = "max_group_size"
    }

    init(from decoder: any Decoder) throws {
        // `storage: postgres` names the backend alone.
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let backend = Backend(rawValue: name) else {
                throw ServiceConfiguration.Invalid(description: "storage: \(name): expected sqlite or postgres")
            }
            self.backend = backend
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        backend = try c.decodeIfPresent(Backend.self, forKey: .backend) ?? backend
        postgres = try c.decodeIfPresent(PostgresStorage.self, forKey: .postgres) ?? postgres
        durability = try c.decodeIfPresent(SQLiteConfiguration.Durability.self, forKey: .durability) ?? durability
        maxGroupSize = try c.decodeIfPresent(Int.self, forKey: .maxGroupSize) ?? maxGroupSize
    }

    /// Applies `HERALD_STORAGE` (`sqlite` or `postgres`), `HERALD_DURABILITY`, and
    /// `HERALD_POSTGRES_URL`, `HERALD_POSTGRES_LEASE_SECONDS`, `HERALD_POSTGRES_RENEW_SECONDS`.
    mutating func applyEnvironment(_ environment: [String: String]) throws {
        typealias Invalid = ServiceConfiguration.Invalid
        if let durability = environment["HERALD_DURABILITY"] {
            guard let value = SQLiteConfiguration.Durability(rawValue: durability) else {
                throw Invalid(description: "HERALD_DURABILITY=\(durability): expected full or relaxed")
            }
            self.durability = value
        }
        if let backend = environment["HERALD_STORAGE"] {
            guard let value = Backend(rawValue: backend) else {
                throw Invalid(description: "HERALD_STORAGE=\(backend): expected sqlite or postgres")
            }
            self.backend = value
        }
        if let url = environment["HERALD_POSTGRES_URL"] { postgres.url = url }
        func seconds(_ key: String) throws -> Double? {
            guard let text = environment[key] else { return nil }
            guard let value = Double(text), value > 0 else { throw Invalid(description: "\(key)=\(text) is not a positive number") }
            return value
        }
        if let lease = try seconds("HERALD_POSTGRES_LEASE_SECONDS") { postgres.leaseSeconds = lease }
        if let renew = try seconds("HERALD_POSTGRES_RENEW_SECONDS") { postgres.renewSeconds = renew }
    }

    /// Checks the storage settings.
    func validate() throws {
        guard backend == .postgres else { return }
        let lease = postgres.leaseSeconds
        let renew = postgres.renewSeconds ?? lease / 3
        guard lease >= 1, renew > 0, renew <= lease / 2 else {
            throw ServiceConfiguration.Invalid(
                description:
                    "storage.postgres: lease_seconds must be at least 1 and renew_seconds at most half of it (got \(lease) and \(renew))"
            )
        }
    }
}
