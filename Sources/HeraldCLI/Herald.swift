import ArgumentParser
import Foundation

/// `herald`: author, check, dry-run, test and serve customer journeys.
@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "Multichannel campaign orchestration: journeys as code.",
        subcommands: [
            CheckCommand.self,
            FormatCommand.self,
            GraphCommand.self,
            DryRunCommand.self,
            TestCommand.self,
            SendTestCommand.self,
            ServeCommand.self,
            LSPCommand.self,
        ]
    )

    /// Runs the command, mapping usage problems (an unknown flag, a missing argument, a failed
    /// validation — ArgumentParser's 64) to exit status 2, the convention `herald check` documents:
    /// 0 clean, 1 errors found, 2 the command itself was used wrongly.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue {
                let message = fullMessage(for: error)
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
