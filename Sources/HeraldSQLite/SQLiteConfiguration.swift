/// How the SQLite store opens its database.
public struct SQLiteConfiguration: Sendable, Hashable {
    /// How commits reach the disk.
    public enum Durability: String, Sendable, Hashable, Codable, CaseIterable {
        /// `synchronous = FULL` in WAL mode: every commit is fsynced before it returns, so an
        /// acknowledged event survives a crash of the process *and* of the machine. The default;
        /// group commit keeps it fast by sharing one fsync among many concurrent transactions.
        case full
        /// `synchronous = NORMAL` in WAL mode: commits survive a crash of the process but the last
        /// ones may be lost if the machine loses power. An explicit opt-in for throughput.
        case relaxed
    }

    /// The database file (its directory must exist).
    public var path: String
    public var durability: Durability
    /// The most transactions the writer folds into one commit.
    public var maxGroupSize: Int

    public init(path: String, durability: Durability = .full, maxGroupSize: Int = 256) {
        self.path = path
        self.durability = durability
        self.maxGroupSize = maxGroupSize
    }
}
