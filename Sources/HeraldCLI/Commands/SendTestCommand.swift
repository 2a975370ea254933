import ArgumentParser

/// `herald send-test` (placeholder until its issue lands).
struct SendTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send-test", abstract: "Render a message for a customer and deliver it through a channel.")

    func run() async throws {
        throw ValidationError("herald send-test is not implemented yet")
    }
}
