import CoreMetrics
import JourneyEngine
import Logging
import ServiceLifecycle

/// Keeps the gauges fresh (timers pending and due, inbox and outbox backlogs) and prunes what the
/// retention policy no longer needs.
final class HousekeepingService: Service, Sendable {
    let store: any JourneyStore
    let registry: JourneyRegistry
    let timers: NearTimers
    let metrics: ServiceMetrics
    let retention: ServiceConfiguration.Retention
    let clock: ServiceClock
    let logger: Logger
    let statisticsInterval: Double

    init(
        store: any JourneyStore, registry: JourneyRegistry, timers: NearTimers, metrics: ServiceMetrics, retention: ServiceConfiguration.Retention,
        clock: ServiceClock, logger: Logger, statisticsInterval: Double = 5
    ) {
        self.store = store
        self.registry = registry
        self.timers = timers
        self.metrics = metrics
        self.retention = retention
        self.clock = clock
        self.logger = logger
        self.statisticsInterval = statisticsInterval
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastPrune = self.clock.now()
            while !Task.isCancelled {
                await self.refreshGauges()
                do {
                    try await self.registry.refreshControls()
                } catch  where !Task.isCancelled {  // cancelled: the service is stopping
                    self.logger.error("reading the journey pause switches failed", metadata: ["error": "\(error)"])
                } catch {
                    break
                }
                await self.refreshRevision()
                let now = self.clock.now()
                if now - lastPrune >= self.retention.intervalSeconds {
                    lastPrune = now
                    await self.prune()
                }
                try? await Task.sleep(for: .milliseconds(Int64(self.statisticsInterval * 1000)))
            }
        }
    }

    /// Deploys the cluster's current revision when another node recorded a newer one.
    func refreshRevision() async {
        do {
            if let revision = try await registry.refreshRevision() {
                logger.notice("deployed the cluster's current journey revision", metadata: ["revision": "\(revision.number)"])
            }
        } catch let refused as JourneyRegistry.Refused {
            logger.error(
                "the cluster's current journey revision does not check here; the running one stays",
                metadata: ["diagnostics": "\(refused.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.message)" })"])
        } catch {
            if !Task.isCancelled { logger.error("reading the current journey revision failed", metadata: ["error": "\(error)"]) }
        }
    }

    func refreshGauges() async {
        guard let s = try? await store.statistics(now: clock.now()) else { return }
        metrics.timersPending.record(s.timersPending)
        metrics.timersDue.record(s.timersDue)
        metrics.timersInMemory.record(timers.count)
        metrics.inboxPending.record(s.pendingInbox)
        metrics.outboxPending.record(s.pendingOutbox)
        metrics.deadLetters.record(s.deadLetters)
        metrics.customers.record(s.customers)
    }

    func prune() async {
        do {
            let report = try await store.prune(retention.policy, now: clock.now())
            logger.info(
                "retention pruned",
                metadata: [
                    "events": "\(report.events)", "messages": "\(report.messages)",
                    "dead_letters": "\(report.deadLetters)", "log_entries": "\(report.logEntries)", "inputs": "\(report.inputs)",
                ])
        } catch {
            logger.error("retention pruning failed", metadata: ["error": "\(error)"])
        }
    }
}
