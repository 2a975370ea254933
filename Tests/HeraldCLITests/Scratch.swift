import Foundation
import HeraldTestSupport

/// A fresh temporary folder for one test, removed by `remove()`.
struct Scratch {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: target, atomically: true, encoding: .utf8)
        return target.path
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }

    /// Copies the repository's `Journeys/` (journeys, messages, samples, scenarios) to `name`.
    @discardableResult
    func copyExampleJourneys(to name: String = "Journeys") throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Paths.journeys, to: target)
        return target.path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

enum Paths {
    static let root = HeraldCommand.packageRoot
    static let journeys = root.appendingPathComponent("Journeys")
    static let broken = root.appendingPathComponent("Tests/JourneyLanguageTests/Broken")
    static var customers: String { journeys.appendingPathComponent("samples/customers.ndjson").path }
    static var events: String { journeys.appendingPathComponent("samples/events.ndjson").path }
}

/// `herald ARGUMENTS`, run from the package root unless `in` says otherwise.
func herald(_ arguments: String..., in directory: URL? = nil, environment: [String: String] = [:]) async throws -> HeraldCommand.Result {
    try await HeraldCommand.run(arguments, in: directory, environment: environment)
}

/// Polls `condition` until it holds or `timeout` seconds pass (generous: the machine is loaded;
/// the wait ends as soon as the condition holds).
func eventually(timeout: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}
