import ArgumentParser

/// `herald dry-run` (placeholder until its issue lands).
struct DryRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dry-run", abstract: "Replay customers and events through the journeys on a virtual clock.")

    func run() async throws {
        throw ValidationError("herald dry-run is not implemented yet")
    }
}
