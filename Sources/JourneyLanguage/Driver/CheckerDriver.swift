import Foundation

/// What `herald check` and `journey-check` do, shared so both behave the same.
///
/// ```swift
/// let report = CheckerDriver.check(paths: ["Journeys"])
/// FileHandle.standardError.write(Data(report.rendered(style: .annotated).utf8))
/// exit(report.exitCode)
/// ```
public enum CheckerDriver {
    public struct Report: Sendable {
        public var diagnostics: [Diagnostic]
        public var sources: [String: String]
        /// Paths that do not exist (a usage problem).
        public var missingPaths: [String]
        /// The compiled catalogs, one per checked unit (directory or standalone file).
        public var catalogs: [JourneyCatalog]

        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

        /// 0 when there are no errors, 1 when there are, 2 when a path does not exist.
        public var exitCode: Int32 { !missingPaths.isEmpty ? 2 : hasErrors ? 1 : 0 }

        /// The diagnostics as text (at most `errorLimit` errors per file) or JSON (all of them).
        public func rendered(style: DiagnosticsFormatter.Style, errorLimit: Int? = DiagnosticsFormatter.defaultErrorLimit) -> String {
            DiagnosticsFormatter(style: style, sources: sources, errorLimit: errorLimit).format(diagnostics)
        }

        /// `checked 9 files: no problems`.
        public var summary: String {
            let files = sources.keys.filter { $0.hasSuffix(".journey") }.count
            return "checked \(files) journey file\(files == 1 ? "" : "s"): \(DiagnosticsFormatter.summary(diagnostics))"
        }
    }

    /// Checks each path: a directory is compiled as one unit (its files see each other's segments,
    /// policy and schema); a file is checked as part of its directory, showing only its own
    /// diagnostics — or on its own when `standalone` is set.
    public static func check(paths: [String], standalone: Bool = false) -> Report {
        var report = Report(diagnostics: [], sources: [:], missingPaths: [], catalogs: [])
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                report.missingPaths.append(path)
                continue
            }
            let result: CompilationResult
            if isDirectory.boolValue {
                result = JourneyCompiler.compile(directory: path)
            } else if standalone {
                result = compileStandalone(file: path)
            } else {
                let directory = (path as NSString).deletingLastPathComponent
                let unit = JourneyCompiler.compile(directory: directory.isEmpty ? "." : directory)
                let key = unit.sources.keys.first { samePath($0, path) } ?? path
                var filtered = unit
                filtered.diagnostics = unit.diagnostics.filter { $0.location == nil || samePath($0.location!.file, key) }
                filtered.sources = unit.sources.filter { $0.key == key }
                if unit.sources[key] == nil {
                    // Not a journey file of the directory (another extension): check it alone.
                    result = compileStandalone(file: path)
                } else {
                    result = filtered
                }
            }
            report.diagnostics += result.diagnostics
            report.sources.merge(result.sources) { a, _ in a }
            if let catalog = result.catalog { report.catalogs.append(catalog) }
        }
        var unique: [Diagnostic] = []
        var seen: Set<Diagnostic> = []
        for diagnostic in report.diagnostics where seen.insert(diagnostic).inserted { unique.append(diagnostic) }
        report.diagnostics = unique
        return report
    }

    static func samePath(_ a: String, _ b: String) -> Bool {
        a == b || (a as NSString).standardizingPath == (b as NSString).standardizingPath
    }

    /// Compiles one file on its own, with the templates in the `messages/` directory beside it.
    public static func compileStandalone(file path: String) -> CompilationResult {
        switch JourneyDirectory.readText(path) {
        case .failure(let diagnostic):
            return CompilationResult(catalog: nil, diagnostics: [diagnostic])
        case .success(let text):
            let directory = (path as NSString).deletingLastPathComponent
            let messages = JourneyDirectory.loadMessages(in: JourneyDirectory.join(directory.isEmpty ? "." : directory, "messages"))
            return JourneyCompiler.compile(files: [path: text], messages: messages)
        }
    }
}
