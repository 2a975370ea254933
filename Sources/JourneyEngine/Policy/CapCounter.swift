import JourneyLanguage

/// Counts the ledger entries a cap covers and tells whether (and until when) the cap blocks a send.
///
/// - A cap *applies* to a marketing send on `channel` when the channel is among the cap's channels
///   (or it names none), the cap's category is `nil` or `.marketing`, and its journey scope covers
///   the send's journey (`.all`, `.each`, or `.named` with that journey).
/// - It *counts* a ledger entry on one of its channels whose category matches (`.marketing` caps
///   count marketing only; category-less caps count marketing, and transactional messages too when
///   the policy says `transactionalCountsTowardCaps`; `.transactional` caps count transactional
///   only) and whose journey is in scope (`.each`: the same journey as the send).
/// - A rolling window of `w` seconds counts entries with `at > t − w`; it frees when the
///   `limit`-th newest counted entry is `w` old. A calendar-day window counts the entries of the
///   customer's local day containing `t` and frees at the next local midnight.
struct CapCounter {
    static func applies(_ cap: Cap, toMarketingOn channel: Channel, journey: String) -> Bool {
        if let channels = cap.channels, !channels.contains(channel) { return false }
        if cap.category == .transactional { return false }
        if case .named(let name) = cap.journey, name != journey { return false }
        return true
    }

    @inline(__always)
    static func counts(
        _ cap: Cap, _ entry: LedgerEntry, forJourney journey: String, transactionalCounts: Bool
    ) -> Bool {
        if let channels = cap.channels, !channels.contains(entry.channel) { return false }
        switch cap.category {
        case .marketing?: if entry.category != .marketing { return false }
        case .transactional?: if entry.category != .transactional { return false }
        case nil: if entry.category == .transactional && !transactionalCounts { return false }
        }
        switch cap.journey {
        case .all: return true
        case .each: return entry.journey == journey
        case .named(let name): return entry.journey == name
        }
    }

    /// The blocker for `cap` at `instant`, or `nil` when the cap has room.
    /// - Parameter day: the local day containing `instant` (start, next start), needed for
    ///   calendar-day caps only.
    static func blocker(
        _ cap: Cap, journey: String, at instant: Double, ledger: LedgerView, transactionalCounts: Bool,
        day: () -> (start: Double, next: Double)
    ) -> Blocker? {
        var count = 0
        var freesAt = Double.infinity
        switch cap.window {
        case .rolling(let seconds):
            let oldest = instant - seconds
            ledger.visitNewestFirst { entry, _ in
                if entry.at > oldest, counts(cap, entry, forJourney: journey, transactionalCounts: transactionalCounts) {
                    count += 1
                    if count == cap.limit { freesAt = entry.at + seconds }
                }
                return true
            }
        case .calendarDay:
            let (start, next) = day()
            ledger.visitNewestFirst { entry, _ in
                if entry.at >= start, entry.at < next,
                    counts(cap, entry, forJourney: journey, transactionalCounts: transactionalCounts)
                {
                    count += 1
                }
                return true
            }
            if cap.limit > 0 { freesAt = next }
        }
        guard count >= cap.limit else { return nil }
        return Blocker(kind: .cap(name: cap.name, count: count, limit: cap.limit), freesAt: freesAt)
    }
}
