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
            let scenarios: [Scenario]
            do { scenarios = try ScenarioFile.load(path: file) } catch {
                results.append(ScenarioResult(file: file, name: (file as NSString).lastPathComponent, error: "\(error)"))
                continue
            }
            for scenario in scenarios {
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
        let options = DryRunOptions(
            from: min(scenario.start, scenario.events.map(\.timestamp).min() ?? scenario.start), until: scenario.until ?? lastEvent + 14 * 86_400)
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
        return ScenarioResult(file: scenario.file, name: scenario.name, failures: failures, error: nil, expectations: scenario.expectations.count)
    }
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
        }
        out.append("\(passed) passed, \(failed) failed")
        return out.joined(separator: "\n") + "\n"
    }
}
