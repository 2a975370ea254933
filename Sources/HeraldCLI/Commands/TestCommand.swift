import ArgumentParser

/// `herald test` (placeholder until its issue lands).
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Run journey scenario files.")

    func run() async throws {
        throw ValidationError("herald test is not implemented yet")
    }
}
