import Foundation
import PackagePlugin

/// `swift package check-journeys [--fix] [--format plain|annotated|json] [PATH ...]`
///
/// Checks the journey files (default: the package's `Journeys/`) with `journey-check`; `--fix`
/// first rewrites them in the canonical layout (run it with
/// `swift package --allow-writing-to-package-directory check-journeys --fix`).
@main struct CheckJourneys: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let fix = extractor.extractFlag(named: "fix") > 0
        let format = extractor.extractOption(named: "format").last ?? "annotated"
        var paths = extractor.remainingArguments
        if paths.isEmpty { paths = [context.package.directoryURL.appending(path: "Journeys").path] }

        let tool = try context.tool(named: "journey-check")
        let process = Process()
        process.executableURL = tool.url
        process.arguments = (fix ? ["--fix"] : []) + ["--format", format] + paths
        try process.run()
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0:
            break
        case 1:
            Diagnostics.error("the journey files have errors")
            throw CheckFailed()
        default:
            Diagnostics.error("journey-check could not run (exit status \(process.terminationStatus))")
            throw CheckFailed()
        }
    }

    struct CheckFailed: Error, CustomStringConvertible {
        var description: String { "journey check failed" }
    }
}
