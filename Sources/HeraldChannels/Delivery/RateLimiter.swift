import Synchronization

/// A provider's rate limit (`messages per second`, with bursts), shared by every task sending
/// through that provider.
final class RateLimiter: Sendable {
    private let state: Mutex<GCRA>
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    init(_ limit: RateLimit) {
        state = Mutex(GCRA(perSecond: limit.perSecond, burst: limit.burst))
        origin = clock.now
    }

    /// Waits for the next slot.
    func acquire() async throws {
        let now = origin.duration(to: clock.now)
        let wait = state.withLock { $0.reserve(at: now) }
        if wait > .zero {
            try await Task.sleep(for: wait, clock: clock)
        }
    }
}

/// A sustained rate with a burst allowance.
public struct RateLimit: Sendable, Hashable, Decodable {
    public var perSecond: Double
    public var burst: Int

    public init(perSecond: Double, burst: Int = 1) {
        self.perSecond = perSecond
        self.burst = burst
    }

    enum CodingKeys: String, CodingKey {
        case perSecond = "per_second"
        case burst
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        perSecond = try container.decode(Double.self, forKey: .perSecond)
        burst = try container.decodeIfPresent(Int.self, forKey: .burst) ?? 1
        guard perSecond > 0, perSecond.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: .perSecond, in: container, debugDescription: "per_second must be a positive number")
        }
        guard burst >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .burst, in: container, debugDescription: "burst must be at least 1")
        }
    }
}
