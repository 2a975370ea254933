import JourneyLanguage

/// Who goes first in a batch, and when a marketing send loses to another journey's.
///
/// **Precedence** (the order `decide` considers a batch in): transactional before marketing, then
/// higher `priority`, then earlier `requestedAt`, then journey name, then request id (then step,
/// message and channel, so the order is total). The order of the input array never matters.
///
/// **Conflict**: at most one journey gets a customer's marketing slot per settle window `S`. A
/// request `r` evaluated at instant `t` has a *settle round* starting at
/// `w = max(r.requestedAt, t − S)` — its request time, or, when it is re-presented long after
/// (deferred), `S` before the re-presentation. A marketing ledger entry `e` from another journey
/// beats `r` when
/// - `e` was sent less than `S` before the round started or any time since (`e.at > w − S`), or
///   `e` was allowed earlier in the same batch, and
/// - `e`'s priority is at least `r`'s (an entry recorded without a priority always wins).
///
/// Batch members are decided in precedence order and enter the ledger when allowed, so an earlier
/// member always has a priority at least the later one's: the first marketing send allowed in a
/// batch beats every later marketing send of another journey in that batch. A recent entry of
/// *lower* priority does not block a higher-priority request: that message is already out, and the
/// later, more important one is not punished for arriving late (the minimum gap, if any, still
/// spaces them). Sends of the same journey never conflict with each other.
///
/// A conflict ends at `e.at + 2S` (or `e.at + 1` with `S = 0`): from then on `e` lies more than `S`
/// before the round of a request re-presented at that instant.
struct ConflictResolver {
    /// Whether `a` is considered before `b` in a batch.
    static func precedes(_ a: SendRequest, _ b: SendRequest) -> Bool {
        let aTransactional = a.send.category == .transactional
        if aTransactional != (b.send.category == .transactional) { return aTransactional }
        if a.priority != b.priority { return a.priority > b.priority }
        if a.requestedAt != b.requestedAt { return a.requestedAt < b.requestedAt }
        if a.journey != b.journey { return a.journey < b.journey }
        if a.id != b.id { return a.id < b.id }
        if a.step != b.step { return a.step < b.step }
        if a.send.message != b.send.message { return a.send.message < b.send.message }
        return a.send.channel < b.send.channel
    }

    /// The indices of `requests` in precedence order.
    static func precedenceOrder(_ requests: [SendRequest]) -> [Int] {
        requests.indices.sorted { precedes(requests[$0], requests[$1]) }
    }

    /// The conflict blocking marketing request `request` at `instant`, or `nil`.
    /// - Parameter batchInstant: the instant of the `decide` call (entries added in the batch
    ///   always conflict when evaluated at it).
    static func blocker(
        for request: SendRequest, at instant: Double, batchInstant: Double, settleWindow: Double, ledger: LedgerView
    ) -> Blocker? {
        let roundStart = max(request.requestedAt, instant - settleWindow)
        let earliest = roundStart - settleWindow
        let duration = settleWindow > 0 ? 2 * settleWindow : 1
        var winner: LedgerEntry?
        ledger.visitNewestFirst { entry, isAdded in
            let inWindow = entry.at > earliest || (isAdded && instant == batchInstant)
            // Entries are oldest first: nothing older than the window can follow (added entries are
            // all at the batch instant, newer than every recorded one).
            if !inWindow { return isAdded }
            if entry.category == .marketing, entry.journey != request.journey,
                (entry.priority ?? .max) >= request.priority
            {
                winner = entry
                return false
            }
            return true
        }
        guard let winner else { return nil }
        return Blocker(
            kind: .conflict(winner: winner.journey, winnerPriority: winner.priority ?? .max),
            freesAt: winner.at + duration
        )
    }
}
