import Foundation
import GRDB
public import JourneyEngine

extension SQLiteJourneyStore {
    // MARK: Revisions

    public func recordRevision(_ draft: RevisionDraft, at: Double) async throws -> RevisionRecording {
        let files = try JSONEncoder().encode(draft.files)
        return try await writer.write { db in
            // The single writer serialises this with every other write.
            if let row = try Row.fetchOne(db, sql: "\(Self.revisionColumns) ORDER BY number DESC LIMIT 1"),
                row["content_hash"] as String == draft.contentHash
            {
                return RevisionRecording(revision: Self.revision(row, files: []), created: false)
            }
            let number = (try Int64.fetchOne(db, sql: "SELECT max(number) FROM journey_revisions") ?? 0) + 1
            try db.execute(
                sql: """
                    INSERT INTO journey_revisions (number, content_hash, created_at, note, source, restored_from, files)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [number, draft.contentHash, at, draft.note, draft.source, draft.restoredFrom, files])
            return RevisionRecording(
                revision: JourneyRevision(
                    number: number, contentHash: draft.contentHash, createdAt: at, note: draft.note, source: draft.source,
                    restoredFrom: draft.restoredFrom, files: []),
                created: true)
        }
    }

    public func revisions(before: Int64?, limit: Int) async throws -> [JourneyRevision] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "\(Self.revisionColumns) WHERE number < ? ORDER BY number DESC LIMIT ?",
                arguments: [before ?? Int64.max, limit]
            ).map { Self.revision($0, files: []) }
        }
    }

    public func revision(_ number: Int64) async throws -> JourneyRevision? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT number, content_hash, created_at, note, source, restored_from, files FROM journey_revisions WHERE number = ?",
                    arguments: [number])
            else {
                return nil
            }
            let files: [RevisionFile]
            do {
                files = try JSONDecoder().decode([RevisionFile].self, from: row["files"] as Data)
            } catch {
                throw JourneyStoreError.corrupt("the files of revision \(number) cannot be read: \(error)")
            }
            return Self.revision(row, files: files)
        }
    }

    public func currentRevisionNumber() async throws -> Int64? {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(number) FROM journey_revisions") }
    }

    private static let revisionColumns = "SELECT number, content_hash, created_at, note, source, restored_from FROM journey_revisions"

    private static func revision(_ row: Row, files: [RevisionFile]) -> JourneyRevision {
        JourneyRevision(
            number: row["number"], contentHash: row["content_hash"], createdAt: row["created_at"], note: row["note"],
            source: row["source"], restoredFrom: row["restored_from"], files: files)
    }

    // MARK: Input log

    public func inputLog(since: Double?, until: Double?, after: InputLogPosition?, limit: Int) async throws -> [InputLogEntry] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let since {
                conditions.append("accepted_at >= ?")
                _ = arguments.append(contentsOf: [since])
            }
            if let until {
                conditions.append("accepted_at < ?")
                _ = arguments.append(contentsOf: [until])
            }
            if let after {
                conditions.append("(accepted_at, seq) > (?, ?)")
                _ = arguments.append(contentsOf: [after.acceptedAt, after.sequence])
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [limit])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, customer_id, accepted_at, payload FROM input_log INDEXED BY input_log_accepted
                    \(filter) ORDER BY accepted_at, seq LIMIT ?
                    """, arguments: arguments)
            return try rows.map { row in
                InputLogEntry(
                    sequence: row["seq"], acceptedAt: row["accepted_at"], customerID: row["customer_id"],
                    payload: try StoreColumnCoding.decode(InboxPayload.self, from: row["payload"] as Data))
            }
        }
    }
}
