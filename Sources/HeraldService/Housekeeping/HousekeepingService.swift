import CoreMetrics
import JourneyEngine
import JourneyLanguage
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the gauges fresh (timers pending and due, inbox and outbox backlogs), follows the pause
/// switches and split winners other nodes recorded, decides split winners when their rules are
/// due, and prunes what the retention policy no longer needs.
final class HousekeepingService: Service, Sendable {
    let store: any JourneyStore
    let registry: JourneyRegistry
    let timers: NearTimers
    let metrics: ServiceMetrics
    let retention: ServiceConfiguration.Retention
    let clock: ServiceClock
    let logger: Logger
    let statisticsInterval: Double
    /// Per `journey/split`: the rule's last look this node took (see ``decideWinners()``).
    private let winnerLooks = Mutex<[String: Double]>([:])

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
            var gaugesDue = ContinuousClock.now
            while !Task.isCancelled {
                if ContinuousClock.now >= gaugesDue {
                    let started = ContinuousClock.now
                    await self.refreshGauges()
                    gaugesDue = started + Self.gaugePause(interval: .milliseconds(Int64(self.statisticsInterval * 1000)), took: .now - started)
                }
                do {
                    try await self.registry.refreshControls()
                } catch  where !Task.isCancelled {  // cancelled: the service is stopping
                    self.logger.error("reading the journey pause switches failed", metadata: ["error": "\(error)"])
                } catch {
                    break
                }
                await self.refreshRevision()
                await self.decideWinners()
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

    /// Decides the split winners that are due, as the dry-run does (``WinnerVerdict``), from the
    /// per-variant counters the engine's commits keep: a rule is looked at `after` its period from
    /// the split's first entrant (`first_assigned:<split>`), then daily; at each look, each
    /// variant other than the control counts its entrants (`variant:<split>=<v>`) and their
    /// conversions (`converted#<split>=<v>`) over every version of the journey. A winner is
    /// recorded in the store (the arbiter: the first recorded stays, every node adopts it) and
    /// becomes the engine's input, so later entrants go to it.
    func decideWinners() async {
        guard let deployment = registry.current else { return }
        let undecided = WinnerVerdict.rules(in: deployment.catalog).filter { rule in
            !deployment.winners.contains { $0.journey == rule.journey && $0.split == rule.split.name }
        }
        guard !undecided.isEmpty else { return }
        do {
            let counters = try await store.journeyCounters()
            let now = clock.now()
            for (journey, split, rule) in undecided {
                func sum(_ metric: String) -> Int {
                    Int(
                        counters.lazy.filter { $0.key.journey == journey && $0.key.step.isEmpty && $0.key.metric == metric }.map(\.value).reduce(0, +)
                    )
                }
                let firstMetric = JourneyCounter.firstAssignedMetric(split: split.name)
                let first = counters.lazy.filter { $0.key.journey == journey && $0.key.step.isEmpty && $0.key.metric == firstMetric }.map(\.value)
                    .min()
                guard let first, let look = WinnerVerdict.latestLook(first: Double(first) / 1_000_000, rule: rule, now: now) else { continue }
                let key = "\(journey)/\(split.name)"
                guard winnerLooks.withLock({ $0[key] }) != look else { continue }
                winnerLooks.withLock { $0[key] = look }
                let groups = split.variants.filter { !$0.isControl }.map { variant in
                    WinnerVerdict.Group(
                        variant: variant.name, entrants: sum(EngineRecords.variantMetric(split: split.name, variant: variant.name)),
                        conversions: sum(EngineRecords.variantMetric("converted", split: split.name, variant: variant.name)))
                }
                switch WinnerVerdict.judge(journey: journey, split: split.name, rule: rule, groups: groups, at: now) {
                case .winner(let winner):
                    let recorded = try await registry.adoptWinner(winner)
                    logger.notice(
                        "split winner decided",
                        metadata: [
                            "journey": "\(journey)", "split": "\(split.name)", "variant": "\(recorded.variant)",
                            "since": "\(Value.formatTime(recorded.since))", "evidence": "\(recorded.evidence)",
                        ])
                case .undecided(let reason):
                    logger.info("no split winner yet", metadata: ["journey": "\(journey)", "split": "\(split.name)", "reason": "\(reason)"])
                }
            }
        } catch {
            if !Task.isCancelled { logger.error("deciding split winners failed", metadata: ["error": "\(error)"]) }
        }
    }

    /// How long to wait after a gauge refresh that took `took` before the next one.
    ///
    /// The statistics behind the gauges count rows (customers, pending inbox and outbox, timers
    /// pending and due), and a count grows with the store: at millions of customers one refresh
    /// takes a good part of a second, every `interval`, on the same cores and the same database as
    /// the processing it would slow down. So a refresh waits at least 50 times as long as the last
    /// one took: reading the gauges never costs more than 2 % of one core, and on a small store
    /// they stay fresh every `interval`.
    static func gaugePause(interval: Duration, took: Duration) -> Duration {
        max(interval, took * 50)
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
