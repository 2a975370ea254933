import JourneyEngine
import JourneyLanguage
import Synchronization

/// The journeys' audience hours (``AudienceHours``) the processors hand the engine, read from the
/// journey counters the engine's commits keep.
///
/// The engine reads only the 28 UTC days before the day of a choice, so one read serves a whole
/// day: it is read again at each UTC day boundary, when this node commits an engagement counted
/// on an earlier day (a late or back-dated event), and at least every ``refreshInterval`` (what
/// other nodes of a cluster committed). The dry-run counts the same engagements on its virtual
/// clock, so both choose the same hour once every earlier day's engagements are committed.
final class SendTimeAudience: Sendable {
    /// Seconds between reads within a day (300).
    static let refreshInterval: Double = 300

    private struct Snapshot {
        var day: Int
        var readAt: Double
        var hours: AudienceHours
        var stale = false
    }
    private let snapshot = Mutex<Snapshot?>(nil)

    /// The audience hours to choose with at `now` (an empty value when no deployed send asks for
    /// the best time: nothing is read then).
    func hours(at now: Double, catalog: JourneyCatalog, store: any JourneyStore) async throws -> AudienceHours {
        guard catalog.sendsAtBestTime else { return AudienceHours() }
        let day = UTCDay.of(now)
        if let current = snapshot.withLock({ $0 }), current.day == day, !current.stale, now - current.readAt < Self.refreshInterval {
            return current.hours
        }
        let counters = try await store.journeyCounters().filter { $0.key.metric.hasPrefix(AudienceHours.metricPrefix) }
        let hours = AudienceHours(counters: counters)
        snapshot.withLock { $0 = Snapshot(day: day, readAt: now, hours: hours) }
        return hours
    }

    /// Marks the snapshot stale when `counters` (just committed) hold an engagement counted on a
    /// day before `now`'s.
    func committed(_ counters: some Sequence<JourneyCounter>, now: Double) {
        let today = UTCDay.text(UTCDay.of(now))
        for counter in counters where counter.metric.hasPrefix(AudienceHours.metricPrefix) {
            if let at = counter.metric.lastIndex(of: "@"), String(counter.metric[counter.metric.index(after: at)...]) < today {
                snapshot.withLock { $0?.stale = true }
                return
            }
        }
    }
}
