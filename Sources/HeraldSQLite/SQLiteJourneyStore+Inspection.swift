import Foundation
import GRDB
public import JourneyEngine
public import JourneyLanguage

extension SQLiteJourneyStore {
    // MARK: Inspection

    public func outbox(customerID: String, limit: Int) async throws -> [OutboxStatus] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT message, status, attempts, next_attempt_at, last_error FROM outbox
                    WHERE customer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?
                    """, arguments: [customerID, limit])
            return try rows.map { row in
                let status: Int = row["status"]
                let state: OutboxStatus.State = status == 0 ? .pending : status == 1 ? .delivered : .dead
                return OutboxStatus(
                    message: try StoreColumnCoding.decode(OutboxMessage.self, from: row["message"] as Data), state: state,
                    attempts: row["attempts"], nextAttemptAt: state == .pending ? row["next_attempt_at"] : nil,
                    lastError: row["last_error"])
            }
        }
    }

    public func customerLog(customerID: String, limit: Int) async throws -> [CustomerLogEntry] {
        let blobs = try await pool.read { db in
            try Data.fetchAll(
                db, sql: "SELECT entry FROM customer_log WHERE customer_id = ? ORDER BY seq DESC LIMIT ?",
                arguments: [customerID, limit])
        }
        return try blobs.map { try StoreColumnCoding.decode(CustomerLogEntry.self, from: $0) }
    }

    public func deadLetters(before: Int64?, limit: Int) async throws -> [DeadLetter] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, message, attempts, reason, at, retried_at FROM dead_letters
                    WHERE seq < ? ORDER BY seq DESC LIMIT ?
                    """, arguments: [before ?? Int64.max, limit])
            return try rows.map(Self.deadLetter)
        }
    }

    private static func deadLetter(_ row: Row) throws -> DeadLetter {
        DeadLetter(
            sequence: row["seq"], message: try StoreColumnCoding.decode(OutboxMessage.self, from: row["message"] as Data),
            attempts: row["attempts"], reason: row["reason"], at: row["at"], retriedAt: row["retried_at"])
    }

    private static func loadDeadLetter(_ sequence: Int64, _ db: Database) throws -> DeadLetter? {
        try Row.fetchOne(
            db, sql: "SELECT seq, message, attempts, reason, at, retried_at FROM dead_letters WHERE seq = ?", arguments: [sequence]
        ).map(deadLetter)
    }

    private static func log(_ entry: CustomerLogEntry, customerID: String, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO customer_log (customer_id, at, entry) VALUES (?, ?, ?)",
            arguments: [customerID, entry.at, try StoreColumnCoding.encode(entry)])
    }

    public func retryDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution {
        try await writer.write { db -> DeadLetterResolution in
            guard var letter = try Self.loadDeadLetter(sequence, db) else { return .unknown }
            if let at = letter.retriedAt { return .alreadyRetried(at: at) }
            try db.execute(
                sql: """
                    UPDATE outbox SET status = 0, next_attempt_at = ?, attempts = 0, lease_until = NULL, finished_at = NULL
                    WHERE id = ? AND status = 2
                    """, arguments: [now, letter.message.id])
            guard db.changesCount == 1 else { return .messageGone }
            try db.execute(sql: "UPDATE dead_letters SET retried_at = ? WHERE seq = ?", arguments: [now, sequence])
            letter.retriedAt = now
            try Self.log(letter.logEntry("retried", at: now), customerID: letter.message.customerID, db)
            return .done(letter)
        }
    }

    public func discardDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution {
        try await writer.write { db -> DeadLetterResolution in
            guard let letter = try Self.loadDeadLetter(sequence, db) else { return .unknown }
            try db.execute(sql: "DELETE FROM dead_letters WHERE seq = ?", arguments: [sequence])
            try Self.log(letter.logEntry("discarded", at: now), customerID: letter.message.customerID, db)
            return .done(letter)
        }
    }

    public func statistics(now: Double) async throws -> StoreStatistics {
        try await pool.read { db in
            var s = StoreStatistics()
            s.customers = try Int.fetchOne(db, sql: "SELECT count(*) FROM customers") ?? 0
            s.pendingInbox =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox INDEXED BY inbox_pending WHERE processed_at IS NULL") ?? 0
            s.pendingOutbox =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox INDEXED BY outbox_due WHERE status = 0") ?? 0
            s.deadLetters = try Int.fetchOne(db, sql: "SELECT count(*) FROM dead_letters") ?? 0
            s.timersPending =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM customers INDEXED BY customers_wake WHERE next_wake_at IS NOT NULL") ?? 0
            s.timersDue =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM customers INDEXED BY customers_wake WHERE next_wake_at IS NOT NULL AND next_wake_at <= ?",
                    arguments: [now]) ?? 0
            return s
        }
    }

    // MARK: Journeys

    public func saveJourneyVersions(_ programs: [JourneyProgram], deployedAt: Double) async throws {
        let encoded = try programs.map { ($0.name, $0.version, try StoreColumnCoding.encode($0)) }
        try await writer.write { db in
            for (name, version, data) in encoded {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO journey_versions (name, version, program, deployed_at) VALUES (?, ?, ?, ?)
                        """, arguments: [name, version, data, deployedAt])
            }
        }
    }

    public func journeyVersions() async throws -> [JourneyProgram] {
        let blobs = try await pool.read { db in
            try Data.fetchAll(db, sql: "SELECT program FROM journey_versions ORDER BY name, deployed_at, version")
        }
        return try blobs.map { try StoreColumnCoding.decode(JourneyProgram.self, from: $0) }
    }

    public func setJourneyPaused(_ name: String, paused: Bool) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO journey_controls (name, paused) VALUES (?, ?)
                    ON CONFLICT (name) DO UPDATE SET paused = excluded.paused
                    """, arguments: [name, paused])
        }
    }

    public func pausedJourneys() async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM journey_controls WHERE paused = 1"))
        }
    }

    public func recordSplitWinner(_ winner: SplitWinner) async throws -> SplitWinner {
        try await writer.write { db -> SplitWinner in
            try db.execute(
                sql: """
                    INSERT INTO split_winners (journey, split, variant, since, evidence) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (journey, split) DO NOTHING
                    """, arguments: [winner.journey, winner.split, winner.variant, winner.since, winner.evidence])
            let row = try Row.fetchOne(
                db, sql: "SELECT journey, split, variant, since, evidence FROM split_winners WHERE journey = ? AND split = ?",
                arguments: [winner.journey, winner.split])
            return row.map(Self.splitWinner) ?? winner
        }
    }

    public func splitWinners() async throws -> [SplitWinner] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT journey, split, variant, since, evidence FROM split_winners ORDER BY journey, split")
                .map(Self.splitWinner)
        }
    }

    private static func splitWinner(_ row: Row) -> SplitWinner {
        SplitWinner(journey: row["journey"], split: row["split"], variant: row["variant"], since: row["since"], evidence: row["evidence"])
    }

    public func journeyCounters() async throws -> [JourneyCounter: Int64] {
        try await pool.read { db in
            var result: [JourneyCounter: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT journey, version, step, metric, count FROM journey_counters") {
                let counter = JourneyCounter(
                    journey: row["journey"], version: row["version"], step: row["step"], metric: row["metric"])
                result[counter] = row["count"]
            }
            return result
        }
    }

    // MARK: Retention

    /// Deletes, in chunks of at most `chunk` rows per transaction so ingestion never waits long:
    /// processed inbox rows older than the event retention, delivered outbox rows and dead letters
    /// past theirs, and customer log lines past their age or beyond the per-customer limit.
    public func prune(_ retention: RetentionPolicy, now: Double) async throws -> PruneReport {
        var report = PruneReport()
        let chunk = 5_000
        // Inbox rows are accepted in sequence order, so old ones form a prefix of the sequence.
        let eventCutoff = now - retention.processedEvents
        let boundary = try await pool.read { db -> Int64 in
            // Scans only the old prefix: the first row young enough to keep ends it.
            if let seq = try Int64.fetchOne(
                db, sql: "SELECT seq FROM inbox WHERE accepted_at >= ? ORDER BY seq LIMIT 1", arguments: [eventCutoff])
            {
                return seq
            }
            return (try Int64.fetchOne(db, sql: "SELECT max(seq) FROM inbox") ?? 0) + 1
        }
        while true {
            let deleted = try await writer.write { db -> Int in
                try db.execute(
                    sql: """
                        DELETE FROM inbox WHERE seq IN (
                            SELECT seq FROM inbox WHERE seq < ? AND processed_at IS NOT NULL ORDER BY seq LIMIT ?)
                        """, arguments: [boundary, chunk])
                return db.changesCount
            }
            report.events += deleted
            if deleted < chunk { break }
        }
        let messageCutoff = now - retention.deliveredMessages
        while true {
            let deleted = try await writer.write { db -> Int in
                try db.execute(
                    sql: """
                        DELETE FROM outbox WHERE id IN (
                            SELECT id FROM outbox INDEXED BY outbox_finished WHERE status = 1 AND finished_at < ? LIMIT ?)
                        """, arguments: [messageCutoff, chunk])
                return db.changesCount
            }
            report.messages += deleted
            if deleted < chunk { break }
        }
        let inputCutoff = now - retention.inputs
        while true {
            let deleted = try await writer.write { db -> Int in
                try db.execute(
                    sql: """
                        DELETE FROM input_log WHERE seq IN (
                            SELECT seq FROM input_log INDEXED BY input_log_accepted WHERE accepted_at < ? LIMIT ?)
                        """, arguments: [inputCutoff, chunk])
                return db.changesCount
            }
            report.inputs += deleted
            if deleted < chunk { break }
        }
        report.deadLetters = try await writer.write { db -> Int in
            try db.execute(sql: "DELETE FROM dead_letters WHERE at < ?", arguments: [now - retention.deadLetters])
            return db.changesCount
        }
        report.logEntries = try await writer.write { db -> Int in
            try db.execute(sql: "DELETE FROM customer_log WHERE at < ?", arguments: [now - retention.customerLog])
            var count = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM customer_log WHERE seq IN (
                        SELECT seq FROM (
                            SELECT seq, row_number() OVER (PARTITION BY customer_id ORDER BY seq DESC) AS n FROM customer_log)
                        WHERE n > ?)
                    """, arguments: [retention.customerLogLimit])
            count += db.changesCount
            return count
        }
        return report
    }
}
