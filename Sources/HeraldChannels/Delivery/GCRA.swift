/// The generic cell rate algorithm: a rate limit of `rate` per second with bursts of `burst`,
/// kept as one number (the theoretical arrival time). Pure; time comes in as an offset from any
/// fixed origin, so tests drive it without sleeping.
///
/// `reserve(at:)` never refuses: it books the next free slot and says how long to wait for it,
/// so concurrent senders queue in arrival order without a queue.
struct GCRA: Sendable, Hashable {
    /// Time between two messages at the sustained rate.
    let emissionInterval: Duration
    /// How far ahead of the sustained rate a burst may run.
    let burstTolerance: Duration
    private var theoreticalArrival: Duration?

    init(perSecond rate: Double, burst: Int) {
        precondition(rate > 0, "a rate limit needs a positive rate")
        emissionInterval = .seconds(1 / rate)
        burstTolerance = emissionInterval * Double(max(burst, 1) - 1)
    }

    /// Books one slot at or after `now`; returns how long the caller must wait before sending.
    mutating func reserve(at now: Duration) -> Duration {
        let arrival = max(theoreticalArrival ?? now, now)
        let allowedAt = arrival - burstTolerance
        theoreticalArrival = arrival + emissionInterval
        return allowedAt > now ? allowedAt - now : .zero
    }
}
