import Foundation
import HeraldPostgres
import JourneyEngine
import Logging

/// The store `herald serve` runs on, chosen by `storage.backend`, and what scale-out needs.
struct OpenedStore: Sendable {
    var store: any JourneyStore
    /// How long the first lease lasts: for ever on a single node, the configured lease on PostgreSQL.
    var leaseDuration: Double
    /// Set on PostgreSQL: leases are renewed and shards rebalance while the node runs.
    var cluster: Cluster?

    struct Cluster: Sendable {
        var renewInterval: Double
        var release: @Sendable (String) async throws -> Void
    }

    /// Opens the configured store (or adopts `given`, as tests do).
    static func open(
        _ configuration: ServiceConfiguration, given: (any JourneyStore)?, environment: [String: String], logger: Logger
    ) async throws -> OpenedStore {
        if let given {
            if let postgres = given as? PostgresJourneyStore { return clustered(postgres) }
            return OpenedStore(store: given, leaseDuration: 86_400 * 365, cluster: nil)
        }
        switch configuration.storage.backend {
        case .sqlite:
            return OpenedStore(store: try HeraldServer.openSQLite(configuration), leaseDuration: 86_400 * 365, cluster: nil)
        case .postgres:
            let connection = try configuration.storage.postgres.connection(environment: environment)
            let store = try await PostgresJourneyStore.open(connection, logger: logger)
            logger.notice(
                "storage: PostgreSQL",
                metadata: [
                    "database": "\(connection.host):\(connection.port)/\(connection.database)",
                    "lease_seconds": "\(connection.leaseSeconds)", "renew_seconds": "\(connection.renewSeconds)",
                ])
            return clustered(store)
        }
    }

    private static func clustered(_ store: PostgresJourneyStore) -> OpenedStore {
        OpenedStore(
            store: store, leaseDuration: store.configuration.leaseSeconds,
            cluster: Cluster(
                renewInterval: store.configuration.renewSeconds,
                release: { owner in try await store.releaseShards(owner: owner) }))
    }
}
