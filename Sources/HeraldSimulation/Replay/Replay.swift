import Dispatch
import Foundation
public import JourneyEngine
public import JourneyLanguage
import Synchronization

/// Runs a recorded input log through two journey sets (base and candidate) on virtual clocks and
/// compares the sends.
///
/// Each customer runs as the service runs it: a new customer starts with an empty profile, every
/// input is handled at its accepted time (timers that came due before it fire first, as the
/// engine guarantees), an erasure forgets the customer, and a final wake-up at `until` (by default
/// seven days after the last input) fires every timer due by then. The engine is the dry-run's
/// and the service's.
///
/// It streams: the log is read once and split by a hash of the customer id into bucket files of
/// bounded size (a small log stays in memory); each bucket is then read, grouped by customer, and
/// replayed customer by customer on every core. Only the running difference and at most one
/// customer's timelines are kept, so memory is bounded by one bucket, not by the log.
///
/// ```swift
/// let replay = Replay(base: baseCatalog, candidate: candidateCatalog)
/// let result = try replay.run(log: "inputs.ndjson")
/// print(ReplayTextRenderer(result: result).render())
/// ```
public struct Replay: Sendable {
    public let base: JourneyEngine
    public let candidate: JourneyEngine
    /// The candidate as it runs after a deployment at ``ReplayOptions/deployAt``: the candidate's
    /// journeys with the base's versions still held (customers in flight keep theirs, or move as
    /// the candidate declares).
    static func deployed(base: JourneyEngine, candidate: JourneyEngine) -> JourneyEngine {
        var engine = JourneyEngine(
            catalog: candidate.catalog, retainedPrograms: base.heldPrograms, paused: candidate.paused, options: candidate.options)
        engine.audience = candidate.audience
        return engine
    }

    public init(base: JourneyCatalog, candidate: JourneyCatalog) {
        self.base = JourneyEngine(catalog: base)
        self.candidate = JourneyEngine(catalog: candidate)
    }

    public init(base: JourneyEngine, candidate: JourneyEngine) {
        self.base = base
        self.candidate = candidate
    }

    /// Replays the log at `path`. Throws ``LoadFailure`` (every malformed line, with file and
    /// line) before replaying anything when a line cannot be read.
    public func run(log path: String, options: ReplayOptions = ReplayOptions()) throws -> ReplayResult {
        let partition = try InputLogPartition(path: path, bucketBytes: options.bucketBytes, temporaryDirectory: options.temporaryDirectory)
        defer { partition.remove() }
        let until = options.until ?? (partition.lastAcceptedAt ?? 0) + options.horizonAfterLastInput
        var difference = ReplayDifference()
        var comparison: CustomerComparison?
        let workers = max(1, options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        var (learntBase, learntCandidate) = (base, candidate)
        // Sends at the best time fall back to their journey's audience hours, learnt from the log's
        // engagement events (a first pass, as the dry-run does and the service's counters hold).
        if base.catalog.sendsAtBestTime || candidate.catalog.sendsAtBestTime {
            let (b, c) = try Self.audienceHours(partition, base: base, candidate: candidate, until: until, workers: workers)
            learntBase.audience = b
            learntCandidate.audience = c
        }
        let (base, candidate, focus) = (learntBase, learntCandidate, options.customer)
        let deployAt = options.deployAt
        let deployed = deployAt == nil ? candidate : Self.deployed(base: base, candidate: candidate)
        for bucket in 0..<partition.bucketCount {
            let records = try partition.records(inBucket: bucket)
            var byCustomer: [String: [InputLogRecord]] = [:]
            for record in records { byCustomer[record.customerID, default: []].append(record) }
            let ids = byCustomer.keys.sorted()
            let grouped = byCustomer
            let slices = ids.isEmpty ? 0 : min(ids.count, workers == 1 ? 1 : workers * 8)
            let done = Mutex<(ReplayDifference, CustomerComparison?)>((ReplayDifference(), nil))
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                var part = ReplayDifference()
                var found: CustomerComparison?
                for id in ids[(ids.count * slice / slices)..<(ids.count * (slice + 1) / slices)] {
                    var own = grouped[id]!
                    own.sort { $0.acceptedAt != $1.acceptedAt ? $0.acceptedAt < $1.acceptedAt : $0.line < $1.line }
                    let before = Self.replay(id: id, records: own, engine: base, until: until)
                    let after =
                        if let deployAt {
                            Self.replay(id: id, records: own, engine: base, until: until, switchingTo: deployed, at: deployAt)
                        } else {
                            Self.replay(id: id, records: own, engine: candidate, until: until)
                        }
                    part.add(customer: id, base: before, candidate: after)
                    if id == focus { found = CustomerComparison(id: id, base: before, candidate: after) }
                }
                done.withLock {
                    $0.0.merge(part)
                    if let found { $0.1 = found }
                }
            }
            let (part, found) = done.withLock { $0 }
            difference.merge(part)
            if let found { comparison = found }
        }
        return ReplayResult(
            log: path, inputCount: partition.inputCount, from: partition.firstAcceptedAt, lastInput: partition.lastAcceptedAt, until: until,
            horizonAfterLastInput: options.until == nil ? options.horizonAfterLastInput : nil, difference: difference,
            customer: comparison, buckets: partition.bucketCount)
    }

