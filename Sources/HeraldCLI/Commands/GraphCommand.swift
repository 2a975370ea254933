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

    @Argument(help: "A journey file or directory.", completion: .file(extensions: ["journey"]))
    var path: String

    @Option(help: "dot (Graphviz) or mermaid.")
    var format: GraphFormat = .dot

    @Option(help: "Draw only the journey with this name.", completion: .custom(JourneyNames.complete))
    var journey: String?

    func run() async throws {
        let outcome = GraphDriver.render(path: path, format: format.graphFormat, journey: journey)
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

/// `--format` of `herald graph` (the shell completes its values).
enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case dot, mermaid

    var graphFormat: JourneyGraph.Format {
        switch self {
        case .dot: .dot
        case .mermaid: .mermaid
        }
    }
}

/// Shell completion of journey names: the journeys of the path already on the command line (a
/// directory or a file's directory), else of `Journeys/`.
enum JourneyNames {
    @Sendable static func complete(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        var directory = "Journeys"
        for word in words.dropFirst() where !word.hasPrefix("-") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: word, isDirectory: &isDirectory) else { continue }
            directory = isDirectory.boolValue ? word : (word as NSString).deletingLastPathComponent
            break
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var names: [String] = []
        for file in files.sorted() where file.hasSuffix(".journey") {
            guard let text = try? String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("journey ") {
                if let name = line.dropFirst(8).split(separator: " ").first { names.append(String(name)) }
            }
        }
        return names.filter { $0.hasPrefix(prefix) }
    }
}
