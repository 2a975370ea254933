import CoreMetrics
import Foundation
import HeraldChannels
import JourneyEngine
import JourneyLanguage
import Logging
import ServiceLifecycle
import Synchronization

/// Claims outbox rows under a lease, delivers them through the channel adapters with bounded
/// concurrency, records each outcome as soon as it is known (delivered; retrying at T; dead-lettered
/// with the reason) and feeds `message.delivered` / `message.failed` back to the customer's inbox in
/// the same transaction.
final class DeliveryWorker: Service, Sendable {
    let store: any JourneyStore
    let delivery: any MessageDelivery
    let retry: RetryPolicy
    let ownershipCell: ShardOwnershipCell
    var ownership: ShardOwnership { ownershipCell.current }
    let signal: Signal
    let inboxSignal: Signal
    let metrics: ServiceMetrics
    let clock: ServiceClock
    let logger: Logger
    let concurrency: Int
    let lease: Double

    init(
        store: any JourneyStore, delivery: any MessageDelivery, retry: RetryPolicy, ownership: ShardOwnershipCell,
        signal: Signal, inboxSignal: Signal, metrics: ServiceMetrics, clock: ServiceClock, logger: Logger,
        concurrency: Int = 32, lease: Double = 60
    ) {
        self.store = store
        self.delivery = delivery
        self.retry = retry
        self.ownershipCell = ownership
        self.signal = signal
        self.inboxSignal = inboxSignal
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.concurrency = concurrency
        self.lease = lease
    }

    func run() async throws {
        // A restart means no attempt of ours is in flight: retry those at once.
        try await store.releaseOutboxLeases(now: clock.now())
        await withGracefulShutdownHandler {
            await self.loop()
        } onGracefulShutdown: {
            self.signal.notify()
        }
    }

    private func loop() async {
        while !Task.isCancelled && !isShuttingDown {
            let now = clock.now()
            let claims: [OutboxClaim]
            do {
                claims = try await store.claimOutbox(now: now, leaseFor: lease, limit: concurrency, ownership: ownership)
            } catch {
                if Task.isCancelled { return }  // the service is stopping
                logger.error("claiming outbox rows failed", metadata: ["error": "\(error)"])
                await signal.wait(timeout: 1)
                continue
            }
            if claims.isEmpty {
                let next = (try? await store.nextOutboxAttempt(ownership: ownership)) ?? nil
                await signal.wait(timeout: min(5, max(0.001, (next ?? .infinity) - clock.now())))
                continue
            }
            // Each message is delivered and recorded on its own; the store's group commit batches
            // the records. In-flight attempts finish even during shutdown, so their outcome is kept.
            await withTaskGroup(of: Void.self) { group in
                for claim in claims {
                    group.addTask { await self.attempt(claim) }
                }
            }
        }
    }

    private var isShuttingDown: Bool { Task.isShuttingDownGracefully }

    func attempt(_ claim: OutboxClaim) async {
        let started = ContinuousClock.now
        let result = await delivery.deliver(claim.message, attempt: claim.attempts)
        metrics.deliveryLatency.recordElapsed(since: started)
        let now = clock.now()
        let message = claim.message
        let record: DeliveryRecord
        switch retry.decision(after: result, attempt: claim.attempts + 1, randomFraction: .random(in: 0...1)) {
        case .delivered(let providerID):
            let detail = providerID.map { "provider id \($0)" } ?? "delivered"
            record = DeliveryRecord(
                messageID: message.id, token: claim.token, at: now, outcome: .delivered(detail: detail),
                feedback: feedback(message, delivered: true, detail: detail, at: now))
        case .retry(let delay):
            guard case .transient(let reason, _) = result else { preconditionFailure("only a transient failure is retried") }
            record = DeliveryRecord(
                messageID: message.id, token: claim.token, at: now, outcome: .retry(at: now + delay.seconds, reason: reason), feedback: nil)
        case .deadLetter(let reason):
            record = DeliveryRecord(
                messageID: message.id, token: claim.token, at: now, outcome: .deadLettered(reason: reason),
                feedback: feedback(message, delivered: false, detail: reason, at: now))
        }
        do {
            let recorded = try await store.recordDeliveries([record])
            guard recorded.contains(message.id) else {
                logger.warning("delivery outcome not recorded: the lease lapsed", metadata: ["message": "\(message.id)"])
                return
            }
            switch record.outcome {
            case .delivered: metrics.sendsDelivered.increment()
            case .retry: metrics.sendsRetried.increment()
            case .deadLettered(let reason):
                metrics.sendsDeadLettered.increment()
                logger.warning("message dead-lettered", metadata: ["message": "\(message.id)", "reason": "\(reason)"])
            }
            if record.feedback != nil { inboxSignal.notify() }
            if case .retry = record.outcome { signal.notify() }
        } catch {
            logger.error("recording a delivery outcome failed", metadata: ["message": "\(message.id)", "error": "\(error)"])
        }
    }

    /// The inbox item that tells the engine what happened (idempotent by message id).
    private func feedback(_ message: OutboxMessage, delivered: Bool, detail: String, at: Double) -> InboxItem {
        InboxItem(
            id: "delivery:" + message.id, customerID: message.customerID,
            payload: .deliveryOutcome(messageID: message.id, delivered: delivered, detail: detail), acceptedAt: at)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
