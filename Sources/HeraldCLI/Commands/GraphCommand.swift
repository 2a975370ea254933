import ArgumentParser

/// `herald graph` (placeholder until its issue lands).
struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Draw a journey's compiled state machine.")

    func run() async throws {
        throw ValidationError("herald graph is not implemented yet")
    }
}
