import ArgumentParser

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
        ]
    )
}
