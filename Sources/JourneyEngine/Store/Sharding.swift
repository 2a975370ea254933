/// Customers are split into a fixed number of logical shards by a stable hash of their id. A single
/// SQLite node owns every shard; PostgreSQL nodes lease shards and fence their writes with the
/// lease epoch (see ``ShardLease``).
public enum CustomerShard {
    /// Enough shards that the count never has to change as nodes are added.
    public static let count = 1024

    /// The shard of a customer: FNV-1a over the UTF-8 bytes of the id, stable across processes,
    /// platforms and releases (unlike `Hasher`).
    public static func of(_ customerID: String, count: Int = CustomerShard.count) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in customerID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }
}

/// A node's right to write for one shard. Every commit carries the lease of its customer's shard,
/// and the store refuses it (``JourneyStoreError/fenced(shard:epoch:)``) unless the epoch is still
/// the shard's current one — so a paused or partitioned former owner can never commit.
public struct ShardLease: Sendable, Hashable, Codable {
    public var shard: Int
    /// Increases every time the shard changes owner.
    public var epoch: Int64
    public var owner: String
    /// When the lease lapses unless renewed (seconds since the Unix epoch).
    public var expiresAt: Double

    public init(shard: Int, epoch: Int64, owner: String, expiresAt: Double) {
        self.shard = shard
        self.epoch = epoch
        self.owner = owner
        self.expiresAt = expiresAt
    }
}

/// The shards one node may process. A single-node store grants all of them under one epoch.
public struct ShardOwnership: Sendable, Hashable {
    public var owner: String
    /// Shard → lease. Empty when the node owns nothing (yet).
    public var leases: [Int: ShardLease]
    /// `true` when this node owns every shard (the single-node stores).
    public var ownsAll: Bool

    public init(owner: String, leases: [Int: ShardLease], ownsAll: Bool) {
        self.owner = owner
        self.leases = leases
        self.ownsAll = ownsAll
    }

    public func owns(_ shard: Int) -> Bool { ownsAll || leases[shard] != nil }
    public func lease(for shard: Int) -> ShardLease? { leases[shard] }
}
