import Foundation
import JourneyLanguage
import Synchronization
import Testing

@testable import HeraldChannels

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
        let channel = ScriptedChannel([
            .transient(reason: "500", retryAfter: nil), .transient(reason: "timeout", retryAfter: nil), .delivered(providerMessageID: "p1"),
        ])
        let slept = SleepRecorder()
        let dispatcher = MessageDispatcher(
            channels: [.sms: channel], retryPolicy: RetryPolicy(maxAttempts: 5, baseDelay: .seconds(1)), random: { 0.5 },
            sleep: { await slept.record($0) })
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
