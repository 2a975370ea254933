/// When to try a failed message again: exponential backoff with full jitter, honouring
/// `Retry-After`, up to a maximum number of attempts; then the message is dead-lettered.
///
/// The delay before attempt `n + 1` is a uniformly random duration in
/// `0 ... min(maxDelay, baseDelay × 2^(n-1))` ("full jitter"), or the server's `Retry-After` when
/// that is longer (capped at `maxRetryAfter`).
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(300))
/// switch policy.decision(after: outcome, attempt: 1, randomFraction: .random(in: 0..<1)) {
/// case .retry(let delay): scheduleRetry(after: delay)
/// case .deadLetter(let reason): deadLetter(reason)
/// case .delivered: markSent()
/// }
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 means no retry).
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The longest `Retry-After` honoured; a longer one is shortened to this.
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 5,
        baseDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(300),
        maxRetryAfter: Duration = .seconds(3600)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// What to do after a message's attempt number `attempt` (1-based) ended with `outcome`.
    public enum Decision: Sendable, Hashable {
        case delivered(providerMessageID: String?)
        case retry(after: Duration)
        case deadLetter(reason: String)
    }

    /// - Parameters:
    ///   - outcome: how the attempt ended.
    ///   - attempt: its number, starting at 1.
    ///   - randomFraction: a random number in `0 ..< 1` (inject a fixed one in tests).
    public func decision(after outcome: DeliveryOutcome, attempt: Int, randomFraction: Double) -> Decision {
        switch outcome {
        case .delivered(let id):
            return .delivered(providerMessageID: id)
        case .permanent(let reason):
            return .deadLetter(reason: reason)
        case .transient(let reason, let retryAfter):
            guard attempt < maxAttempts else {
                return .deadLetter(reason: "gave up after \(attempt) attempt(s): \(reason)")
            }
            var delay = backoff(afterAttempt: attempt, randomFraction: randomFraction)
            if let retryAfter {
                delay = max(delay, min(retryAfter, maxRetryAfter))
            }
            return .retry(after: delay)
        }
    }

    /// The full-jitter backoff after attempt `attempt` (1-based): `randomFraction` of the capped
    /// exponential ceiling.
    public func backoff(afterAttempt attempt: Int, randomFraction: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 62)
        let ceiling = min(maxDelay, baseDelay * Double(powerOfTwo: exponent))
        return ceiling * min(max(randomFraction, 0), 1)
    }
}

extension Double {
    /// 2^exponent, for exponents up to 62 (beyond which any delay is capped anyway).
    fileprivate init(powerOfTwo exponent: Int) {
        self = Double(sign: .plus, exponent: exponent, significand: 1)
    }
}
