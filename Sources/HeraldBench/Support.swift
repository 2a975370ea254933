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
    var journeys = "Journeys"
    var dataDirectory = ".build/herald-bench"
    var only: Set<String> = []
    var help = false

    static let usage = """
        usage: herald-bench [--customers N] [--sqlite-events N] [--single-commits N] [--latency-events N]
                            [--timers N] [--http-connections N] [--postgres-events N] [--webhooks N] [--smtp N]
                            [--console-customers N] [--journeys DIR] [--data DIR]
                            [--only dry-run,replay,sqlite,http,latency,timers,postgres,delivery,lsp,console,send-time]
        Defaults: 1,000,000 dry-run customers, 50,000 SQLite events, 2,000 single-row commits,
        20,000 events per latency level, 1,000,000 waiting timers, 16 wrk connections for HTTP,
        20,000 PostgreSQL events, 20,000 webhooks, 2,000 SMTP messages, 100,000 customers behind the console.
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

    func selected(_ name: String) -> Bool { only.isEmpty || only.contains(name) }
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

/// Keeps the optimiser from discarding a computation.
@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
