import Foundation

/// Command-line flags.
struct BenchOptions {
    var customers = 1_000_000
    var sqliteEvents = 50_000
    var singleCommits = 2_000
    var latencyEvents = 20_000
    var timers = 1_000_000
    var httpConnections = 16
    var postgresEvents = 20_000
    var webhooks = 20_000
    var smtpMessages = 2_000
    var consoleCustomers = 100_000
    /// The scaling section's sizes (`--only scaling`).
    var scalingCustomers = [10_000, 100_000, 1_000_000]
    var scalingWaiting = [0, 1_000_000, 10_000_000]
    var scalingTimers = [100_000, 1_000_000, 10_000_000]
    /// The instant the store sections' clock starts at (BenchClock).
    var startTime = BenchClock.defaultStart
    var journeys = "Journeys"
    var dataDirectory = ".build/herald-bench"
    var only: Set<String> = []
    var help = false

    static let usage = """
        usage: herald-bench [--customers N] [--sqlite-events N] [--single-commits N] [--latency-events N]
                            [--timers N] [--http-connections N] [--postgres-events N] [--webhooks N] [--smtp N]
                            [--console-customers N] [--start-time HH:MM|ISO-8601] [--journeys DIR] [--data DIR]
                            [--scaling-customers N,N,...] [--scaling-waiting N,N,...] [--scaling-timers N,N,...]
                            [--only dry-run,replay,sqlite,http,latency,timers,postgres,delivery,lsp,console,send-time,
                                   scaling]
        Defaults: 1,000,000 dry-run customers, 50,000 SQLite events, 2,000 single-row commits,
        20,000 events per latency level, 1,000,000 waiting timers, 16 wrk connections for HTTP,
        20,000 PostgreSQL events, 20,000 webhooks, 2,000 SMTP messages, 100,000 customers behind the console.
        scaling runs only when --only names it: dry-run per customer at --scaling-customers (default
        10k,100k,1M), SQLite processing with --scaling-waiting instances waiting (default 0,1M,10M; 10M is
        about 10 GB of disk), firing --scaling-timers timers due in one minute (default 100k,1M,10M).
        --start-time: the instant the clock of the sections that run the engine on a store (sqlite, latency,
        timers, postgres) starts at, whatever the hour on this machine; default 12:00 (2026-03-02 12:00 UTC),
        outside the sample policy's quiet hours. HH:MM is that day in UTC; e.g. --start-time 23:00 puts
        the sends in quiet hours, and the sections then fail on their workload checks.
        The 10M-instance memory check: --only timers --timers 10000000 (about 6.5 GB of disk; about 6
        minutes to create; RSS printed once created).
        The SQLite files go in --data (default .build/herald-bench, on the same disk as a real store).
        """

    static func parse(_ arguments: [String]) throws -> BenchOptions {
        var o = BenchOptions()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < arguments.count else { throw BenchError("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        func number() throws -> Int {
            let text = try value().replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: "")
            guard let n = Int(text), n > 0 else { throw BenchError("\(arguments[i - 1]) needs a positive number") }
            return n
        }
        func sizes() throws -> [Int] {
            let text = try value().replacingOccurrences(of: "_", with: "")
            let sizes = text.split(separator: ",").compactMap { Int($0) }
            guard !sizes.isEmpty, sizes.count == text.split(separator: ",").count, sizes.allSatisfy({ $0 >= 0 }) else {
                throw BenchError("\(arguments[i - 1]) needs sizes separated by commas, such as 0,1000000,3000000")
            }
            return sizes
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--customers": o.customers = try number()
            case "--sqlite-events": o.sqliteEvents = try number()
            case "--single-commits": o.singleCommits = try number()
            case "--latency-events": o.latencyEvents = try number()
            case "--timers": o.timers = try number()
            case "--http-connections": o.httpConnections = try number()
            case "--postgres-events": o.postgresEvents = try number()
            case "--webhooks": o.webhooks = try number()
            case "--smtp": o.smtpMessages = try number()
            case "--console-customers": o.consoleCustomers = try number()
            case "--start-time": o.startTime = try BenchClock.parse(try value())
            case "--scaling-customers": o.scalingCustomers = try sizes()
            case "--scaling-waiting": o.scalingWaiting = try sizes()
            case "--scaling-timers": o.scalingTimers = try sizes()
            case "--journeys": o.journeys = try value()
            case "--data": o.dataDirectory = try value()
            case "--only": o.only = Set(try value().split(separator: ",").map(String.init))
            case "-h", "--help": o.help = true
            default: throw BenchError("unknown argument \(arguments[i])")
            }
            i += 1
        }
        return o
    }

    /// Sections run by default, or those `--only` names; `scaling` only when named (it takes long).
    func selected(_ name: String) -> Bool { only.contains(name) || (only.isEmpty && name != "scaling") }
}

/// A section measured other work than it is meant to: herald-bench exits with status 1.
struct WorkloadError: Error, CustomStringConvertible {
    var description: String
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One line of the table.
struct ResultRow {
    var benchmark: String
    var figure: String
    var unit: String
    var reference: String
    var ratio: String
    var target: String
    var verdict: String
}

struct ResultTable {
    var rows: [ResultRow] = []

