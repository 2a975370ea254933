import ArgumentParser

/// `herald fmt` (placeholder until its issue lands).
struct FormatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fmt", abstract: "Rewrite journey files in the canonical layout.")

    func run() async throws {
        throw ValidationError("herald fmt is not implemented yet")
    }
}
