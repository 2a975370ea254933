import JourneyEngine
import JourneyLanguage

/// The difference in sends between the base and the candidate, per journey and step, summed over
/// customers.
///
/// Sends are matched per customer by journey and step label: the n-th send of a step in the base
/// pairs with the n-th send of that step in the candidate. A pair at another instant is *moved*
/// (with the shift), a pair on another channel is *channel changed*; an unpaired base send is
/// *removed*, an unpaired candidate send *added*. A customer *took a different path* through a
/// journey when the steps it reached there (and where it exited) differ.
public struct ReplayDifference: Sendable, Equatable {
    /// A journey's step.
    public struct StepKey: Sendable, Hashable, Comparable {
        public var journey: String
        public var step: String
        public static func < (a: StepKey, b: StepKey) -> Bool { (a.journey, a.step) < (b.journey, b.step) }
    }

    /// What changed at one step.
    public struct StepChange: Sendable, Equatable {
        public var added = 0
        public var removed = 0
        public var moved = 0
        /// Sum, smallest and largest shift of the moved sends (candidate minus base, seconds).
        public var shiftTotal = 0.0
        public var shiftMin = Double.infinity
        public var shiftMax = -Double.infinity
        public var channelChanged = 0
        /// `"email→sms"`: how many sends changed that way.
        public var channelChanges: [String: Int] = [:]
        public var unchanged = 0

        public var isEmpty: Bool { added == 0 && removed == 0 && moved == 0 && channelChanged == 0 }
        public var averageShift: Double { moved == 0 ? 0 : shiftTotal / Double(moved) }

        mutating func merge(_ other: StepChange) {
            added += other.added
            removed += other.removed
            moved += other.moved
            shiftTotal += other.shiftTotal
            shiftMin = min(shiftMin, other.shiftMin)
            shiftMax = max(shiftMax, other.shiftMax)
            channelChanged += other.channelChanged
            for (k, v) in other.channelChanges { channelChanges[k, default: 0] += v }
            unchanged += other.unchanged
        }
    }

    public var steps: [StepKey: StepChange] = [:]
    /// Per journey: customers whose path through it differs.
    public var differentPaths: [String: Int] = [:]
    public var customers = 0
    /// Customers with any send added, removed, moved or on another channel.
    public var customersWithChangedSends = 0
    /// Customers with a different path through any journey.
    public var customersWithDifferentPath = 0
    public var baseSends = 0
    public var candidateSends = 0
    /// The first changed customers by id (at most ``sampleLimit``), to look at with `--customer`.
    public var sample: [String] = []
    public static let sampleLimit = 10

    public init() {}

    /// No send differs and no customer took another path.
    public var isEmpty: Bool { steps.values.allSatisfy(\.isEmpty) && customersWithDifferentPath == 0 }

    /// The journeys with a change, sorted.
    public var changedJourneys: [String] {
        Set(steps.filter { !$0.value.isEmpty }.map(\.key.journey)).union(differentPaths.filter { $0.value > 0 }.keys).sorted()
    }

    /// Moves shorter than this are the same instant (the clocks are the same; only rounding differs).
    static let sameInstant = 0.001

    mutating func add(customer id: String, base: CustomerReplay, candidate: CustomerReplay) {
        customers += 1
        baseSends += base.outbox.count
        candidateSends += candidate.outbox.count
        var changedSends = false
        var before: [StepKey: [OutboxMessage]] = [:]
        var after: [StepKey: [OutboxMessage]] = [:]
        for m in base.outbox { before[StepKey(journey: m.journey, step: m.step), default: []].append(m) }
        for m in candidate.outbox { after[StepKey(journey: m.journey, step: m.step), default: []].append(m) }
        for key in Set(before.keys).union(after.keys) {
            let old = (before[key] ?? []).sorted { $0.at < $1.at }
            let new = (after[key] ?? []).sorted { $0.at < $1.at }
            var change = StepChange()
            for k in 0..<max(old.count, new.count) {
                guard k < old.count else {
                    change.added += 1
                    continue
                }
                guard k < new.count else {
                    change.removed += 1
                    continue
                }
                let shift = new[k].at - old[k].at
                var same = true
                if abs(shift) >= Self.sameInstant {
                    change.moved += 1
                    change.shiftTotal += shift
                    change.shiftMin = min(change.shiftMin, shift)
                    change.shiftMax = max(change.shiftMax, shift)
                    same = false
                }
                if new[k].channel != old[k].channel {
                    change.channelChanged += 1
                    change.channelChanges["\(old[k].channel.rawValue)→\(new[k].channel.rawValue)", default: 0] += 1
                    same = false
                }
                if same { change.unchanged += 1 }
            }
            if !change.isEmpty { changedSends = true }
            steps[key, default: StepChange()].merge(change)
        }
        let oldPaths = Self.paths(base.timeline)
        let newPaths = Self.paths(candidate.timeline)
        var pathChanged = false
        for journey in Set(oldPaths.keys).union(newPaths.keys) where oldPaths[journey] != newPaths[journey] {
            differentPaths[journey, default: 0] += 1
            pathChanged = true
        }
        if changedSends { customersWithChangedSends += 1 }
        if pathChanged { customersWithDifferentPath += 1 }
        if changedSends || pathChanged { addSample([id]) }
    }

    /// Per journey, the steps reached and the exits, in order (the version is left out: it
    /// differs whenever the journey changed).
    static func paths(_ timeline: [TimelineRecord]) -> [String: [String]] {
        var paths: [String: [String]] = [:]
        for record in timeline {
            switch record.kind {
            case .stepReached(let step, _): paths[record.journey, default: []].append("\(record.entrySequence):\(step)")
            case .exited(let step, let reason): paths[record.journey, default: []].append("\(record.entrySequence):\(step) exit \(reason)")
            default: break
            }
        }
        return paths
    }

    private mutating func addSample(_ ids: [String]) {
        sample = Array((sample + ids).sorted().prefix(Self.sampleLimit))
    }

    mutating func merge(_ other: ReplayDifference) {
        for (key, change) in other.steps { steps[key, default: StepChange()].merge(change) }
        for (journey, n) in other.differentPaths { differentPaths[journey, default: 0] += n }
        customers += other.customers
        customersWithChangedSends += other.customersWithChangedSends
        customersWithDifferentPath += other.customersWithDifferentPath
        baseSends += other.baseSends
        candidateSends += other.candidateSends
        addSample(other.sample)
    }
}
