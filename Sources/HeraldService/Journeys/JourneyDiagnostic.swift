import Foundation
public import JourneyLanguage

/// One problem found while checking a journeys directory, as the API and `herald serve` report it.
public struct JourneyDiagnostic: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var column: Int
    /// `error`, `warning` or `note`.
    public var severity: String
    public var message: String
    public var id: String?

    public init(file: String, line: Int, column: Int, severity: String, message: String, id: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.id = id
    }
}

extension JourneyCompiler {
    /// Checks and compiles every journey in `directory` for the service: the catalog and its
    /// warnings, or the errors.
    static func compileForService(directory: String) -> Result<(JourneyCatalog, warnings: [JourneyDiagnostic]), JourneyRegistry.Refused> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .failure(
                JourneyRegistry.Refused(diagnostics: [
                    JourneyDiagnostic(
                        file: directory, line: 0, column: 0, severity: "error",
                        message: "the journeys directory \(directory) does not exist", id: "service-no-journeys")
                ]))
        }
        let result = compile(directory: directory)
        let diagnostics = result.diagnostics.map { d in
            JourneyDiagnostic(
                file: d.location?.file ?? directory, line: d.location?.line ?? 0, column: d.location?.column ?? 0,
                severity: d.severity.rawValue, message: d.message, id: d.id.rawValue)
        }
        guard let catalog = result.catalog else {
            return .failure(JourneyRegistry.Refused(diagnostics: diagnostics.filter { $0.severity == "error" }))
        }
        let winnerRules = winnerRuleRefusals(catalog: catalog, sources: result.sources, directory: directory)
        guard winnerRules.isEmpty else { return .failure(JourneyRegistry.Refused(diagnostics: winnerRules)) }
        return .success((catalog, warnings: diagnostics))
    }

    /// The message of the service's refusal of a winner rule.
    static let winnerRuleRefusal = "winner rules run in the dry-run only in this version; remove it to deploy"

    /// One error per winner rule in the catalog: the service does not decide winners (yet), so it
    /// refuses to deploy a journey with one rather than run it differently from the dry-run.
    static func winnerRuleRefusals(catalog: JourneyCatalog, sources: [String: String], directory: String) -> [JourneyDiagnostic] {
        let journeys = catalog.journeys.filter { program in
            program.states.contains { if case .split(let split) = $0.kind { split.winner != nil } else { false } }
        }
        guard !journeys.isEmpty else { return [] }
        // The program keeps no source positions: find the rules' lines in the files.
        var refusals: [JourneyDiagnostic] = []
        for (file, text) in sources.sorted(by: { $0.key < $1.key }) {
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
                guard trimmed.hasPrefix("winner ") || trimmed == "winner" else { continue }
                refusals.append(
                    JourneyDiagnostic(
                        file: file, line: index + 1, column: line.count - trimmed.count + 1, severity: "error",
                        message: winnerRuleRefusal, id: "service-winner-rule"))
            }
        }
        if refusals.isEmpty {
            refusals = journeys.map {
                JourneyDiagnostic(
                    file: directory, line: 0, column: 0, severity: "error", message: "journey `\($0.name)`: " + winnerRuleRefusal,
                    id: "service-winner-rule")
            }
        }
        return refusals
    }
}
