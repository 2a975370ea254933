import ChildProcess
import Foundation
import HeraldTestSupport
import Testing

/// The console in headless Chromium (`Tests/Browser/console_e2e.py`, Playwright driving Debian's
/// `chromium`; scripts/install-deps.sh installs both): sign-in, the overview, a count on the map
/// changing live after an event is posted, pausing from the console, a customer's reasons, and
/// refusals without a session; screenshots of the pages. Without Chromium or Playwright the test
/// prints why and passes, except under `CI=true`, where it fails.
struct ConsoleBrowserTests {
    static let chromium = ProcessInfo.processInfo.environment["HERALD_CHROMIUM"] ?? "/usr/bin/chromium"

    /// Why the browser test cannot run here, or `nil` when it can.
    static func missing() -> String? {
        if !FileManager.default.isExecutableFile(atPath: chromium) { return "\(chromium) is not installed" }
        let probe = ChildProcess()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import playwright.sync_api"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return "python3 is not installed" }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? nil : "the Python package playwright is not installed"
    }

    @Test func consoleWorksInHeadlessChromium() async throws {
        if let reason = Self.missing() {
            let ci = ProcessInfo.processInfo.environment["CI"] == "true"
            Issue.record(
                "the console browser test needs Chromium and Playwright: \(reason) (run scripts/install-deps.sh)",
                severity: ci ? .error : .warning)
            if !ci { print("skipped ConsoleBrowserTests: \(reason); run scripts/install-deps.sh") }
            return
        }
        let root = HeraldCommand.packageRoot
        // `HERALD_UPDATE_SCREENSHOTS=1` writes the documentation's screenshots (docs/images/).
        let screenshots =
            ProcessInfo.processInfo.environment["HERALD_UPDATE_SCREENSHOTS"] == "1"
            ? root.appendingPathComponent("docs/images")
            : FileManager.default.temporaryDirectory.appendingPathComponent("herald-console-shots-\(UUID().uuidString)")
        // The dry-run's HTML report of the samples, for the report part of the browser test.
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("herald-report-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: report) }
        let samples = root.appendingPathComponent("Journeys/samples")
        let dryRun = try await HeraldCommand.run([
            "dry-run", "--customers", samples.appendingPathComponent("customers.ndjson").path, "--events",
            samples.appendingPathComponent("events.ndjson").path, "--format", "html", "--output", report.path,
        ])
        #expect(dryRun.status == 0, "\(dryRun)")
        try await TestServer.withServer(journeys: root.appendingPathComponent("Journeys")) { port, _ in
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", root.appendingPathComponent("Tests/Browser/console_e2e.py").path, "--url", "http://127.0.0.1:\(port)",
                "--api-key", TestServer.apiKey, "--screenshots", screenshots.path, "--chromium", Self.chromium, "--report", report.path,
            ]
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("herald-console-e2e-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let status = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    process.waitUntilExit()
                    continuation.resume(returning: process.terminationStatus)
                }
            }
            try? handle.close()
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: log)
            if status == 0 { print(output) }
            #expect(status == 0, "console_e2e.py failed:\n\(output)")
            for name in ["console-overview.png", "console-journey-map.png", "console-customer.png", "dry-run-report.png"] {
                #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name).path), "\(name) was saved")
            }
        }
    }
}
