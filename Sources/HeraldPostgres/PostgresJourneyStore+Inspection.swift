import Foundation
public import JourneyEngine
public import JourneyLanguage
import Logging
import PostgresNIO
import Synchronization

extension PostgresJourneyStore {
    // MARK: Inspection

    public func outbox(customerID: String, limit: Int) async throws -> [OutboxStatus] {
        var result: [OutboxStatus] = []
        for try await (message, status, attempts, next, error) in try await client.query(
            """
            SELECT message, status, attempts, next_attempt_at, last_error FROM outbox
            WHERE customer_id = \(customerID) ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, logger: logger
        ).decode((Data, Int16, Int, Double, String?).self) {
            let state: OutboxStatus.State = status == 0 ? .pending : status == 1 ? .delivered : .dead
            result.append(
                OutboxStatus(
                    message: try StoreColumnCoding.decode(OutboxMessage.self, from: message), state: state, attempts: attempts,
                    nextAttemptAt: state == .pending ? next : nil, lastError: error))
        }
        return result
    }

    public func customerLog(customerID: String, limit: Int) async throws -> [CustomerLogEntry] {
        var result: [CustomerLogEntry] = []
        for try await entry in try await client.query(
            "SELECT entry FROM customer_log WHERE customer_id = \(customerID) ORDER BY seq DESC LIMIT \(limit)",
            logger: logger
        ).decode(Data.self) {
            result.append(try StoreColumnCoding.decode(CustomerLogEntry.self, from: entry))
        }
        return result
    }

    public func deadLetters(before: Int64?, limit: Int) async throws -> [DeadLetter] {
        var result: [DeadLetter] = []
        for try await (seq, message, attempts, reason, at, retried) in try await client.query(
            """
            SELECT seq, message, attempts, reason, at, retried_at FROM dead_letters
            WHERE seq < \(before ?? Int64.max) ORDER BY seq DESC LIMIT \(limit)
            """, logger: logger
        ).decode((Int64, Data, Int, String, Double, Double?).self) {
            result.append(try Self.deadLetter(seq, message, attempts, reason, at, retried))
        }
        return result
    }

    private static func deadLetter(
        _ seq: Int64, _ message: Data, _ attempts: Int, _ reason: String, _ at: Double, _ retried: Double?
    ) throws -> DeadLetter {
        DeadLetter(
            sequence: seq, message: try StoreColumnCoding.decode(OutboxMessage.self, from: message), attempts: attempts,
            reason: reason, at: at, retriedAt: retried)
    }

    /// The dead letter `sequence`, locked for the rest of the transaction.
    private func lockDeadLetter(_ sequence: Int64, _ connection: PostgresConnection) async throws -> DeadLetter? {
        for try await (seq, message, attempts, reason, at, retried) in try await connection.query(
            "SELECT seq, message, attempts, reason, at, retried_at FROM dead_letters WHERE seq = \(sequence) FOR UPDATE",
            logger: logger
        ).decode((Int64, Data, Int, String, Double, Double?).self) {
            return try Self.deadLetter(seq, message, attempts, reason, at, retried)
        }
        return nil
    }

    private func log(_ entry: CustomerLogEntry, customerID: String, _ connection: PostgresConnection) async throws {
        let data = try StoreColumnCoding.encode(entry)
        try await connection.query(
            "INSERT INTO customer_log (customer_id, at, entry) VALUES (\(customerID), \(entry.at), \(data))", logger: logger)
    }

    public func retryDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution {
        try await transaction { connection -> DeadLetterResolution in
            guard var letter = try await self.lockDeadLetter(sequence, connection) else { return .unknown }
            if let at = letter.retriedAt { return .alreadyRetried(at: at) }
            var moved = 0
            for try await _ in try await connection.query(
                """
                UPDATE outbox SET status = 0, next_attempt_at = \(now), attempts = 0, lease_until = NULL, claimed_by = NULL,
                finished_at = NULL WHERE id = \(letter.message.id) AND status = 2 RETURNING 1
                """, logger: self.logger
            ).decode(Int.self) { moved += 1 }
            guard moved == 1 else { return .messageGone }
            try await connection.query("UPDATE dead_letters SET retried_at = \(now) WHERE seq = \(sequence)", logger: self.logger)
            letter.retriedAt = now
            try await self.log(letter.logEntry("retried", at: now), customerID: letter.message.customerID, connection)
            return .done(letter)
        }
    }

    public func discardDeadLetter(_ sequence: Int64, now: Double) async throws -> DeadLetterResolution {
        try await transaction { connection -> DeadLetterResolution in
            guard let letter = try await self.lockDeadLetter(sequence, connection) else { return .unknown }
            try await connection.query("DELETE FROM dead_letters WHERE seq = \(sequence)", logger: self.logger)
            try await self.log(letter.logEntry("discarded", at: now), customerID: letter.message.customerID, connection)
            return .done(letter)
        }
    }

    public func statistics(now: Double) async throws -> StoreStatistics {
        var s = StoreStatistics()
        for try await (customers, inbox, outbox, dead, timers, due) in try await client.query(
            """
            SELECT (SELECT count(*) FROM customers),
                   (SELECT count(*) FROM inbox WHERE processed_at IS NULL),
                   (SELECT count(*) FROM outbox WHERE status = 0),
                   (SELECT count(*) FROM dead_letters),
                   (SELECT count(*) FROM customers WHERE next_wake_at IS NOT NULL),
                   (SELECT count(*) FROM customers WHERE next_wake_at IS NOT NULL AND next_wake_at <= \(now))
            """, logger: logger
        ).decode((Int, Int, Int, Int, Int, Int).self) {
            s.customers = customers
            s.pendingInbox = inbox
            s.pendingOutbox = outbox
            s.deadLetters = dead
            s.timersPending = timers
            s.timersDue = due
        }
        return s
    }

    // MARK: Journeys

    public func saveJourneyVersions(_ programs: [JourneyProgram], deployedAt: Double) async throws {
        let encoded = try programs.map { ($0.name, $0.version, try StoreColumnCoding.encode($0)) }
        try await transaction { [self] connection in
            for (name, version, data) in encoded {
                try await connection.query(
                    """
                    INSERT INTO journey_versions (name, version, program, deployed_at)
                    VALUES (\(name), \(version), \(data), \(deployedAt)) ON CONFLICT (name, version) DO NOTHING
                    """, logger: logger)
            }
        }
    }

    public func journeyVersions() async throws -> [JourneyProgram] {
        var result: [JourneyProgram] = []
        for try await program in try await client.query(
            "SELECT program FROM journey_versions ORDER BY name, deployed_at, version", logger: logger
        ).decode(Data.self) {
            result.append(try StoreColumnCoding.decode(JourneyProgram.self, from: program))
        }
        return result
    }

    public func setJourneyPaused(_ name: String, paused: Bool) async throws {
        try await client.query(
            """
            INSERT INTO journey_controls (name, paused) VALUES (\(name), \(paused))
            ON CONFLICT (name) DO UPDATE SET paused = excluded.paused
            """, logger: logger)
    }

    public func pausedJourneys() async throws -> Set<String> {
        var result: Set<String> = []
        for try await name in try await client.query("SELECT name FROM journey_controls WHERE paused", logger: logger)
            .decode(String.self)
        {
            result.insert(name)
        }
        return result
    }

    public func recordSplitWinner(_ winner: SplitWinner) async throws -> SplitWinner {
        try await client.query(
            """
            INSERT INTO split_winners (journey, split, variant, since, evidence)
            VALUES (\(winner.journey), \(winner.split), \(winner.variant), \(winner.since), \(winner.evidence))
            ON CONFLICT (journey, split) DO NOTHING
            """, logger: logger)
        for try await (journey, split, variant, since, evidence) in try await client.query(
            """
            SELECT journey, split, variant, since, evidence FROM split_winners WHERE journey = \(winner.journey) AND split = \(winner.split)
            """, logger: logger
        ).decode((String, String, String, Double, String).self) {
            return SplitWinner(journey: journey, split: split, variant: variant, since: since, evidence: evidence)
        }
        return winner
    }

    public func splitWinners() async throws -> [SplitWinner] {
        var result: [SplitWinner] = []
        for try await (journey, split, variant, since, evidence) in try await client.query(
            "SELECT journey, split, variant, since, evidence FROM split_winners ORDER BY journey, split", logger: logger
        ).decode((String, String, String, Double, String).self) {
            result.append(SplitWinner(journey: journey, split: split, variant: variant, since: since, evidence: evidence))
        }
        return result
    }

    public func journeyCounters() async throws -> [JourneyCounter: Int64] {
        var result: [JourneyCounter: Int64] = [:]
        for try await (journey, version, step, metric, count) in try await client.query(
            "SELECT journey, version, step, metric, count FROM journey_counters", logger: logger
        ).decode((String, String, String, String, Int64).self) {
            result[JourneyCounter(journey: journey, version: version, step: step, metric: metric)] = count
        }
        return result
    }

    // MARK: Retention

    /// Deletes in chunks of at most 5 000 rows per statement, so no node's writes wait long.
    public func prune(_ retention: RetentionPolicy, now: Double) async throws -> PruneReport {
        var report = PruneReport()
        let chunk = 5_000
        func deleteInChunks(_ query: @escaping () -> PostgresQuery) async throws -> Int {
            var total = 0
            while true {
                var deleted = 0
                for try await _ in try await client.query(query(), logger: logger) { deleted += 1 }
                total += deleted
                if deleted < chunk { return total }
            }
        }
        let eventCutoff = now - retention.processedEvents
        report.events = try await deleteInChunks {
            """
            DELETE FROM inbox WHERE seq IN (
                SELECT seq FROM inbox WHERE accepted_at < \(eventCutoff) AND processed_at IS NOT NULL LIMIT \(chunk))
            RETURNING 1
            """
        }
        let messageCutoff = now - retention.deliveredMessages
        report.messages = try await deleteInChunks {
            """
            DELETE FROM outbox WHERE id IN (
                SELECT id FROM outbox WHERE status = 1 AND finished_at < \(messageCutoff) LIMIT \(chunk))
            RETURNING 1
            """
        }
        let deadCutoff = now - retention.deadLetters
        report.deadLetters = try await deleteInChunks {
            "DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM dead_letters WHERE at < \(deadCutoff) LIMIT \(chunk)) RETURNING 1"
        }
        let logCutoff = now - retention.customerLog
        report.logEntries = try await deleteInChunks {
            "DELETE FROM customer_log WHERE seq IN (SELECT seq FROM customer_log WHERE at < \(logCutoff) LIMIT \(chunk)) RETURNING 1"
        }
        let inputCutoff = now - retention.inputs
        report.inputs = try await deleteInChunks {
            "DELETE FROM input_log WHERE seq IN (SELECT seq FROM input_log WHERE accepted_at < \(inputCutoff) LIMIT \(chunk)) RETURNING 1"
        }
        let keep = retention.customerLogLimit
        report.logEntries += try await deleteInChunks {
            """
            DELETE FROM customer_log WHERE seq IN (
                SELECT seq FROM (
                    SELECT seq, row_number() OVER (PARTITION BY customer_id ORDER BY seq DESC) AS n FROM customer_log) ranked
                WHERE n > \(keep) LIMIT \(chunk))
            RETURNING 1
            """
        }
        return report
    }
}
