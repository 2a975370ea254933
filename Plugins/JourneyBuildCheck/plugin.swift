import Foundation
import PackagePlugin

/// Checks the package's `Journeys/` during `swift build`: a broken journey fails the build with
/// `path:line:column: error: …` diagnostics (clickable in editors), the same ones `herald check`
/// prints. Runs `journey-check`, which depends on the language module only.
///
/// The check writes a small Swift file into the plugin's work directory when it passes; that
/// output is what makes SwiftPM run the command (and re-run it whenever a journey or template
/// changes).
@main struct JourneyBuildCheck: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let journeys = context.package.directoryURL.appending(path: "Journeys")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: journeys.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return []
        }
        var inputs: [URL] = []
        if let enumerator = FileManager.default.enumerator(at: journeys, includingPropertiesForKeys: nil) {
            for case let url as URL in enumerator where url.pathExtension == "journey" || url.pathExtension == "mustache" {
                inputs.append(url)
            }
        }
        let stamp = context.pluginWorkDirectoryURL.appending(path: "JourneysChecked.swift")
        return [
            .buildCommand(
                displayName: "Checking journeys in \(journeys.path)",
                executable: try context.tool(named: "journey-check").url,
                arguments: ["--quiet", "--format", "annotated", "--stamp", stamp.path, journeys.path],
                inputFiles: inputs.sorted { $0.path < $1.path },
                outputFiles: [stamp]
            )
        ]
    }
}
