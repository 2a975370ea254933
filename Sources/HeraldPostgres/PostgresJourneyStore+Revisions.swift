import Foundation
public import JourneyEngine
import Logging
import PostgresNIO

extension PostgresJourneyStore {
    // MARK: Revisions

    public func recordRevision(_ draft: RevisionDraft, at: Double) async throws -> RevisionRecording {
        let files = try JSONEncoder().encode(draft.files)
        let logger = self.logger
        return try await transaction { connection in
            // Nodes reloading at once take turns: the second sees the first's revision.
            try await connection.query("LOCK TABLE journey_revisions IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            var current: JourneyRevision?
            for try await row in try await connection.query(
                "SELECT number, content_hash, created_at, note, source, restored_from FROM journey_revisions ORDER BY number DESC LIMIT 1",
                logger: logger
            ).decode((Int64, String, Double, String?, String, Int64?).self) {
                current = Self.revision(row, files: [])
            }
            if let current, current.contentHash == draft.contentHash {
                return RevisionRecording(revision: current, created: false)
            }
            let number = (current?.number ?? 0) + 1
            try await connection.query(
                """
                INSERT INTO journey_revisions (number, content_hash, created_at, note, source, restored_from, files)
                VALUES (\(number), \(draft.contentHash), \(at), \(draft.note), \(draft.source), \(draft.restoredFrom), \(ByteBuffer(bytes: files)))
                """, logger: logger)
            return RevisionRecording(
                revision: JourneyRevision(
                    number: number, contentHash: draft.contentHash, createdAt: at, note: draft.note, source: draft.source,
                    restoredFrom: draft.restoredFrom, files: []),
                created: true)
        }
    }

    public func revisions(before: Int64?, limit: Int) async throws -> [JourneyRevision] {
        var result: [JourneyRevision] = []
        for try await row in try await client.query(
            """
            SELECT number, content_hash, created_at, note, source, restored_from FROM journey_revisions
            WHERE number < \(before ?? Int64.max) ORDER BY number DESC LIMIT \(limit)
            """, logger: logger
        ).decode((Int64, String, Double, String?, String, Int64?).self) {
            result.append(Self.revision(row, files: []))
        }
        return result
    }

    public func revision(_ number: Int64) async throws -> JourneyRevision? {
        for try await (number, hash, at, note, source, restoredFrom, files) in try await client.query(
            """
            SELECT number, content_hash, created_at, note, source, restored_from, files FROM journey_revisions
            WHERE number = \(number)
            """, logger: logger
        ).decode((Int64, String, Double, String?, String, Int64?, Data).self) {
            let decoded: [RevisionFile]
            do {
                decoded = try JSONDecoder().decode([RevisionFile].self, from: files)
            } catch {
                throw JourneyStoreError.corrupt("the files of revision \(number) cannot be read: \(error)")
            }
            return Self.revision((number, hash, at, note, source, restoredFrom), files: decoded)
        }
        return nil
    }

    public func currentRevisionNumber() async throws -> Int64? {
        for try await number in try await client.query("SELECT max(number) FROM journey_revisions", logger: logger).decode(
            Int64?.self)
        {
            return number
        }
        return nil
    }

    private static func revision(
        _ row: (Int64, String, Double, String?, String, Int64?), files: [RevisionFile]
    ) -> JourneyRevision {
        JourneyRevision(
            number: row.0, contentHash: row.1, createdAt: row.2, note: row.3, source: row.4, restoredFrom: row.5, files: files)
    }

    // MARK: Input log

    public func inputLog(since: Double?, until: Double?, after: InputLogPosition?, limit: Int) async throws -> [InputLogEntry] {
        // Absent bounds become bounds no entry crosses, so one statement serves every call.
        let since = since ?? -Double.greatestFiniteMagnitude
        let until = until ?? Double.greatestFiniteMagnitude
        let afterTime = after?.acceptedAt ?? -Double.greatestFiniteMagnitude
        let afterSequence = after?.sequence ?? Int64.min
        var entries: [InputLogEntry] = []
        for try await (sequence, customerID, acceptedAt, payload) in try await client.query(
            """
            SELECT seq, customer_id, accepted_at, payload FROM input_log
            WHERE accepted_at >= \(since) AND accepted_at < \(until) AND (accepted_at, seq) > (\(afterTime), \(afterSequence))
            ORDER BY accepted_at, seq LIMIT \(limit)
            """, logger: logger
        ).decode((Int64, String, Double, Data).self) {
            entries.append(
                InputLogEntry(
                    sequence: sequence, acceptedAt: acceptedAt, customerID: customerID,
                    payload: try StoreColumnCoding.decode(InboxPayload.self, from: payload)))
        }
        return entries
    }
}
