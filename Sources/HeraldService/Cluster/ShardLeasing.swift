/// How this node holds its shards, as the store it runs on allows: a single-node store leases
/// every shard for ever; a shared one (PostgreSQL) leases them for a while, renews the leases and
/// gives them back at shutdown, so the nodes of a cluster rebalance.
public struct ShardLeasing: Sendable {
    /// How long the first lease lasts.
    public var leaseDuration: Double
    /// Set on a shared store: leases are renewed and shards rebalance while the node runs.
    public var renewal: Renewal?

    public struct Renewal: Sendable {
        /// How often leases are renewed and shards rebalanced.
        public var interval: Double
        /// Gives back every shard the owner holds (at shutdown).
        public var release: @Sendable (_ owner: String) async throws -> Void

        public init(interval: Double, release: @escaping @Sendable (_ owner: String) async throws -> Void) {
            self.interval = interval
            self.release = release
        }
    }

    public init(leaseDuration: Double, renewal: Renewal?) {
        self.leaseDuration = leaseDuration
        self.renewal = renewal
    }

    /// One node owns every shard for as long as it runs (SQLite, the in-memory store).
    public static let singleNode = ShardLeasing(leaseDuration: 86_400 * 365, renewal: nil)
}
