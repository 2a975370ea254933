public import Foundation
public import JourneyEngine
public import JourneyLanguage

/// Runs scenario files against their journeys on a virtual clock.
///
/// ```swift
/// let runner = ScenarioRunner { directory in try compileCatalog(directory) }
/// let summary = runner.run(paths: ["Journeys/tests"])
/// print(summary.render())   // ends with "N passed, N failed"
/// ```
public struct ScenarioRunner: Sendable {
    /// Compiles a journeys directory (the CLI passes the journey compiler).
    public var loadCatalog: @Sendable (String) throws -> JourneyCatalog

    public init(loadCatalog: @escaping @Sendable (String) throws -> JourneyCatalog) {
        self.loadCatalog = loadCatalog
    }

    /// Scenario files under the paths (`.yaml`/`.yml`; directories are searched recursively), sorted.
    public static func scenarioFiles(in paths: [String]) -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                files.append(path)  // reported as unreadable
                continue
            }
            if !isDirectory.boolValue {
                files.append(path)
                continue
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            for item in (fm.enumerator(atPath: path)?.allObjects as? [String] ?? []) where item.hasSuffix(".yaml") || item.hasSuffix(".yml") {
                files.append("\(base)/\(item)")
            }
        }
        return files.sorted()
    }

    public func run(paths: [String]) -> TestSummary {
        var results: [ScenarioResult] = []
        var catalogs: [String: Result<JourneyCatalog, any Error>] = [:]
        for file in Self.scenarioFiles(in: paths) {
            let cases: [ScenarioCase]
            do { cases = try ScenarioFile.loadCases(path: file) } catch {
                results.append(ScenarioResult(file: file, name: (file as NSString).lastPathComponent, error: "\(error)"))
                continue
            }
            for item in cases {
                let scenario: Scenario
                switch item {
                case .ready(let ready): scenario = ready
                case .unreadable(let name, let file, _, let error):
                    results.append(ScenarioResult(file: file, name: name, error: "\(error)"))
                    continue
                }
                let key = (scenario.journeys as NSString).standardizingPath
                if catalogs[key] == nil { catalogs[key] = Result { try loadCatalog(key) } }
                switch catalogs[key]! {
                case .success(let catalog): results.append(run(scenario, catalog: catalog))
                case .failure(let error):
                    results.append(
                        ScenarioResult(file: file, name: scenario.name, error: "journeys in \(scenario.journeys) do not compile:\n\(error)"))
                }
            }
        }
        return TestSummary(results: results)
    }

    public func run(_ scenario: Scenario, catalog: JourneyCatalog) -> ScenarioResult {
        let dryRun = DryRun(catalog: catalog, seed: scenario.seed)
        let lastEvent = scenario.events.map(\.timestamp).max() ?? scenario.start
        let until = scenario.until ?? lastEvent + Self.defaultHorizon
        let options = DryRunOptions(from: min(scenario.start, scenario.events.map(\.timestamp).min() ?? scenario.start), until: until)
        let result = dryRun.run(
            customers: scenario.customers, events: scenario.events, history: scenario.history, profileUpdates: scenario.profileUpdates,
            options: options)
        var failures: [ScenarioFailure] = []
        for expectation in scenario.expectations {
            let customer = result.customer(expectation.customer)
            if let actual = expectation.check(customer, start: scenario.start) {
                failures.append(
                    ScenarioFailure(
                        expectation: expectation, actual: actual,
                        timeline: customer.map(TimelineText.lines) ?? ["(no customer \(expectation.customer) in the scenario)"]))
            }
        }
        var notes: [String] = []
        if !failures.isEmpty {
            // Say where the replay stopped and why, and who was still on the way: a journey
            // longer than the horizon is cut short, which would otherwise look like a wrong send.
            let why = scenario.until == nil ? "the default: 14 days after the last event; set `until:` to run longer" : "its `until`"
            let relative = DurationText.format(until - scenario.start)
            notes.append("the replay stopped at \(Value.formatTime(until)) (+\(relative), \(why))")
            for customer in result.customers {
                for instance in customer.finalState.instances where instance.isActive {
                    let waiting = instance.deadline.map { " until \(Value.formatTime($0))" } ?? ""
                    notes.append("\(customer.id) was still in \(instance.journey) at \(instance.step)\(waiting)")
                }
            }
        }
        return ScenarioResult(
            file: scenario.file, name: scenario.name, failures: failures, error: nil, expectations: scenario.expectations.count, notes: notes)
    }

    /// How long after the last event a scenario without `until` runs.
    public static let defaultHorizon = 14 * 86_400.0
}

public struct ScenarioFailure: Sendable {
    public var expectation: ScenarioExpectation
    public var actual: String
    /// The customer's timeline.
    public var timeline: [String]
}

public struct ScenarioResult: Sendable {
    public var file: String
    public var name: String
    public var failures: [ScenarioFailure] = []
    /// The scenario could not run (unreadable file, journeys that do not compile).
    public var error: String?
    public var expectations = 0
    /// Where a failed scenario's replay stopped and who was still in a journey then.
    public var notes: [String] = []

    public var passed: Bool { failures.isEmpty && error == nil }
}

public struct TestSummary: Sendable {
    public var results: [ScenarioResult]
    public var passed: Int { results.count { $0.passed } }
    public var failed: Int { results.count - passed }

    /// One line per scenario, the details of each failure, and `N passed, N failed` last.
    public func render() -> String {
        var out: [String] = []
        for r in results {
            out.append("\(r.passed ? "PASS" : "FAIL")  \(r.file): \(r.name)")
            if let error = r.error { out.append(contentsOf: error.split(separator: "\n").map { "      " + $0 }) }
            for f in r.failures {
                out.append("      \(r.file):\(f.expectation.line): expected: \(f.expectation.text)")
                out.append("        actual: \(f.actual)")
                out.append("        timeline of \(f.expectation.customer):")
                out.append(contentsOf: f.timeline.map { "          " + $0 })
            }
            out.append(contentsOf: r.notes.map { "      note: " + $0 })
        }
        out.append("\(passed) passed, \(failed) failed")
        return out.joined(separator: "\n") + "\n"
    }
}
