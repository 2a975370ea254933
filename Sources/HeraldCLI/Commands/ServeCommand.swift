import ArgumentParser
import Foundation
import HeraldSQLite
import HeraldService

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `herald serve`: run the orchestrator as a service (HTTP API, durable store, timers, delivery).
/// The command is the composition root: ``ServeAssembly`` opens the store and picks the channels.
/// See docs/service.md.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the orchestrator as a service.",
        discussion: """
            Configuration comes from the file given with --config (YAML or JSON), then HERALD_* \
            environment variables, then these flags. HERALD_API_KEY sets an API key.
            """)

    /// The values a flag takes when neither the file, the environment nor the command line sets it,
    /// read from the configuration types themselves so `--help` cannot drift from them.
    private static let defaults = ServeConfiguration()

    @Option(help: "Port to listen on; 0 picks a free one (default: \(Self.defaults.service.port)).") var port: Int?
    @Option(help: "Address to listen on (default: \(Self.defaults.service.host)).") var host: String?
    @Option(help: "The journeys directory (default: \(Self.defaults.service.journeys)).") var journeys: String?
    @Option(help: "The data directory, where the SQLite database lives (default: \(Self.defaults.data)).") var data: String?
    @Option(help: "Configuration file, YAML or JSON (default: none; every setting has a default).") var config: String?
    @Option(help: "Folder of the local development channel (default: \(Self.defaults.service.delivery.outboxFolder)).")
    var outbox: String?
    @Option(
        help: """
            full: WAL, synchronous=FULL, group commit; relaxed: synchronous=NORMAL \
            (default: \(Self.defaults.storage.durability.rawValue)).
            """)
    var durability: String?

    /// A flag with a value it cannot take is a usage error (exit 2), like an unknown flag.
    func validate() throws {
        if let durability, !["full", "relaxed"].contains(durability) {
            throw ValidationError("--durability \(durability): expected full or relaxed")
        }
    }

    func run() async throws {
        // SIGTERM and SIGINT stop `herald serve` whatever the parent left them as (an ignored
        // signal stays ignored across exec: a background job of a script ignores SIGINT): during
        // start-up they end the process, and once the service runs, its service group turns them
        // into a graceful shutdown.
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        let overrides = ServeConfiguration.Overrides(
            host: host, port: port, journeys: journeys, data: data, outbox: outbox, durability: durability)
        do {
            let configuration = try ServeConfiguration.resolve(
                file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
            try await ServeAssembly.run(configuration)
        } catch {
            // One line that says what failed and how to fix it, then a non-zero exit (no usage text:
            // the command line was fine).
            FileHandle.standardError.write(Data("herald: error: \(Self.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as StartFailure: failure.description
        case let invalid as ServiceConfiguration.Invalid: invalid.description
        default: String(describing: error)
        }
    }
}
