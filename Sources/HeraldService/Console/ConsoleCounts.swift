import JourneyEngine
import JourneyLanguage

/// The journey counters the store keeps as the engine commits (``JourneyStore/journeyCounters()``),
/// arranged for the console: per journey, per version, per step. Nothing here scans customers.
struct ConsoleCounts: Sendable {
    /// One journey version's counts: step label → metric → count (`""`: journey-wide).
    struct Version: Sendable, Equatable {
        var steps: [String: [String: Int64]] = [:]

        func value(step: String, metric: String) -> Int64 { steps[step]?[metric] ?? 0 }

        /// The sum of `metric` over every step.
        func total(_ metric: String) -> Int64 { steps.values.reduce(0) { $0 + ($1[metric] ?? 0) } }

        /// As sent to the page: `{"steps": {"<step>": {"<metric>": n}}}`.
        var json: Value {
            .object(["steps": .object(steps.mapValues { .object($0.mapValues { .number(Double($0)) }) })])
        }
    }

    /// journey → version → counts.
    var journeys: [String: [String: Version]] = [:]

    init(_ counters: [JourneyCounter: Int64]) {
        for (counter, count) in counters {
            journeys[counter.journey, default: [:]][counter.version, default: Version()].steps[counter.step, default: [:]][counter.metric] =
                count
        }
    }

    func version(_ journey: String, _ version: String) -> Version { journeys[journey]?[version] ?? Version() }

    /// `metric` summed over every version and step of `journey`.
    func total(_ journey: String, _ metric: String) -> Int64 {
        (journeys[journey] ?? [:]).values.reduce(0) { $0 + $1.total(metric) }
    }

    /// A daily journey-wide metric (``EngineRecords/daily(_:at:)``) summed over the `days` UTC days
    /// up to and including the one holding `now`.
    func recent(_ journey: String, _ metric: String, days: Int, now: Double) -> Int64 {
        let today = Int((now / 86_400).rounded(.down))
        var sum: Int64 = 0
        for day in (today - days + 1)...today { sum += total(journey, "\(metric)@\(EngineRecords.dayText(day))") }
        return sum
    }

    /// The time-to-convert histogram of `journey` over every version (``ConvertTimeHistogram``).
    func convertTimes(_ journey: String) -> [Int: Int64] {
        (journeys[journey] ?? [:]).values.reduce(into: [:]) { sum, version in
            sum.merge(ConvertTimeHistogram.buckets(version.steps[""] ?? [:]), uniquingKeysWith: +)
        }
    }

    /// The versions of `journey` with customers waiting in them now.
    func liveVersions(_ journey: String) -> [String] {
        (journeys[journey] ?? [:]).filter { $0.value.total("waiting") > 0 }.keys.sorted()
    }
}
