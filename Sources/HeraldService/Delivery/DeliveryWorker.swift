import CoreMetrics
import Foundation
import HeraldChannels
import JourneyEngine
import JourneyLanguage
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers the outbox continuously: whenever an attempt finishes, its slot is filled by a fresh
/// claim (leased, its attempt counted before it starts), so no attempt waits for another. Attempts in
/// flight are bounded in all (`concurrency`) and per destination (``DeliverySlots``): a hanging
/// webhook endpoint holds at most its own slots. Each outcome is recorded as soon as it is known —
/// delivered; retrying at T; dead-lettered with the reason — in the store's next group commit, with
/// `message.delivered` / `message.failed` fed back to the customer's inbox in the same transaction.
/// A retry is due at its own time (backoff or `Retry-After`), and the worker wakes for it then.
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
    /// Attempts in flight to one destination at most (and never more than its channel allows).
    let perDestination: Int
    let lease: Double
    private let slots: Mutex<DeliverySlots>

    init(
        store: any JourneyStore, delivery: any MessageDelivery, retry: RetryPolicy, ownership: ShardOwnershipCell,
        signal: Signal, inboxSignal: Signal, metrics: ServiceMetrics, clock: ServiceClock, logger: Logger,
        concurrency: Int = 32, perDestination: Int? = nil, lease: Double = 60
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
        self.concurrency = max(1, concurrency)
        self.perDestination = max(1, perDestination ?? max(1, concurrency / 2))
        self.lease = lease
        self.slots = Mutex(DeliverySlots(concurrency: max(1, concurrency)))
    }

    func run() async throws {
        // A restart means no attempt of ours is in flight: retry those at once.
        try await store.releaseOutboxLeases(now: clock.now())
        await withGracefulShutdownHandler {
            // In-flight attempts finish even during shutdown (the group waits for them), so their
            // outcome is kept; claims still waiting for a slot are given back.
            await withDiscardingTaskGroup { group in
                await self.loop(&group)
                let waiting = self.slots.withLock { $0.stop() }
                let now = self.clock.now()
                await self.giveBack(waiting.map { ($0, now) })
            }
        } onGracefulShutdown: {
            self.signal.notify()
        }
    }

    private func loop(_ group: inout DiscardingTaskGroup) async {
        while !Task.isCancelled && !isShuttingDown {
            let free = slots.withLock { $0.freeSlots }
            if free > 0 {
                let now = clock.now()
                let claims: [OutboxClaim]
                do {
                    claims = try await store.claimOutbox(now: now, leaseFor: lease, limit: free, ownership: ownership)
                } catch {
                    if Task.isCancelled { return }  // the service is stopping
                    logger.error("claiming outbox rows failed", metadata: ["error": "\(error)"])
                    await signal.wait(timeout: 1)
                    continue
                }
                var busy: [(OutboxClaim, retryAt: Double)] = []
                for claim in claims {
                    let destination = delivery.destination(of: claim.message)
                    let limit = min(destination.maxConcurrency, perDestination)
                    switch slots.withLock({ $0.claimed(claim, destination: destination.key, limit: limit, now: now) }) {
                    case .start: group.addTask { await self.work(claim, destination: destination.key) }
                    case .wait: break
                    case .giveBack(let delay): busy.append((claim, now + delay))
                    }
                }
                await giveBack(busy)
                // A full claim means more may be due right now (given-back ones are due later).
                if claims.count == free { continue }
            }
            // Sleep until an attempt finishes (its slot frees), new messages or a retry are due, or
            // the next known attempt time comes.
            var timeout = 5.0
            if free > 0, let next = (try? await store.nextOutboxAttempt(ownership: ownership)) ?? nil {
                timeout = min(timeout, max(0.001, next - clock.now()))
            }
            await signal.wait(timeout: timeout)
        }
    }

    private var isShuttingDown: Bool { Task.isShuttingDownGracefully }

    /// Attempts `first`, then each claim that was waiting for the same destination's slot.
    private func work(_ first: OutboxClaim, destination: String) async {
        var claim = first
        while true {
            let started = ContinuousClock.now
            await attempt(claim)
            let duration = Self.seconds(ContinuousClock.now - started)
            let now = clock.now()
            let handover = slots.withLock {
                $0.finished(destination: destination, now: now, minimumLease: lease / 2, duration: duration)
            }
            await giveBack(handover.giveBack.map { ($0, now) })
            guard let next = handover.start else { break }
            claim = next
        }
        signal.notify()  // a slot is free: claim more
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Returns claims that were never attempted, due again at `retryAt`: their counted attempt is
    /// taken back.
    private func giveBack(_ claims: [(claim: OutboxClaim, retryAt: Double)]) async {
        if claims.isEmpty { return }
        let records = claims.map {
            DeliveryRecord(
                messageID: $0.claim.message.id, token: $0.claim.token, at: $0.retryAt, outcome: .notAttempted(retryAt: $0.retryAt),
                feedback: nil)
        }
        do {
            try await store.recordDeliveries(records)
        } catch {
            // Their leases lapse on their own; the messages are claimed again then.
            logger.error("giving back unattempted claims failed", metadata: ["count": "\(claims.count)", "error": "\(error)"])
        }
    }

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
            case .notAttempted: break
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
