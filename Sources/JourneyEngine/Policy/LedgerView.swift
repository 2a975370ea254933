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
    func visitNewestFirst(_ body: (_ entry: LedgerEntry, _ isAdded: Bool) -> Bool) {
        var index = added.count
        while index > 0 {
            index -= 1
            if !body(added[index], true) { return }
        }
        index = recorded.count
        while index > 0 {
            index -= 1
            if !body(recorded[index], false) { return }
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