    /// The journeys' audience hours each engine learns from the log: its `sendTimeEngagement`
    /// records (they depend on the events, not on any send time).
    static func audienceHours(
        _ partition: InputLogPartition, base: JourneyEngine, candidate: JourneyEngine, until: Double, workers: Int
    ) throws -> (AudienceHours, AudienceHours) {
        let found = Mutex<([TimelineRecord], [TimelineRecord])>(([], []))
        for bucket in 0..<partition.bucketCount {
            var byCustomer: [String: [InputLogRecord]] = [:]
            for record in try partition.records(inBucket: bucket) { byCustomer[record.customerID, default: []].append(record) }
            let ids = byCustomer.keys.sorted()
            let grouped = byCustomer
            let slices = ids.isEmpty ? 0 : min(ids.count, workers == 1 ? 1 : workers * 8)
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                var records: ([TimelineRecord], [TimelineRecord]) = ([], [])
                func engagement(_ r: TimelineRecord) -> Bool { if case .sendTimeEngagement = r.kind { true } else { false } }
                for id in ids[(ids.count * slice / slices)..<(ids.count * (slice + 1) / slices)] {
                    var own = grouped[id]!
                    own.sort { $0.acceptedAt != $1.acceptedAt ? $0.acceptedAt < $1.acceptedAt : $0.line < $1.line }
                    records.0 += replay(id: id, records: own, engine: base, until: until).timeline.filter(engagement)
                    records.1 += replay(id: id, records: own, engine: candidate, until: until).timeline.filter(engagement)
                }
                found.withLock {
                    $0.0 += records.0
                    $0.1 += records.1
                }
            }
        }
        let (b, c) = found.withLock { $0 }
        return (AudienceHours(timeline: b), AudienceHours(timeline: c))
    }

    /// One customer's inputs through one journey set: what the service would have done.
    ///
    /// With `switchingTo`, the inputs before `at` run on `engine` and the rest on the engine
    /// switched to, as a deployment at `at` would: the customer is woken at `at` on the new engine
    /// (what the service's migration sweep does), so a migration the new journeys declare
    /// applies at that instant.
    public static func replay(
        id: String, records: [InputLogRecord], engine: JourneyEngine, until: Double, switchingTo next: JourneyEngine? = nil,
        at switchAt: Double = .infinity
    ) -> CustomerReplay {
        var state = CustomerState(profile: CustomerProfile(id: id))
        var output = EngineOutput()
        var engine = engine
        var switched = next == nil
        for record in records where record.acceptedAt <= until {
            if !switched, record.acceptedAt >= switchAt, let next {
                engine.handle(.wake, state: &state, now: switchAt, appendingTo: &output)
                engine = next
                engine.handle(.wake, state: &state, now: switchAt, appendingTo: &output)
                switched = true
            }
            switch record.kind {
            case .event(let event): engine.handle(.event(event), state: &state, now: record.acceptedAt, appendingTo: &output)
            case .profile(let profile): engine.handle(.profile(profile), state: &state, now: record.acceptedAt, appendingTo: &output)
            case .erasure:
                // What was due before the erasure happened; then the customer is forgotten.
                engine.handle(.wake, state: &state, now: record.acceptedAt, appendingTo: &output)
                state = CustomerState(profile: CustomerProfile(id: id))
            }
        }
        if !switched, switchAt <= until, let next {
            engine.handle(.wake, state: &state, now: switchAt, appendingTo: &output)
            engine = next
            engine.handle(.wake, state: &state, now: switchAt, appendingTo: &output)
        }
        engine.handle(.wake, state: &state, now: until, appendingTo: &output)
        return CustomerReplay(timeline: output.timeline, outbox: output.outbox)
    }
}