    /// A figure with its reference. `target` describes the target; `met` is nil when there is none.
    mutating func add(
        _ benchmark: String, _ figure: Double, _ unit: String, reference: (String, Double)? = nil, target: String = "—",
        met: Bool? = nil
    ) {
        var refText = "—"
        var ratio = "—"
        if let reference {
            let (name, value) = reference
            refText = "\(format(value)) (\(name))"
            ratio = value == 0 ? "—" : String(format: "%.3f", figure / value)
        }
        let verdict = met.map { $0 ? "met" : "MISSED" } ?? "—"
        rows.append(
            ResultRow(benchmark: benchmark, figure: format(figure), unit: unit, reference: refText, ratio: ratio, target: target, verdict: verdict))
        Swift.print("  \(benchmark): \(format(figure)) \(unit)  ref \(refText)  ratio \(ratio)  target \(target)  \(verdict)")
    }

    mutating func notRun(_ benchmark: String, reason: String) {
        rows.append(ResultRow(benchmark: benchmark, figure: "not run", unit: "", reference: "—", ratio: "—", target: "—", verdict: reason))
        Swift.print("  \(benchmark): not run — \(reason)")
    }

    func print() {
        let header = ResultRow(
            benchmark: "benchmark", figure: "figure", unit: "unit", reference: "reference (same run)", ratio: "ratio", target: "target",
            verdict: "met/missed")
        let all = [header] + rows
        func width(_ key: KeyPath<ResultRow, String>) -> Int { all.map { $0[keyPath: key].count }.max() ?? 0 }
        let w = [width(\.benchmark), width(\.figure), width(\.unit), width(\.reference), width(\.ratio), width(\.target)]
        func line(_ r: ResultRow) -> String {
            func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
            return "| "
                + [
                    pad(r.benchmark, w[0]), pad(r.figure, w[1]), pad(r.unit, w[2]), pad(r.reference, w[3]), pad(r.ratio, w[4]), pad(r.target, w[5]),
                    r.verdict,
                ].joined(separator: " | ") + " |"
        }
        Swift.print(line(header))
        Swift.print("|" + w.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|---|")
        for row in rows { Swift.print(line(row)) }
    }
}

func format(_ value: Double) -> String {
    if value == value.rounded(), abs(value) >= 1000 {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.usesGroupingSeparator = true
        formatter.groupingSeparator = ","
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: value)) ?? "\(value)"
    }
    if abs(value) >= 1000 { return format(value.rounded()) }
    if abs(value) >= 10 { return String(format: "%.1f", value) }
    return String(format: "%.3f", value)
}

enum Machine {
    /// A field of /proc/self/status in bytes (VmHWM, VmRSS).
    static func status(_ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Double(parts[1]) { return kb * 1024 }
        }
        return 0
    }

    static var memoryDescription: String {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") })
        else { return "memory unknown" }
        let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        return String(format: "%.1f GiB memory", kb / 1024 / 1024)
    }
}

/// Seconds elapsed since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now)
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func wallClock() -> Double { Date().timeIntervalSince1970 }

/// The clock of the sections that run the engine against a store (sqlite, latency, timers,
/// postgres): this machine's elapsed time on a calendar that starts, at each section, at a pinned
/// instant (`--start-time`, by default 2026-03-02 12:00 UTC). The delivery policy's quiet hours
/// (21:00–08:00) then never fall on the bench's sends, whatever the hour the bench runs at: run on
/// the wall clock at 22:50 UTC, the reminders fell in quiet hours and "fully processed" wrote no
/// outbox row at all (issue #18), a different and cheaper workload. Sections that start the real
/// server on its system clock (http, console) keep the wall clock.
enum BenchClock {
    /// 2026-03-02 12:00:00 UTC, a Monday (DryRunBench's calendar, three hours later).
    static let defaultStart: Double = 1_772_452_800

    /// Pinned time minus wall time; set by `pin` before a section starts, read during it.
    nonisolated(unsafe) private(set) static var offset: Double = 0

    /// From now on, `now()` reads `start` plus the time elapsed since this call.
    static func pin(at start: Double) { offset = start - wallClock() }

    static func now() -> Double { wallClock() + offset }

    /// `HH:MM` (that time on 2026-03-02, UTC), an ISO 8601 instant, or Unix seconds.
    static func parse(_ text: String) throws -> Double {
        let parts = text.split(separator: ":")
        if parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0..<24).contains(hours), (0..<60).contains(minutes) {
            return 1_772_409_600 + Double(hours * 3600 + minutes * 60)  // 2026-03-02 00:00 UTC
        }
        if let seconds = Double(text) { return seconds }
        if let date = ISO8601DateFormatter().date(from: text) { return date.timeIntervalSince1970 }
        throw BenchError("--start-time \(text): expected HH:MM (UTC), an ISO 8601 instant such as 2026-03-02T23:00:00Z, or Unix seconds")
    }
}

/// Fails a section whose work differs from the work it is meant to measure (a figure for other
/// work is not comparable with earlier runs).
func expectWorkload(_ what: String, _ actual: Int, _ expected: Int) throws {
    guard actual == expected else {
        throw WorkloadError(
            description: "workload check failed: \(what): \(actual), expected \(expected) (is the clock in quiet hours? see --start-time)")
    }
    print("  workload: \(what): \(actual) as expected")
}

/// Keeps the optimiser from discarding a computation.
@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

/// The middle value (the mean of the two middle ones for an even count); 0 for none.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
