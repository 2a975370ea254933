import JourneyLanguage

/// The ledger as one batch sees it: the recorded entries plus the sends allowed earlier in the
/// same `decide` call (all at the decision instant, so newer than any recorded entry).
struct LedgerView: Sendable {
    var recorded: [LedgerEntry]
    var added: [LedgerEntry] = []

    init(recorded: [LedgerEntry]) { self.recorded = recorded }

    /// Visits the entries newest first (assuming the recorded ones are oldest first) until `body`
    /// returns `false`. `isAdded` tells whether the entry was allowed in this batch.
    @inline(__always)
    func visitNewestFirst(_ body: (_ entry: borrowing LedgerEntry, _ isAdded: Bool) -> Bool) {
        // Through buffer pointers: entries are borrowed, not copied (no retain/release of their
        // strings), which is most of the policy's cost otherwise.
        let stopped = added.withUnsafeBufferPointer { buffer -> Bool in
            var index = buffer.count
            while index > 0 {
                index -= 1
                if !body(buffer[index], true) { return true }
            }
            return false
        }
        if stopped { return }
        recorded.withUnsafeBufferPointer { buffer in
            var index = buffer.count
            while index > 0 {
                index -= 1
                if !body(buffer[index], false) { return }
            }
        }
    }

    func contains(requestID: String) -> Bool {
        var found = false
        visitNewestFirst { entry, _ in
            if entry.requestID == requestID { found = true }
            return !found
        }
        return found
    }
}
