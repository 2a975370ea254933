import ArgumentParser
import Foundation
import HeraldService

/// `herald serve`: run the orchestrator as a service (HTTP API, durable SQLite store, timers,
/// delivery). See docs/service.md.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the orchestrator as a service.",
        discussion: """
            Configuration comes from the file given with --config (YAML or JSON), then HERALD_* \
            environment variables, then these flags. HERALD_API_KEY sets an API key.
            """)

    @Option(help: "Port to listen on (0 picks a free one).") var port: Int?
    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "The journeys directory.") var journeys: String?
    @Option(help: "The data directory (SQLite database).") var data: String?
    @Option(help: "Configuration file (YAML or JSON).") var config: String?
    @Option(help: "Folder of the local development channel.") var outbox: String?
    @Option(help: "full (default: WAL, synchronous=FULL, group commit) or relaxed (synchronous=NORMAL).")
    var durability: String?
    @Option(help: ArgumentHelp("journeys (default) or probe (a test engine for the crash test).", visibility: .hidden))
    var engine: String = "journeys"

    func run() async throws {
        var overrides = HeraldServe.Overrides()
        overrides.host = host
        overrides.port = port
        overrides.journeys = journeys
        overrides.data = data
        overrides.outbox = outbox
        overrides.durability = durability
        let configuration: ServiceConfiguration
        do {
            configuration = try HeraldServe.configuration(
                file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch let invalid as ServiceConfiguration.Invalid {
            throw ValidationError(invalid.description)
        }
        let toolchain: any JourneyToolchain
        switch engine {
        case "probe": toolchain = ProbeToolchain()
        case "journeys": toolchain = try JourneysToolchain.make()
        default: throw ValidationError("--engine must be journeys or probe")
        }
        do {
            try await HeraldServe.run(configuration: configuration, toolchain: toolchain)
        } catch let invalid as ServiceConfiguration.Invalid {
            throw ValidationError(invalid.description)
        }
    }
}
