package import Foundation

/// A ``CustomerCommit`` with its columns already encoded (the aggregate in the binary
/// ``CustomerStateCoding``, outbox messages and log entries in ``StoreColumnCoding``), so that a
/// durable store does the encoding outside its write transaction. Shared by the stores of the
/// package (SQLite, PostgreSQL); not public API.
package struct EncodedCommit: Sendable {
    package var commit: CustomerCommit
    /// The encoded aggregate when the commit saves one.
    package var state: Data?
    package var outbox: [(message: OutboxMessage, data: Data)]
    package var log: [Data]

    package init(_ commit: CustomerCommit) throws {
        self.commit = commit
        if case .save(let state, _) = commit.change { self.state = Data(CustomerStateCoding.encode(state)) }
        outbox = try commit.outbox.map { ($0, try StoreColumnCoding.encode($0)) }
        log = try commit.log.map { try StoreColumnCoding.encode($0) }
    }
}
