import ArgumentParser
import Foundation
import HeraldSQLite
import HeraldService
import JourneyEngine
import JourneyLanguage

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `herald plan`: what reloading the journeys would do, without doing it.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what deploying a journeys directory would do, without deploying it.",
        discussion: """
            Per journey: the steps added, removed, changed and moved between the live version and the \
            candidate, how many instances wait at each step of each version now, what happens to them \
            (they finish on their version), and whether the reload would be refused. Reads a stopped \
            server's data directory (--data, SQLite) or asks a running server (--server URL, with the key \
            in HERALD_API_KEY; the same as POST /v1/journeys/reload?plan=true). Changes nothing. \
            Exit status: 0 the reload would deploy, 1 it would be refused (or the server could not be \
            asked), 2 usage errors. See docs/changing-journeys.md.
            """
    )

    @Option(help: "The candidate journeys directory (with --server: the server's own directory is planned).", completion: .directory)
    var journeys = "Journeys"

    @Option(help: "The data directory of a SQLite deployment (herald.sqlite).", completion: .directory)
    var data: String?

    @Option(help: "A running server's base URL (http://host:port); the API key is read from HERALD_API_KEY.")
    var server: String?

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        switch (data, server) {
        case (nil, nil): throw ValidationError("say where the live journeys run: --data DIR (SQLite) or --server URL")
        case (_?, _?): throw ValidationError("--data and --server exclude each other: plan against one")
        default: break
        }
    }

    func run() async throws {
        let plan: DeploymentPlan
        let json: String
        let diagnostics: [JourneyDiagnostic]
        if let server {
            (plan, json, diagnostics) = try await Self.fromServer(server)
        } else {
            let report = try await Self.fromData(data!, journeys: journeys)
            plan = report.plan
            diagnostics = report.diagnostics
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let document: Value = .object([
                "status": .string(plan.refused ? "would_refuse" : "planned"), "plan": plan.apiValue,
            ])
            json = String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
        }
        // A declared migration naming a step the live version does not have (the candidate's own
        // warnings are `herald check`'s to show).
        for d in diagnostics where d.id == "E083-unknown-live-step" {
            FileHandle.standardError.write(Data("\(d.file):\(d.line):\(d.column): \(d.severity): \(d.message)\n".utf8))
        }
        FileHandle.standardOutput.write(Data((format == .json ? json : PlanText.render(plan)).utf8))
        if plan.refused { throw ExitCode(1) }
    }

    static func fromData(_ directory: String, journeys: String) async throws -> JourneyRegistry.PlanReport {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("herald.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(
                Data("herald plan: \(directory) has no herald.sqlite: pass the data directory `herald serve --data` uses\n".utf8))
            throw ExitCode(1)
        }
        let store = try SQLiteJourneyStore(SQLiteConfiguration(path: path))
        let (live, fallback) = try await JourneyRegistry.liveJourneys(in: store)
        if let fallback { FileHandle.standardError.write(Data("herald plan: warning: \(fallback)\n".utf8)) }
        return try await JourneyRegistry.plan(directory: journeys, live: live, store: store)
    }

    static func fromServer(_ server: String) async throws -> (DeploymentPlan, String, [JourneyDiagnostic]) {
        guard let base = URL(string: server), base.scheme == "http" || base.scheme == "https" else {
            throw ValidationError("--server \(server): give the server's base URL, such as http://127.0.0.1:8080")
        }
        var request = URLRequest(
            url: base.appendingPathComponent("v1/journeys/reload").appending(queryItems: [URLQueryItem(name: "plan", value: "true")]))
        request.httpMethod = "POST"
        if let key = ProcessInfo.processInfo.environment["HERALD_API_KEY"] { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let (body, response): (Data, URLResponse)
        do {
            (body, response) = try await URLSession.shared.data(for: request)
        } catch {
            FileHandle.standardError.write(Data("herald plan: cannot reach \(server): \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let hint = status == 401 ? " (set HERALD_API_KEY to the server's API key)" : ""
            FileHandle.standardError.write(Data("herald plan: \(server) answered \(status)\(hint): \(String(decoding: body, as: UTF8.self))\n".utf8))
            throw ExitCode(1)
        }
        struct Envelope: Decodable {
            var plan: DeploymentPlan
            var diagnostics: [JourneyDiagnostic]?
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let envelope = try decoder.decode(Envelope.self, from: body)
            return (envelope.plan, String(decoding: body, as: UTF8.self) + "\n", envelope.diagnostics ?? [])
        } catch {
            FileHandle.standardError.write(Data("herald plan: \(server) did not answer with a plan: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The plan for people, like a `terraform plan`: `+` added, `-` removed, `~` changed or moved.
enum PlanText {
    static func render(_ plan: DeploymentPlan) -> String {
        var out = ""
        if plan.refused {
            out += "The reload would be REFUSED: the candidate does not check. Nothing would change.\n"
            for reason in plan.reasons { out += "  \(reason)\n" }
            out += "\n"
        }
        for journey in plan.journeys {
            let versions = [journey.liveVersion.map { "live \($0.prefix(12))" }, journey.candidateVersion.map { "candidate \($0.prefix(12))" }]
                .compactMap { $0 }.joined(separator: " → ")
            out += "journey \(journey.name): \(journey.status.rawValue)\(versions.isEmpty ? "" : " (\(versions))")\n"
            if !journey.settings.isEmpty { out += "  settings changed: \(journey.settings.joined(separator: ", "))\n" }
            for step in journey.steps {
                let mark = step.change == .added ? "+" : step.change == .removed ? "-" : "~"
                out += "  \(mark) \(step.kind) \(step.step) \(step.change.rawValue): \(step.detail)\n"
            }
            if journey.waiting.isEmpty {
                out += "  no instances waiting\n"
            } else {
                out += "  \(journey.waitingTotal) instance(s) waiting:\n"
                for w in journey.waiting {
                    out += "    \(w.count) at \(w.step) (version \(w.version.prefix(12))\(w.live ? ", live" : "")): \(w.outcome)\n"
                }
            }
        }
        if plan.journeys.isEmpty { out += "No journeys live and none in the candidate.\n" }
        out += "\n" + summary(plan) + "\n"
        return out
    }

    /// One closing line, so a long plan ends with its totals.
    static func summary(_ plan: DeploymentPlan) -> String {
        func count(_ status: DeploymentPlan.Status) -> Int { plan.journeys.filter { $0.status == status }.count }
        let allSteps = plan.journeys.flatMap(\.steps)
        func steps(_ change: DeploymentPlan.StepChange.Change) -> Int { allSteps.filter { $0.change == change }.count }
        let all = plan.journeys.flatMap(\.waiting)
        let waiting = all.reduce(0) { $0 + $1.count }
        let moving = all.filter { $0.migration?.action == .move }.reduce(0) { $0 + $1.count }
        let exiting = all.filter { $0.migration?.action == .exit }.reduce(0) { $0 + $1.count }
        let journeys = "journeys: \(count(.added)) added, \(count(.changed)) changed, \(count(.removed)) removed"
        let stepText = "steps: \(steps(.added)) added, \(steps(.changed)) changed, \(steps(.moved)) moved, \(steps(.removed)) removed"
        let verdict: String
        if plan.refused {
            verdict = "the reload would be refused"
        } else if moving + exiting > 0 {
            verdict =
                "\(waiting) waiting instance(s): \(moving) migrate, \(exiting) exit by migration, \(waiting - moving - exiting) finish on their version"
        } else {
            verdict = "\(waiting) waiting instance(s) finish on their version"
        }
        return "Plan: \(journeys); \(stepText); \(verdict)."
    }
}
