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
        return .success((catalog, warnings: diagnostics))
    }
}