/// What one customer's replay produced.
public struct CustomerReplay: Sendable {
    public var timeline: [TimelineRecord]
    public var outbox: [OutboxMessage]
    public init(timeline: [TimelineRecord], outbox: [OutboxMessage]) {
        self.timeline = timeline
        self.outbox = outbox
    }
}

/// One customer's two runs, for `--customer`.
public struct CustomerComparison: Sendable {
    public var id: String
    public var base: CustomerReplay
    public var candidate: CustomerReplay
}

public struct ReplayOptions: Sendable {
    /// End of the replay (default: the last input plus `horizonAfterLastInput`).
    public var until: Double?
    /// How long after the last input timers still fire (7 days, as the dry-run).
    public var horizonAfterLastInput: Double
    /// Keep this customer's two timelines (``ReplayResult/customer``).
    public var customer: String?
    /// When set, the candidate is deployed at this instant instead of running from the start: the
    /// candidate side replays the base until then and the candidate (holding the base's versions)
    /// after, so customers in flight stay on their version or move as the candidate declares
    /// (`migrate …`), as in the service.
    public var deployAt: Double?
    /// Threads (default: one per core); the result does not depend on it.
    public var threads: Int?
    /// The size of the log read into memory at a time: a larger log is split into buckets of
    /// about this many bytes in `temporaryDirectory`.
    public var bucketBytes: Int
    public var temporaryDirectory: String?

    public init(
        until: Double? = nil, horizonAfterLastInput: Double = 7 * 86_400, customer: String? = nil, threads: Int? = nil,
        bucketBytes: Int = 64 << 20, temporaryDirectory: String? = nil
    ) {
        self.until = until
        self.horizonAfterLastInput = horizonAfterLastInput
        self.customer = customer
        self.threads = threads
        self.bucketBytes = bucketBytes
        self.temporaryDirectory = temporaryDirectory
    }
}

public struct ReplayResult: Sendable {
    public var log: String
    public var inputCount: Int
    /// The first and last accepted time in the log (`nil` for an empty log).
    public var from: Double?
    public var lastInput: Double?
    public var until: Double
    /// Set when `until` was the default (the horizon after the last input).
    public var horizonAfterLastInput: Double?
    public var difference: ReplayDifference
    public var customer: CustomerComparison?
    /// How many buckets the log was split into (1: it was replayed in memory).
    public var buckets: Int
}

/// The log split by customer: in memory when small, else one temporary file per bucket.
struct InputLogPartition {
    private(set) var bucketCount = 1
    private(set) var inputCount = 0
    private(set) var firstAcceptedAt: Double?
    private(set) var lastAcceptedAt: Double?
    private var inMemory: [InputLogRecord] = []
    private var directory: URL?
    private let file: String

