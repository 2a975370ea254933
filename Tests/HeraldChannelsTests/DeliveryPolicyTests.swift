import Synchronization
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
        #expect(policy.decision(after: .transient(reason: "429", retryAfter: .seconds(30)), attempt: 1, randomFraction: 0.9) == .retry(after: .seconds(30)))
        #expect(policy.decision(after: .transient(reason: "429", retryAfter: .seconds(600)), attempt: 1, randomFraction: 0.9) == .retry(after: .seconds(60)))
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

/// A channel that answers from a script and records the keys it saw.
final class ScriptedChannel: DeliveryChannel {
    private let state: Mutex<(script: [DeliveryOutcome], keys: [String])>

    init(_ script: [DeliveryOutcome]) {
        state = Mutex((script, []))
    }

    var keys: [String] { state.withLock { $0.keys } }

    func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome {
        state.withLock { state in
            state.keys.append(message.idempotencyKey)
            return state.script.isEmpty ? .delivered(providerMessageID: "last") : state.script.removeFirst()
        }
    }
}

struct MessageDispatcherTests {
    @Test func retriesTransientFailuresWithTheSameKeyThenDelivers() async throws {
        let channel = ScriptedChannel([.transient(reason: "500", retryAfter: nil), .transient(reason: "timeout", retryAfter: nil), .delivered(providerMessageID: "p1")])
        let slept = SleepRecorder()
        let dispatcher = MessageDispatcher(channels: [.sms: channel], retryPolicy: RetryPolicy(maxAttempts: 5, baseDelay: .seconds(1)), random: { 0.5 }, sleep: { await slept.record($0) })
        let report = try await dispatcher.deliver(Fixtures.sms(key: "k1"))
        #expect(report.result == .delivered(providerMessageID: "p1"))
        #expect(report.attempts.count == 3)
        #expect(channel.keys == ["k1", "k1", "k1"])
        #expect(await slept.delays == [.milliseconds(500), .seconds(1)])
    }

    @Test func permanentFailureIsDeadLetteredWithoutRetry() async throws {
        let channel = ScriptedChannel([.permanent(reason: "invalid recipient")])
        let dispatcher = MessageDispatcher(channels: [.sms: channel], sleep: { _ in Issue.record("must not sleep") })
        let report = try await dispatcher.deliver(Fixtures.sms())
        #expect(report.result == .deadLettered(reason: "invalid recipient"))
        #expect(report.attempts.count == 1)
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        let channel = ScriptedChannel(Array(repeating: .transient(reason: "503", retryAfter: nil), count: 10))
        let dispatcher = MessageDispatcher(channels: [.sms: channel], retryPolicy: RetryPolicy(maxAttempts: 3), sleep: { _ in })
        let report = try await dispatcher.deliver(Fixtures.sms())
        #expect(report.result == .deadLettered(reason: "gave up after 3 attempt(s): 503"))
        #expect(channel.keys.count == 3)
    }

    @Test func missingChannelIsPermanent() async {
        let dispatcher = MessageDispatcher(channels: [:])
        #expect(await dispatcher.attempt(Fixtures.sms()) == .permanent(reason: "no sms channel is configured"))
    }

    @Test func rateLimitSpacesMessages() async throws {
        let channel = ScriptedChannel([])
        let dispatcher = MessageDispatcher(channels: [.sms: channel], limits: [.sms: ChannelLimits(rateLimit: RateLimit(perSecond: 50, burst: 1))])
        let start = ContinuousClock.now
        for _ in 0..<6 { _ = await dispatcher.attempt(Fixtures.sms()) }
        #expect(ContinuousClock.now - start >= .milliseconds(90))
    }
}

actor SleepRecorder {
    var delays: [Duration] = []
    func record(_ delay: Duration) { delays.append(delay) }
}
