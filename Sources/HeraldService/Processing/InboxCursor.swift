/// Where the inbox reader reads next: a cursor (the highest sequence handed out so far) and, now
/// and then, a read back over the sequences it passed in the last `window` seconds.
///
/// On a shared database several nodes insert into the inbox at once and nothing orders their
/// commits, so a row can become visible after a higher sequence was already read (its insert
/// committed later). Every statement is bounded, so such a row commits within that bound of
/// getting its sequence: reading back from where the cursor stood `window` seconds ago (more than
/// that bound) finds it. Rows read back that are already in a partition are skipped by the reader.
///
/// ```swift
/// var cursor = InboxCursor(window: 60, interval: 1, now: 0)
/// cursor.advance(to: 42, at: 0.5)
/// cursor.readBack(at: 1.5)   // 0: where the cursor stood 60 s ago
/// ```
struct InboxCursor: Sendable {
    /// The highest sequence handed out: the next read starts after it.
    private(set) var position: Int64 = 0
    /// How far back (seconds) a read back reaches.
    let window: Double
    /// How often (seconds) a read back is due.
    let interval: Double
    /// When the position changed, oldest first; the first entry is the position `window` seconds ago.
    private var history: [(at: Double, position: Int64)]
    private var lastReadBack: Double

    init(window: Double, interval: Double, now: Double) {
        self.window = window
        self.interval = interval
        history = [(now, 0)]
        lastReadBack = now
    }

    /// The reader handed out rows up to `sequence`.
    mutating func advance(to sequence: Int64, at now: Double) {
        guard sequence > position else { return }
        position = sequence
        history.append((now, sequence))
        // Keep the last entry at or before `now - window`: it says where the cursor stood then.
        while history.count >= 2, history[1].at <= now - window { history.removeFirst() }
    }

    /// Starts again from the beginning (shards were gained: their rows may lie behind the cursor).
    mutating func restart(at now: Double) {
        position = 0
        history = [(now, 0)]
    }

    /// When a read back is due, the sequence it starts after (it ends at ``position``).
    mutating func readBack(at now: Double) -> Int64? {
        guard now - lastReadBack >= interval else { return nil }
        lastReadBack = now
        while history.count >= 2, history[1].at <= now - window { history.removeFirst() }
        let start = history[0].position
        return start < position ? start : nil
    }
}