    init(path: String, bucketBytes: Int, temporaryDirectory: String?) throws {
        file = path
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        bucketCount = max(1, Int((Double(size) / Double(max(1, bucketBytes))).rounded(.up)))
        var reader = try LineReader(path: path)
        defer { reader.close() }
        var issues: [LoadIssue] = []
        var buffers: [[UInt8]] = []
        var handles: [FileHandle] = []
        if bucketCount > 1 {
            let base = URL(fileURLWithPath: temporaryDirectory ?? NSTemporaryDirectory())
            let dir = base.appendingPathComponent("herald-replay-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            directory = dir
            for k in 0..<bucketCount {
                let url = dir.appendingPathComponent("bucket-\(k).ndjson")
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                guard let handle = FileHandle(forWritingAtPath: url.path) else { throw Message("\(url.path): cannot write a bucket file") }
                handles.append(handle)
            }
            buffers = Array(repeating: [], count: bucketCount)
        }
        defer { for handle in handles { try? handle.close() } }
        // Blocks of lines are parsed on every core, then routed in file order.
        var block: [(Int, Substring)] = []
        block.reserveCapacity(Self.blockLines)
        var finished = false
        while !finished {
            block.removeAll(keepingCapacity: true)
            while block.count < Self.blockLines, let (number, line) = try reader.next() {
                if !line.allSatisfy(\.isWhitespace) { block.append((number, line)) }
            }
            if block.isEmpty { break }
            for (k, parsed) in Self.parse(block, file: path).enumerated() {
                let record: InputLogRecord
                switch parsed {
                case .success(let r): record = r
                case .failure(let issue):
                    issues.append(issue)
                    if issues.count >= 20 { finished = true }
                    continue
                }
                inputCount += 1
                firstAcceptedAt = min(firstAcceptedAt ?? record.acceptedAt, record.acceptedAt)
                lastAcceptedAt = max(lastAcceptedAt ?? record.acceptedAt, record.acceptedAt)
                guard bucketCount > 1 else {
                    inMemory.append(record)
                    continue
                }
                let b = Int(Self.hash(record.customerID) % UInt64(bucketCount))
                buffers[b].append(contentsOf: "\(block[k].0)\t".utf8)
                buffers[b].append(contentsOf: block[k].1.utf8)
                buffers[b].append(0x0A)
                if buffers[b].count >= 1 << 18 {
                    try handles[b].write(contentsOf: buffers[b])
                    buffers[b].removeAll(keepingCapacity: true)
                }
            }
        }
        if !issues.isEmpty {
            remove()
            throw LoadFailure(issues: issues)
        }
        for k in 0..<buffers.count where !buffers[k].isEmpty { try handles[k].write(contentsOf: buffers[k]) }
    }

    /// The records of one bucket, in log order.
    func records(inBucket k: Int) throws -> [InputLogRecord] {
        guard let directory else { return inMemory }
        var reader = try LineReader(path: directory.appendingPathComponent("bucket-\(k).ndjson").path)
        defer { reader.close() }
        var lines: [(Int, Substring)] = []
        while let (_, line) = try reader.next() {
            guard let tab = line.firstIndex(of: "\t"), let number = Int(line[..<tab]) else { continue }
            lines.append((number, line[line.index(after: tab)...]))
        }
        return try Self.parse(lines, file: file).map { try $0.get() }
    }

    static let blockLines = 16_384

    /// Parses lines on every core (in contiguous slices), results in line order.
    static func parse(_ lines: [(Int, Substring)], file: String) -> [Result<InputLogRecord, LoadIssue>] {
        let slices = lines.count < 1_024 ? 1 : min(lines.count / 256, max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
        let done = Mutex([[Result<InputLogRecord, LoadIssue>]](repeating: [], count: slices))
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let range = (lines.count * slice / slices)..<(lines.count * (slice + 1) / slices)
            var results: [Result<InputLogRecord, LoadIssue>] = []
            results.reserveCapacity(range.count)
            for k in range {
                do throws(LoadIssue) {
                    results.append(.success(try InputLog.parse(lines[k].1, file: file, number: lines[k].0)))
                } catch {
                    results.append(.failure(error))
                }
            }
            done.withLock { $0[slice] = results }
        }
        return done.withLock { $0.flatMap { $0 } }
    }

    func remove() {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// FNV-1a: stable across runs (Swift's `hashValue` is seeded per process).
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h &*= 0x100_0000_01b3
        }
        return h
    }
}
