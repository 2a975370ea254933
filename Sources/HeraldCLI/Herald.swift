import ArgumentParser
import Foundation

/// `herald`: author, check, dry-run, test and serve customer journeys.
@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "Multichannel campaign orchestration: journeys as code.",
        version: Herald.version,
        subcommands: [
            CheckCommand.self,
            FormatCommand.self,
            GraphCommand.self,
            DryRunCommand.self,
            ReplayCommand.self,
            PlanCommand.self,
            TestCommand.self,
            SendTestCommand.self,
            ServeCommand.self,
            LSPCommand.self,
            RevisionsCommand.self, ExportCommand.self,
        ]
    )

    /// `herald --version`.
    static let version = "herald 0.2.0 (journey language 2)"

    /// Runs the command, mapping usage problems (an unknown flag, a missing argument, a failed
    /// validation — ArgumentParser's 64) to exit status 2, the convention `herald check` documents:
    /// 0 clean, 1 errors found, 2 the command itself was used wrongly.
    static func main() async {
        var parsed: (any ParsableCommand)?
        do {
            var command = try parseAsRoot()
            parsed = command
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue {
                var message = fullMessage(for: error)
                if let parsed, let name = type(of: parsed).configuration.commandName, !(parsed is Herald) {
                    // A problem the subcommand found while running: its own usage line, not the root's.
                    let usage = usageString(for: type(of: parsed))
                    message = "Error: \(Self.message(for: error))\nUsage: \(usage)\n  See 'herald \(name) --help' for more information."
                }
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
