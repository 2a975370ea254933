import Testing

@testable import HeraldChannels

struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 4, baseDelay: .seconds(1), maxDelay: .seconds(5), maxRetryAfter: .seconds(60))

    @Test(arguments: [
        (1, 1.0, Duration.seconds(1)),
        (2, 1.0, .seconds(2)),
        (3, 1.0, .seconds(4)),
        (4, 1.0, .seconds(5)),
        (30, 1.0, .seconds(5)),
        (3, 0.5, .seconds(2)),
        (3, 0.0, .zero),
    ])
    func fullJitterBackoff(attempt: Int, fraction: Double, expected: Duration) {
        #expect(policy.backoff(afterAttempt: attempt, randomFraction: fraction) == expected)
    }

    @Test func transientFailuresAreRetriedUntilTheLastAttempt() {
        let failure = DeliveryOutcome.transient(reason: "500", retryAfter: nil)
        #expect(policy.decision(after: failure, attempt: 1, randomFraction: 0.5) == .retry(after: .milliseconds(500)))
        #expect(policy.decision(after: failure, attempt: 3, randomFraction: 0.5) == .retry(after: .seconds(2)))
        #expect(policy.decision(after: failure, attempt: 4, randomFraction: 0.5) == .deadLetter(reason: "gave up after 4 attempt(s): 500"))
    }

    @Test func retryAfterIsHonouredUpToItsCap() {
        #expect(
            policy.decision(after: .transient(reason: "429", retryAfter: .seconds(30)), attempt: 1, randomFraction: 0.9)
                == .retry(after: .seconds(30)))
        #expect(
            policy.decision(after: .transient(reason: "429", retryAfter: .seconds(600)), attempt: 1, randomFraction: 0.9)
                == .retry(after: .seconds(60)))
    }

    @Test func permanentFailuresAreDeadLetteredAtOnce() {
        #expect(policy.decision(after: .permanent(reason: "400"), attempt: 1, randomFraction: 0) == .deadLetter(reason: "400"))
        #expect(policy.decision(after: .delivered(providerMessageID: "x"), attempt: 2, randomFraction: 0) == .delivered(providerMessageID: "x"))
    }
}

struct GCRATests {
    @Test func burstThenSustainedRate() {
        var limit = GCRA(perSecond: 10, burst: 3)
        let now = Duration.zero
        #expect(limit.reserve(at: now) == .zero)
        #expect(limit.reserve(at: now) == .zero)
        #expect(limit.reserve(at: now) == .zero)
        #expect(limit.reserve(at: now) == .milliseconds(100))
        #expect(limit.reserve(at: now) == .milliseconds(200))
        // After a quiet second the burst is available again.
        #expect(limit.reserve(at: .seconds(2)) == .zero)
    }

    @Test func sustainedRateWithoutBurst() {
        var limit = GCRA(perSecond: 2, burst: 1)
        #expect(limit.reserve(at: .zero) == .zero)
        #expect(limit.reserve(at: .milliseconds(100)) == .milliseconds(400))
        #expect(limit.reserve(at: .seconds(5)) == .zero)
    }
}
