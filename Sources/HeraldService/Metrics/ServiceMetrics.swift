import CoreMetrics
public import Prometheus

/// The service's metrics, created on one Prometheus registry that `/metrics` renders. Created
/// through an explicit factory (not the process-wide bootstrap) so several servers can run in one
/// test process.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let eventsAccepted: CoreMetrics.Counter
    let eventsDuplicate: CoreMetrics.Counter
    let inputsProcessed: CoreMetrics.Counter
    let transitions: CoreMetrics.Counter
    let batchFailures: CoreMetrics.Counter
    let timersFired: CoreMetrics.Counter
    let timersStale: CoreMetrics.Counter
    let timerLateness: CoreMetrics.Timer
    let sendsDelivered: CoreMetrics.Counter
    let sendsRetried: CoreMetrics.Counter
    let sendsDeadLettered: CoreMetrics.Counter
    let outboxCreated: CoreMetrics.Counter
    let ingestLatency: CoreMetrics.Timer
    let processLatency: CoreMetrics.Timer
    let deliveryLatency: CoreMetrics.Timer
    let timersPending: CoreMetrics.Gauge
    let timersDue: CoreMetrics.Gauge
    let timersInMemory: CoreMetrics.Gauge
    let inboxPending: CoreMetrics.Gauge
    let outboxPending: CoreMetrics.Gauge
    let deadLetters: CoreMetrics.Gauge
    let customers: CoreMetrics.Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        eventsAccepted = CoreMetrics.Counter(label: "herald_events_accepted_total", factory: factory)
        eventsDuplicate = CoreMetrics.Counter(label: "herald_events_duplicate_total", factory: factory)
        inputsProcessed = CoreMetrics.Counter(label: "herald_inputs_processed_total", factory: factory)
        transitions = CoreMetrics.Counter(label: "herald_transitions_total", factory: factory)
        batchFailures = CoreMetrics.Counter(label: "herald_processing_failures_total", factory: factory)
        timersFired = CoreMetrics.Counter(label: "herald_timers_fired_total", factory: factory)
        timersStale = CoreMetrics.Counter(label: "herald_timers_stale_total", factory: factory)
        timerLateness = CoreMetrics.Timer(label: "herald_timer_lateness_seconds", factory: factory)
        sendsDelivered = CoreMetrics.Counter(label: "herald_sends_total", dimensions: [("outcome", "delivered")], factory: factory)
        sendsRetried = CoreMetrics.Counter(label: "herald_sends_total", dimensions: [("outcome", "retry")], factory: factory)
        sendsDeadLettered = CoreMetrics.Counter(label: "herald_sends_total", dimensions: [("outcome", "dead_lettered")], factory: factory)
        outboxCreated = CoreMetrics.Counter(label: "herald_outbox_messages_total", factory: factory)
        ingestLatency = CoreMetrics.Timer(label: "herald_ingest_seconds", factory: factory)
        processLatency = CoreMetrics.Timer(label: "herald_process_batch_seconds", factory: factory)
        deliveryLatency = CoreMetrics.Timer(label: "herald_delivery_attempt_seconds", factory: factory)
        timersPending = CoreMetrics.Gauge(label: "herald_timers_pending", factory: factory)
        timersDue = CoreMetrics.Gauge(label: "herald_timers_due", factory: factory)
        timersInMemory = CoreMetrics.Gauge(label: "herald_timers_in_memory", factory: factory)
        inboxPending = CoreMetrics.Gauge(label: "herald_inbox_pending", factory: factory)
        outboxPending = CoreMetrics.Gauge(label: "herald_outbox_pending", factory: factory)
        deadLetters = CoreMetrics.Gauge(label: "herald_dead_letters", factory: factory)
        customers = CoreMetrics.Gauge(label: "herald_customers", factory: factory)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
