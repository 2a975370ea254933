import ArgumentParser
import Foundation
import HeraldService
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
            errors. A set is a journeys directory or `revision:N`, a stored revision read from a data \
            directory (--data, SQLite) or a running server (--server URL, key in HERALD_API_KEY). \
            See docs/changing-journeys.md.
            """
    )

    @OptionGroup(title: "Where revision:N is read")
    var target: HeraldTargetOptions

    @Option(help: "The input log (NDJSON: accepted_at, kind, event/profile/customer_id).", completion: .file(extensions: ["ndjson", "jsonl"]))
    var log: String

    @Option(
        help: "The journey set running now: a journeys directory, or revision:N (stored revision N, read from --data or --server).",
        completion: .directory)
    var base: String

    @Option(help: "The journey set to try: a journeys directory, or revision:N.", completion: .directory)
    var candidate: String

    @Option(help: "Show this customer's two timelines side by side.")
    var customer: String?

    @Option(help: "End of the replay (RFC 3339; default: 7 days after the last input). Timers due by then fire.")
    var until: String?

    @Option(
        help: ArgumentHelp(
            "Deploy the candidate at this instant (RFC 3339) instead of running it from the start: customers in flight then stay on the base's version or move as the candidate declares (migrate …).",
            valueName: "time"))
    var deployAt: String?

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
        if let deployAt {
            guard let t = Value.parseTime(deployAt) else {
                throw ValidationError("--deploy-at must be an RFC 3339 time such as 2026-03-09T00:00:00Z")
            }
            options.deployAt = t
        }
        if let until {
            guard let t = Value.parseTime(until) else { throw ValidationError("--until must be an RFC 3339 time such as 2026-03-09T00:00:00Z") }
            options.until = t
        }
        guard FileManager.default.isReadableFile(atPath: log) else {
            FileHandle.standardError.write(Data("herald replay: \(log): cannot read the input log (export one with `herald export`)\n".utf8))
            throw ExitCode(1)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("herald-replay-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result: ReplayResult
        do {
            let baseCatalog = try await baseSet.catalog(target: target, scratch: scratch + "/base")
            let candidateCatalog = try await candidateSet.catalog(target: target, scratch: scratch + "/candidate")
            let replay = Replay(base: baseCatalog, candidate: candidateCatalog)
            result = try replay.run(log: log, options: options)
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("herald replay: \(failure.description)\n".utf8))
            throw ExitCode(1)
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

/// Where a journey set comes from: a journeys directory, or a stored revision (`revision:N`) whose
/// files are written into a scratch directory and compiled like one.
enum JourneySetSource {
    case directory(String)
    case revision(Int64)

    init(argument: String, flag: String) throws {
        if argument.hasPrefix("revision:") {
            guard let n = Int64(argument.dropFirst("revision:".count)), n > 0 else {
                throw ValidationError("--\(flag) \(argument): a revision is written revision:N with N a positive number")
            }
            self = .revision(n)
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--\(flag) \(argument) is not a journeys directory (nor revision:N)")
            }
            self = .directory(argument)
        }
    }

    /// The compiled set. A revision is read from `target` (the data directory's database or the
    /// server's API) and written into `scratch`; an unknown revision or an unreachable server is a
    /// ``CommandFailure``.
    func catalog(target: HeraldTargetOptions, scratch: String) async throws -> JourneyCatalog {
        switch self {
        case .directory(let path):
            return try JourneyLoading.catalog(path)
        case .revision(let n):
            let revision = try await RevisionsCommand.fetch(n, from: try target.open())
            try JourneySetFiles.write(revision.files, to: scratch)
            do {
                return try JourneyLoading.catalog(scratch)
            } catch let failure as JourneyLoading.CompilationFailed {
                throw CommandFailure("revision \(n) no longer checks with this build: \(failure)")
            }
        }
    }
}
