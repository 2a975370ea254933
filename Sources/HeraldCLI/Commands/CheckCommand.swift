import ArgumentParser

/// `herald check` (placeholder until its issue lands).
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Check journey files and report diagnostics.")

    func run() async throws {
        throw ValidationError("herald check is not implemented yet")
    }
}
