import ArgumentParser
import Foundation
import HeraldSimulation
import JourneyEngine
import JourneyLanguage

/// `herald replay`: recorded inputs through two journey sets, and the difference in sends.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recorded input log against two journey sets and show the difference in sends.",
        discussion: """
            Runs the base and the candidate journey sets over the same inputs (an NDJSON input log as \
            `herald export` writes it) on virtual clocks: each input at its accepted time, timers fired \
            until --until (default: 7 days after the last input). Reports per journey and step the sends \
            added, removed, moved in time (with the shift) and on another channel, and how many customers \
            took a different path. Exit status: 0 no difference (or no --fail-on-change), 1 a difference \
            with --fail-on-change or bad input (a malformed log line, journeys that do not check), 2 usage \
            errors. See docs/changing-journeys.md.
            """
    )

    @Option(help: "The input log (NDJSON: accepted_at, kind, event/profile/customer_id).", completion: .file(extensions: ["ndjson", "jsonl"]))
    var log: String

    @Option(help: "The journey set running now: a journeys directory (or revision:N once stored revisions exist).", completion: .directory)
    var base: String

    @Option(help: "The journey set to try: a journeys directory.", completion: .directory)
    var candidate: String

    @Option(help: "Show this customer's two timelines side by side.")
    var customer: String?

    @Option(help: "End of the replay (RFC 3339; default: 7 days after the last input). Timers due by then fire.")
    var until: String?

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    @Flag(help: "Exit with status 1 when the candidate's sends or paths differ (for CI).")
    var failOnChange = false

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func run() async throws {
        let baseSet = try JourneySetSource(argument: base, flag: "base")
        let candidateSet = try JourneySetSource(argument: candidate, flag: "candidate")
        var options = ReplayOptions(customer: customer)
        if let until {
            guard let t = Value.parseTime(until) else { throw ValidationError("--until must be an RFC 3339 time such as 2026-03-09T00:00:00Z") }
            options.until = t
        }
        guard FileManager.default.isReadableFile(atPath: log) else {
            FileHandle.standardError.write(Data("herald replay: \(log): cannot read the input log (export one with `herald export`)\n".utf8))
            throw ExitCode(1)
        }
        let result: ReplayResult
        do {
            let replay = Replay(base: try baseSet.catalog(), candidate: try candidateSet.catalog())
            result = try replay.run(log: log, options: options)
        } catch let failure as LoadFailure {
            FileHandle.standardError.write(Data("\(failure)\nherald replay: the input log has malformed lines; nothing was replayed\n".utf8))
            throw ExitCode(1)
        } catch let failure as JourneyLoading.CompilationFailed {
            FileHandle.standardError.write(Data("herald replay: \(failure)\n".utf8))
            throw ExitCode(1)
        }
        if let customer, result.customer == nil {
            FileHandle.standardError.write(Data("herald replay: --customer \(customer): no input in \(log) names customer `\(customer)`\n".utf8))
            throw ExitCode(1)
        }
        let renderer = ReplayRenderer(result: result, baseName: base, candidateName: candidate)
        let output = format == .json ? renderer.json() : renderer.text()
        FileHandle.standardOutput.write(Data(output.utf8))
        if failOnChange, !result.difference.isEmpty { throw ExitCode(1) }
    }
}

/// Where a journey set comes from: a directory today; a stored revision once the store keeps them.
///
/// `revision:N` is recognised so that the seam is in one place: when revisions are stored, this
/// reads revision N's sources from the data directory and compiles them like a directory.
enum JourneySetSource {
    case directory(String)
    case revision(Int)

    init(argument: String, flag: String) throws {
        if argument.hasPrefix("revision:") {
            guard let n = Int(argument.dropFirst("revision:".count)), n > 0 else {
                throw ValidationError("--\(flag) \(argument): a revision is written revision:N with N a positive number")
            }
            self = .revision(n)
        } else {
            self = .directory(argument)
        }
    }

    func catalog() throws -> JourneyCatalog {
        switch self {
        case .directory(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(path) is not a journeys directory")
            }
            return try JourneyLoading.catalog(path)
        case .revision(let n):
            throw ValidationError(
                "revision:\(n): this build does not read stored revisions yet; check the revision's files out into a directory and pass that")
        }
    }
}
