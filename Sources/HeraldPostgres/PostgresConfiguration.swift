import Foundation
import NIOSSL
import PostgresNIO

/// How a node connects to PostgreSQL and how it leases shards.
///
/// ```swift
/// var configuration = try PostgresConfiguration(url: "postgres://herald@db.internal:5432/herald")
/// configuration.leaseSeconds = 10
/// let store = try await PostgresJourneyStore.open(configuration, logger: logger)
/// ```
public struct PostgresConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `disable` (default on loopback), `require` (TLS, certificate verified), `prefer` is treated as `require`
    /// when the host is not a loopback address.
    public var tls: TLSMode
    /// Connections in this node's pool.
    public var maximumConnections: Int

    /// How long a shard lease lasts without renewal. A node that stops renewing (crashed, paused,
    /// partitioned) loses its shards this long after its last renewal.
    public var leaseSeconds: Double
    /// How often the node renews its leases and rebalances (a third of the lease by default, so two
    /// renewals can fail before the lease lapses).
    public var renewSeconds: Double
    /// How long a session may sit idle inside a transaction before PostgreSQL ends it, and how long
    /// a statement waits for a lock: a node frozen mid-transaction (a GC pause, SIGSTOP, a VM
    /// migration, a stuck disk) is cut off this soon and the locks it held go to the others.
    /// `nil` (the default) means a third of the lease, at least 1 and at most 5 seconds.
    public var idleTransactionSeconds: Double?
    /// The longest any statement may run before PostgreSQL cancels it.
    public var statementSeconds: Double = 30
    /// How long a request waits for a database connection before the store answers
    /// ``JourneyStoreError/unavailable(_:)`` (the API's 503 `store_unavailable`): while PostgreSQL
    /// is down, a client hears so within this bound instead of waiting for the pool.
    public var connectionWaitSeconds: Double = 5

    /// The bound on idle time inside a transaction and on lock waits (see ``idleTransactionSeconds``).
    public var transactionBound: Double { idleTransactionSeconds ?? min(5, max(1, leaseSeconds / 3)) }

    public enum TLSMode: String, Sendable, Hashable {
        case disable, require
    }

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        tls: TLSMode = .disable, maximumConnections: Int = 16, leaseSeconds: Double = 15, renewSeconds: Double? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.maximumConnections = maximumConnections
        self.leaseSeconds = leaseSeconds
        self.renewSeconds = renewSeconds ?? leaseSeconds / 3
    }

    /// A problem with the connection settings, said plainly.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses `postgres://user[:password]@host[:port]/database[?sslmode=require]`. A password missing
    /// from the URL is taken from `password` (e.g. the `PGPASSWORD` environment variable), so the
    /// URL in a configuration file need not hold a secret.
    public init(url: String, password fallbackPassword: String? = nil) throws {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw Invalid(description: "\(Self.redacted(url)) is not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw Invalid(description: "\(Self.redacted(url)) names no host")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else { throw Invalid(description: "\(Self.redacted(url)) names no database") }
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: TLSMode
        switch sslmode {
        case "disable", "allow", "prefer": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require
        default: throw Invalid(description: "sslmode=\(sslmode): expected disable or require")
        }
        self.init(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password?.removingPercentEncoding ?? fallbackPassword,
            database: database.removingPercentEncoding ?? database, tls: tls)
    }

    /// The URL with any password replaced, for logs and errors.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unparseable URL)"
    }

    /// The pool for requests and processing: every session bounded (see ``transactionBound``).
    var clientConfiguration: PostgresClient.Configuration {
        clientConfiguration(connections: maximumConnections, statementSeconds: statementSeconds)
    }

    /// The lease keeper's own small pool, never behind request traffic: its statements are cut
    /// off after a renewal interval, so a renewal that cannot finish in time fails instead of
    /// waiting while the lease runs out.
    var leaseClientConfiguration: PostgresClient.Configuration {
        var configuration = clientConfiguration(connections: 2, statementSeconds: max(0.5, renewSeconds))
        configuration.options.connectTimeout = .milliseconds(Int64(max(1, renewSeconds) * 1000))
        return configuration
    }

    private func clientConfiguration(connections: Int, statementSeconds: Double) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: tls == .require ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.maximumConnections = connections
        configuration.options.minimumConnections = 0
        configuration.options.additionalStartupParameters = sessionParameters(statementSeconds: statementSeconds)
        return configuration
    }

    /// The settings every session of a node starts with, in milliseconds: `statement_timeout`,
    /// `lock_timeout` and `idle_in_transaction_session_timeout` (see ``transactionBound``).
    public func sessionParameters(statementSeconds: Double? = nil) -> [(String, String)] {
        let statement = statementSeconds ?? self.statementSeconds
        func milliseconds(_ seconds: Double) -> String { "\(max(1, Int((seconds * 1000).rounded())))" }
        return [
            ("statement_timeout", milliseconds(statement)),
            ("lock_timeout", milliseconds(min(transactionBound, statement))),
            ("idle_in_transaction_session_timeout", milliseconds(transactionBound)),
        ]
    }
}
