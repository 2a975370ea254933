import ArgumentParser
import Foundation
import HeraldSimulation
import JourneyEngine
import JourneyLanguage

/// `herald dry-run`: replay customers and events through the journeys on a virtual clock.
struct DryRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Replay customers and events through the journeys on a virtual clock.",
        discussion: """
            Prints a timeline per customer and a report per journey (entries, per-step counts and \
            drop-off, exits by reason, sends and delivery decisions, conversions per experiment variant \
            and control with the uplift) and per lifecycle stage. Nothing leaves the process. \
            Malformed input lines are reported as file:line and skipped, or refused with --strict. \
            The JSON format is described in docs/dry-run.md.
            """
    )

    @Option(help: "The journeys directory.", completion: .directory)
    var journeys = "Journeys"

    @Option(help: "Customers: NDJSON (one profile per line) or CSV (a header row; .csv).", completion: .file(extensions: ["ndjson", "jsonl", "csv"]))
    var customers: String

    @Option(help: "Events: NDJSON, one event per line.", completion: .file(extensions: ["ndjson", "jsonl"]))
    var events: String

    @Option(help: "Start of the replay (RFC 3339; default: the first event). Earlier events only feed behavioural history.")
    var from: String?

    @Option(help: "End of the replay (RFC 3339; default: 7 days after the last event). Timers due by then fire.")
    var until: String?

    @Option(help: "text, json, or html (one self-contained file with journey maps, funnels and searchable timelines).")
    var format: OutputFormat = .text

    @Option(help: "Write the output to this file instead of standard output.", completion: .file())
    var output: String?

    @Option(help: "0 assigns experiment variants as production does; another value reshuffles them.")
    var seed: UInt64 = 0

    @Option(help: "Show only this customer's timeline (the report still covers everyone).")
    var customer: String?

    @Option(help: "Print this customer's delivery decisions with their reasons.")
    var explain: String?

    @Flag(help: "Refuse the whole input if any line is malformed.")
    var strict = false

    @Flag(help: "Leave out the timelines (text format).")
    var reportOnly = false

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, html
    }

    func run() async throws {
        let catalog = try JourneyLoading.catalog(journeys)
        // Both files are read in full first, so that --strict lists every malformed line of both.
        let loader = SampleLoader()
        let loadedCustomers = try loader.customers(at: customers)
        let loadedEvents = try loader.events(at: events)
        if strict, !(loadedCustomers.issues + loadedEvents.issues).isEmpty {
            let failure = LoadFailure(issues: loadedCustomers.issues + loadedEvents.issues)
            FileHandle.standardError.write(Data("\(failure)\nherald dry-run: refusing malformed input (--strict)\n".utf8))
            throw ExitCode(1)
        }
        func time(_ text: String?, _ name: String) throws -> Double? {
            guard let text else { return nil }
            guard let t = Value.parseTime(text) else { throw ValidationError("--\(name) must be an RFC 3339 time such as 2026-03-02T00:00:00Z") }
            return t
        }
        let options = DryRunOptions(from: try time(from, "from"), until: try time(until, "until"), seed: seed)
        let result = DryRun(catalog: catalog, seed: seed).run(
            customers: loadedCustomers.customers, events: loadedEvents.events, history: loadedEvents.history, options: options,
            issues: loadedCustomers.issues + loadedEvents.issues)
        // A customer the input does not have is a mistake (a typo, the wrong file): say so, exit 1.
        for (flag, id) in [("customer", customer), ("explain", explain)] {
            guard let id, result.customer(id) == nil else { continue }
            let known = result.customers.prefix(3).map(\.id).joined(separator: ", ")
            let hint = result.customers.isEmpty ? "the input has no customers" : "it has \(result.customers.count), such as \(known)"
            FileHandle.standardError.write(
                Data("herald dry-run: --\(flag) \(id): no customer `\(id)` in \(customers) or \(events) (\(hint))\n".utf8))
            throw ExitCode(1)
        }
        let text: String
        switch format {
        case .text:
            var rendered = DryRunTextRenderer(result: result, customer: customer, showTimelines: !reportOnly).render()
            if let explain { rendered += "\n" + DecisionExplainer(result: result).explain(customer: explain) }
            text = rendered
        case .json:
            text = DryRunJSONRenderer(result: result, customer: customer ?? explain).render()
        case .html:
            text = try DryRunHTMLReport(result: result).render()
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                throw ValidationError("--output \(output): cannot write the file (\(error.localizedDescription)); check that its folder exists")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

/// Compiles a journeys directory for the commands that run journeys, printing diagnostics.
enum JourneyLoading {
    static func catalog(_ directory: String) throws -> JourneyCatalog {
        let compilation = JourneyCompiler.compile(directory: directory)
        if !compilation.diagnostics.isEmpty {
            let style: DiagnosticsFormatter.Style = compilation.hasErrors ? .annotated : .plain
            let text = DiagnosticsFormatter(style: style, sources: compilation.sources).format(compilation.diagnostics)
            FileHandle.standardError.write(Data(text.utf8))
        }
        guard let catalog = compilation.catalog else {
            throw CompilationFailed(directory: directory, errors: compilation.errors.count)
        }
        return catalog
    }

    struct CompilationFailed: Error, CustomStringConvertible {
        var directory: String
        var errors: Int
        var description: String { "\(directory): \(errors) error(s); fix them and run again" }
    }
}
