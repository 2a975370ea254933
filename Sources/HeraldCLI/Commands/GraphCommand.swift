import ArgumentParser
import Foundation
import JourneyLanguage

/// `herald graph PATH [--format dot|mermaid]`: draw a journey's compiled state machine.
struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a journey's compiled state machine.",
        discussion: """
            PATH is a .journey file (its journeys are drawn; the rest of its directory is compiled with \
            it) or a directory (all of its journeys). States are grouped by lifecycle stage. \
            Example: herald graph Journeys/cart_abandonment.journey | dot -Tsvg > cart.svg
            """
    )

    @Argument(help: "A journey file or directory.")
    var path: String

    @Option(help: "dot (Graphviz) or mermaid.")
    var format: String = "dot"

    @Option(help: "Draw only the journey with this name.")
    var journey: String?

    func run() async throws {
        guard let graphFormat = JourneyGraph.Format(rawValue: format) else {
            FileHandle.standardError.write(Data("herald graph: --format must be dot or mermaid\n".utf8))
            throw ExitCode(2)
        }
        let outcome = GraphDriver.render(path: path, format: graphFormat, journey: journey)
        if !outcome.diagnostics.isEmpty {
            let text = DiagnosticsFormatter(style: .annotated, sources: outcome.sources).format(outcome.diagnostics)
            FileHandle.standardError.write(Data(text.utf8))
        }
        if let usageError = outcome.usageError {
            FileHandle.standardError.write(Data("herald graph: \(usageError)\n".utf8))
        }
        if let output = outcome.output { print(output, terminator: "") }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}
