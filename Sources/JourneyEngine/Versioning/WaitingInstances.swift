/// How many active instances wait at one step of one journey version.
public struct WaitingInstances: Sendable, Hashable, Codable {
    public var journey: String
    public var version: String
    /// The step label the instances are at.
    public var step: String
    public var count: Int

    public init(journey: String, version: String, step: String, count: Int) {
        self.journey = journey
        self.version = version
        self.step = step
        self.count = count
    }

    /// Counts the active instances of `states`, sorted by journey, version and step.
    public static func count(_ states: some Sequence<CustomerState>) -> [WaitingInstances] {
        var tally = Tally()
        for state in states { tally.add(state) }
        return tally.result
    }

    /// A running count, for stores that page through their customers.
    public struct Tally: Sendable {
        private var counts: [Key: Int] = [:]
        private struct Key: Hashable {
            var journey: String
            var version: String
            var step: String
        }

        public init() {}

        public mutating func add(_ state: CustomerState) {
            for instance in state.instances where instance.isActive {
                counts[Key(journey: instance.journey, version: instance.version, step: instance.step), default: 0] += 1
            }
        }

        public var result: [WaitingInstances] {
            counts.map { WaitingInstances(journey: $0.key.journey, version: $0.key.version, step: $0.key.step, count: $0.value) }
                .sorted { ($0.journey, $0.version, $0.step) < ($1.journey, $1.version, $1.step) }
        }
    }
}

/// A store that can count the instances waiting at each step (``DeploymentPlan`` reads it).
///
/// A separate protocol from ``JourneyStore`` so that it stays additive; every store Herald ships
/// conforms (``MemoryJourneyStore``, `SQLiteJourneyStore`, `PostgresJourneyStore`). The count reads
/// every stored customer, in pages: it is a planning query, not one for the hot path.
public protocol WaitingInstanceCounting: Sendable {
    /// The active instances per journey, version and step, over every stored customer.
    func waitingInstances() async throws -> [WaitingInstances]
}

/// A store that pages through every stored customer's aggregate in id order: what the service's
/// migration sweep reads to find the customers a declared migration moves.
///
/// Like ``WaitingInstanceCounting``, a separate protocol so that it stays additive; every store
/// Herald ships conforms. Each page is its own short read.
public protocol CustomerScanning: Sendable {
    /// Up to `limit` customers with an id greater than `after` (`""`: from the first), in id order
    /// (byte order of the UTF-8 id, the same in every store).
    func customerPage(after: String, limit: Int) async throws -> [(id: String, state: CustomerState)]
}
