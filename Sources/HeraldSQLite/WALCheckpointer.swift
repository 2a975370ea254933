import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the WAL back into the database file on a connection and thread of its own, so that the
/// group commit never waits for a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that pushes the WAL past 1,000 pages: that
/// commit (and every caller in its group) waits while the pages are copied and the database file
/// is synced, which is where the event-to-outbox tail came from under steady load (#18). SQLite's
/// documentation suggests the alternative used here: the writer's WAL hook reports the WAL's size
/// after each commit, and once it passes ``threshold`` pages a `PASSIVE` checkpoint runs on a
/// separate connection (it takes no lock the writer or the readers need). The writer then copies
/// only the pages committed meanwhile, after its next commit, so that the WAL is wholly
/// checkpointed and SQLite starts it over (it never restarts a WAL with pages left to copy). Should
/// the thread fall behind — ``writerLimit`` pages, eight times the threshold — the writer
/// checkpoints itself as SQLite would, so the WAL stays bounded whatever happens.
///
/// A checkpoint changes nothing a reader sees and loses nothing: the WAL keeps every frame until
/// the database file holding it is synced.
final class WALCheckpointer: Sendable {
    /// WAL pages after which a background checkpoint starts (SQLite's automatic default).
    let threshold: Int32
    /// WAL pages after which the writer checkpoints itself.
    let writerLimit: Int32
    private let path: String
    private let configuration: Configuration
    private let thread = DispatchQueue(label: "herald.sqlite.checkpoint")
    private struct State {
        var connection: DatabaseQueue?
        var running = false
        /// A background pass finished: the writer copies the rest after its next commit.
        var caughtUp = false
        /// Checkpoints run by this thread and by the writer itself, for tests and metrics.
        var background = 0
        var byWriter = 0
    }
    private let state = Mutex(State())

    init(path: String, configuration: Configuration, threshold: Int32 = 1_000) {
        self.path = path
        self.configuration = configuration
        self.threshold = threshold
        self.writerLimit = 8 * threshold
    }

    /// Checkpoints run so far: by the background thread, and by the writer (the short pass after
    /// each background one, and whenever the WAL passed ``writerLimit``).
    var counts: (background: Int, byWriter: Int) { state.withLock { ($0.background, $0.byWriter) } }

    /// Installs the WAL hook on the writer's connection (it replaces SQLite's automatic checkpoint).
    /// The hook holds an unretained reference: ``uninstall(from:)`` must run before this object goes.
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Removes the hook (the connection then has no automatic checkpoint until it is closed).
    func uninstall(from db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, nil, nil)
    }

    /// Called by the hook after each commit with the WAL's size in pages.
    fileprivate func walGrew(to pages: Int32, connection: OpaquePointer?) {
        let action = state.withLock { s -> Action in
            if pages >= writerLimit { return .onWriter }
            if s.caughtUp {
                // The background pass copied the WAL up to where it stood when it began: copying the
                // few pages committed since on the writer lets the next transaction start the WAL
                // over from its beginning (SQLite only restarts a WAL that is wholly checkpointed),
                // so the file does not keep growing. This is short: no sync of pages already copied.
                s.caughtUp = false
                return .onWriter
            }
            guard pages >= threshold, !s.running else { return .none }
            s.running = true
            return .background
        }
        switch action {
        case .none: break
        case .onWriter:
            // What SQLite's automatic checkpoint does, on the writer.
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            state.withLock { $0.byWriter += 1 }
        case .background:
            thread.async { self.checkpoint() }
        }
    }

    private enum Action { case none, onWriter, background }

    private func checkpoint() {
        do {
            let connection = try state.withLock { s -> DatabaseQueue in
                if let c = s.connection { return c }
                let c = try DatabaseQueue(path: path, configuration: configuration)
                s.connection = c
                return c
            }
            try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
            state.withLock {
                $0.background += 1
                $0.running = false
                $0.caughtUp = true
            }
        } catch {
            // Left to the next commit's hook (or the writer, past its limit).
            state.withLock { $0.running = false }
        }
    }
}

/// `sqlite3_wal_hook`'s callback: `context` is the ``WALCheckpointer``.
private func walHook(context: UnsafeMutableRawPointer?, connection: OpaquePointer?, database: UnsafePointer<CChar>?, pages: Int32) -> Int32 {
    guard let context else { return SQLITE_OK }
    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().walGrew(to: pages, connection: connection)
    return SQLITE_OK
}
