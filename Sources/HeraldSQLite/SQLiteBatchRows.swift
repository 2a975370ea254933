import GRDB
import JourneyEngine

/// The outbox, processed-inbox and customer-log rows of a whole commit batch, written with
/// multi-row statements instead of one statement per row: a batch of 256 customers costs a few
/// dozen statement executions instead of about three per customer.
///
/// The rows and their order are those of the per-commit writes: outbox rows are inserted in commit
/// order with `OR IGNORE` (a message id already present, or repeated later in the batch, is left
/// alone), log rows in commit order (their `seq` keeps each customer's order), and inbox rows are
/// marked processed in runs of commits with the same `at`, first run first (a row is only marked
/// once: `processed_at IS NULL`).
///
/// Each statement holds a power-of-two number of rows (64 down to 1), so at most seven statements
/// per table are prepared once and stay in the connection's statement cache.
struct SQLiteBatchRows {
    private var outbox: [DatabaseValue] = []
    private var outboxRows = 0
    private var log: [DatabaseValue] = []
    private var logRows = 0
    /// Runs of inbox sequences processed at the same instant, in commit order.
    private var processed: [(at: Double, sequences: [DatabaseValue])] = []

    init(_ prepared: [EncodedCommit]) {
        for encoded in prepared {
            let commit = encoded.commit
            let at = commit.at.databaseValue
            for (message, data) in encoded.outbox {
                outbox += [
                    message.id.databaseValue, message.customerID.databaseValue, CustomerShard.of(message.customerID).databaseValue,
                    data.databaseValue, message.at.databaseValue, at,
                ]
                outboxRows += 1
            }
            if !commit.processed.isEmpty {
                if processed.last?.at != commit.at { processed.append((commit.at, [])) }
                processed[processed.count - 1].sequences += commit.processed.map(\.databaseValue)
            }
            if commit.change != .erase {
                let customer = commit.customerID.databaseValue
                for (entry, data) in zip(commit.log, encoded.log) {
                    log += [customer, entry.at.databaseValue, data.databaseValue]
                    logRows += 1
                }
            }
        }
    }

    func write(_ db: Database) throws {
        try Self.insert(outbox, rows: outboxRows, columns: 6, sql: Self.outboxSQL, db: db)
        for run in processed {
            try Self.forChunks(of: run.sequences.count) { start, size in
                let statement = try db.cachedStatement(sql: Self.inboxSQL[size]!)
                statement.setUncheckedArguments(
                    StatementArguments([run.at.databaseValue] + run.sequences[start..<start + size]))
                try statement.execute()
            }
        }
        try Self.insert(log, rows: logRows, columns: 3, sql: Self.logSQL, db: db)
    }

    private static func insert(_ values: [DatabaseValue], rows: Int, columns: Int, sql: [Int: String], db: Database) throws {
        try forChunks(of: rows) { start, size in
            let statement = try db.cachedStatement(sql: sql[size]!)
            statement.setUncheckedArguments(StatementArguments(values[start * columns..<(start + size) * columns]))
            try statement.execute()
        }
    }

    /// The statement sizes, largest first.
    static let chunkSizes = [64, 32, 16, 8, 4, 2, 1]

    /// Calls `body(start, size)` for consecutive chunks covering `0..<count`, each of a size in
    /// ``chunkSizes``.
    static func forChunks(of count: Int, _ body: (Int, Int) throws -> Void) rethrows {
        var start = 0
        for size in chunkSizes {
            while count - start >= size {
                try body(start, size)
                start += size
            }
        }
    }

    private static func sqlBySize(_ make: (Int) -> String) -> [Int: String] {
        Dictionary(uniqueKeysWithValues: chunkSizes.map { ($0, make($0)) })
    }

    private static func tuples(_ rows: Int, _ columns: Int) -> String {
        let tuple = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: tuple, count: rows).joined(separator: ", ")
    }

    static let outboxSQL = sqlBySize {
        "INSERT OR IGNORE INTO outbox (id, customer_id, shard, message, next_attempt_at, created_at) VALUES " + tuples($0, 6)
    }

    static let logSQL = sqlBySize { "INSERT INTO customer_log (customer_id, at, entry) VALUES " + tuples($0, 3) }

    static let inboxSQL = sqlBySize {
        "UPDATE inbox SET processed_at = ?, payload = NULL WHERE seq IN (" + Array(repeating: "?", count: $0).joined(separator: ", ")
            + ") AND processed_at IS NULL"
    }
}
