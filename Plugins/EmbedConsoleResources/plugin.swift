import Foundation
import PackagePlugin

/// Compiles the console's templates, script and style sheet (`Console/Resources` of the target)
/// into the target as Swift data (`ConsoleResources.files`), so that `herald` is one binary: copied
/// alone, it still serves its console. Runs `embed-resources`, which uses Foundation only; SwiftPM
/// re-runs it whenever one of the files changes.
@main struct EmbedConsoleResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let resources = target.directoryURL.appending(path: "Console/Resources")
        var inputs: [URL] = []
        if let enumerator = FileManager.default.enumerator(at: resources, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                inputs.append(url)
            }
        }
        inputs.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "ConsoleResources.swift")
        return [
            .buildCommand(
                displayName: "Embedding the console's resources from \(resources.path)",
                executable: try context.tool(named: "embed-resources").url,
                arguments: [output.path, "ConsoleResources", resources.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
