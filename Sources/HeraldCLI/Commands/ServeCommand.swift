import ArgumentParser

/// `herald serve` (placeholder until its issue lands).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the orchestrator as a service.")

    func run() async throws {
        throw ValidationError("herald serve is not implemented yet")
    }
}
