import Foundation
import HeraldSQLite
import Histogram
import JourneyEngine
import Synchronization

/// 3. Event-to-send latency on SQLite (full sync): from an event's acknowledgement (enqueue
/// returned) to the commit of its outbox row, at 25 %, 50 % and 80 % of the maximum rate measured
/// in the same run.
enum LatencyBench {
    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let engine = try DryRunBench.engine(options)
        let n = options.latencyEvents
        // The maximum rate: the same pipeline with the producer unthrottled.
        let max = try await pipeline(options, engine: engine, events: n, rate: nil, label: "max")
        table.add("latency: max pipeline rate (enqueue ∥ process)", max.rate, "events/s", reference: ("p99 ms at max", max.p99))
        for load in [0.25, 0.5, 0.8] {
            let r = try await pipeline(options, engine: engine, events: n, rate: max.rate * load, label: "\(Int(load * 100))")
            let name = "latency @\(Int(load * 100)) % (\(format((max.rate * load).rounded())) ev/s)"
            table.add(name + " p50", r.p50, "ms", reference: ("achieved ev/s", r.rate))
            table.add(
                name + " p99", r.p99, "ms", reference: ("p50 ms", r.p50), target: load == 0.5 ? "< 10 ms" : "—", met: load == 0.5 ? r.p99 < 10 : nil)
            if load == 0.5 {
                table.add(
                    name + " p99 (ratio: ÷ p50)", r.p99, "ms", reference: ("p50 ms", r.p50), target: "≤ 2.5× p50 (#18)", met: r.p99 <= 2.5 * r.p50)
            }
            table.add(name + " p99.9", r.p999, "ms", reference: ("p50 ms", r.p50))
        }
    }

    struct Result {
        var rate: Double
        var p50: Double
        var p99: Double
        var p999: Double
    }

    static func pipeline(_ options: BenchOptions, engine: JourneyEngine, events n: Int, rate: Double?, label: String) async throws -> Result {
        let path = try freshDatabase(options, "latency-\(label)")
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: path, durability: .full))
        let driver = try await StoreDriver(store: store, engine: engine, clockOffset: BenchClock.offset)
        let run = "lat-\(label)-\(Int(BenchClock.now()))"
        // Set-up (not timed), as in SQLiteBench: the customers exist with their profiles, applied
        // 2 h back, so each event's 1 h wait and settle window are behind it when it is processed
        // and its reminder email is decided in the same step: the latency is event to outbox row.
        try await driver.createProfiles(for: (0..<n).map { StoreDriver.event($0, run: run, timestamp: 0) }, acceptedAt: 0)

        let acks = Acks()
        let started = ContinuousClock.now
        let startWall = BenchClock.now()

        // Producer: every millisecond, enqueue the events due by then as one batch (the API's batches).
        let producer = Task {
            var sent = 0
            while sent < n {
                let due: Int
                if let rate {
                    due = Swift.min(n, Int(seconds(since: started) * rate) + 1)
                } else {
                    due = Swift.min(n, sent + 100)
                }
                if due > sent {
                    let batch = (sent..<due).map { StoreDriver.event($0, run: run, timestamp: startWall - 7200) }
                    _ = try await store.enqueue(batch)
                    let at = wallClock()
                    acks.map.withLock { a in for item in batch { a[item.id] = at } }
                    sent = due
                } else {
                    try await Task.sleep(for: .microseconds(500))
                }
            }
        }
        // Processor: as the service's ProcessingService does, a reader pages through the inbox in
        // sequence order as events arrive and the partitions process and commit their batches
        // meanwhile (StoreDriver.drain); each event's commit time is recorded.
        let outcome = try await driver.drain(
            ArrivingInbox(store: store, ownership: driver.ownership, expected: n))
        try await producer.value
        let processed = outcome.inputs
        let outbox = outcome.outbox
        // Every ack is known once the producer is done.
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        try acks.map.withLock { a in
            for (id, at) in outcome.committed {
                guard let ack = a[id] else { throw BenchError("latency \(label): event \(id) committed but never acknowledged") }
                _ = histogram.record(UInt64(Swift.max(0, (at - ack) * 1_000_000)))
            }
        }
        let elapsed = seconds(since: started)
        try expectWorkload("latency \(label): events processed", processed, n)
        try expectWorkload("latency \(label): outbox rows (one reminder email per event)", outbox, n)
        func ms(_ p: Double) -> Double { Double(histogram.valueAtPercentile(p)) / 1000 }
        let r = Result(rate: Double(n) / elapsed, p50: ms(50), p99: ms(99), p999: ms(99.9))
        print(String(format: "  latency %@: %.0f ev/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms", label, r.rate, r.p50, r.p99, r.p999))
        return r
    }
}

/// The inbox rows as they arrive, a page of up to 1,024 after a cursor, until `expected` have been
/// read (an empty page waits half a millisecond and reads again).
struct ArrivingInbox: WorkSource {
    let store: any JourneyStore
    let ownership: ShardOwnership
    let expected: Int
    var cursor: Int64 = 0
    var read = 0

    init(store: any JourneyStore, ownership: ShardOwnership, expected: Int) {
        self.store = store
        self.ownership = ownership
        self.expected = expected
    }

    mutating func nextPage() async throws -> [StoreDriver.Work]? {
        while read < expected {
            let page = try await store.pendingInbox(after: cursor, limit: 1024, ownership: ownership)
            guard let last = page.last else {
                try await Task.sleep(for: .microseconds(500))
                continue
            }
            cursor = last.sequence
            read += page.count
            return page.map { .input($0) }
        }
        return nil
    }
}

/// Acknowledgement times by event id, shared between the producer and the processor.
final class Acks: Sendable {
    let map = Mutex([String: Double]())
}
