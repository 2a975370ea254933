import Foundation

/// The outcome of compiling a set of journey files.
public struct CompilationResult: Sendable {
    /// The compiled catalog; `nil` when any error was reported.
    public var catalog: JourneyCatalog?
    /// Errors, warnings and notes, in file/line/column order.
    public var diagnostics: [Diagnostic]
    /// File path → source text of every file read (for annotated diagnostics).
    public var sources: [String: String]

    public init(catalog: JourneyCatalog?, diagnostics: [Diagnostic], sources: [String: String] = [:]) {
        self.catalog = catalog
        self.diagnostics = diagnostics
        self.sources = sources
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Source text to a checked, compiled ``JourneyCatalog``.
///
/// ```swift
/// let result = JourneyCompiler.compile(sources: ["welcome.journey": """
///     journey welcome
///       trigger on event "signed_up"
///       send email welcome
///     """])
/// let program = try #require(result.catalog?.journey(named: "welcome"))
/// ```
public enum JourneyCompiler {
    /// Compiles every `*.journey` file in `directory` (and its subdirectories, except `messages/`
    /// and `samples/`) with the templates in `directory/messages/`.
    public static func compile(directory: String) -> CompilationResult {
        let loaded = JourneyDirectory.load(directory)
        var result = compile(files: loaded.sources, messages: loaded.messages)
        result.diagnostics = DiagnosticsFormatter.sorted(loaded.diagnostics + result.diagnostics)
        if result.hasErrors { result.catalog = nil }
        return result
    }

    /// Compiles in-memory sources (file path → text). `messages` lists the message templates that
    /// exist; when it is empty, sends are not checked against templates (handy in tests).
    public static func compile(sources: [String: String], messages: [String: MessageTemplates] = [:]) -> CompilationResult {
        var sourcesByMessage: [String: MessageSource]?
        if !messages.isEmpty {
            var converted: [String: MessageSource] = [:]
            for (name, templates) in messages {
                var files: [String: String] = [:]
                for channel in templates.channels {
                    switch channel {
                    case .email:
                        files["subject.mustache"] = ""
                        files["body.html.mustache"] = ""
                        files["body.txt.mustache"] = ""
                    case .sms: files["sms.mustache"] = ""
                    case .webhook: files["webhook.json.mustache"] = ""
                    }
                }
                converted[name] = MessageSource(name: name, directory: templates.directory, files: files, displayDirectory: templates.directory)
            }
            sourcesByMessage = converted
        }
        return compile(files: sources, messages: sourcesByMessage)
    }

    /// An unterminated string swallows the rest of its line (`wait for event "clicked up to 1 day`
    /// reads as an event named `clicked up to 1 day`), so whatever else is said about that line
    /// is an echo of the one real error: only the unterminated string is reported there.
    static func withoutUnterminatedStringEchoes(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var lines: Set<SourceLocation> = []
        for d in diagnostics where d.id == .unterminatedString {
            if let at = d.location { lines.insert(SourceLocation(file: at.file, line: at.line, column: 0)) }
        }
        guard !lines.isEmpty else { return diagnostics }
        return diagnostics.filter { d in
            guard d.id != .unterminatedString, let at = d.location else { return true }
            return !lines.contains(SourceLocation(file: at.file, line: at.line, column: 0))
        }
    }

    static func compile(files sources: [String: String], messages: [String: MessageSource]?, versions: Bool = true) -> CompilationResult {
        var diagnostics: [Diagnostic] = []
        var files: [SourceFileSyntax] = []
        for path in sources.keys.sorted() {
            let parsed = Parser.parse(file: path, text: sources[path]!)
            diagnostics += parsed.diagnostics
            files.append(parsed.file)
        }
        var checker = CatalogChecker(files: files, messages: messages)
        checker.computesVersions = versions
        let catalog = checker.run()
        diagnostics += checker.diagnostics
        diagnostics = withoutUnterminatedStringEchoes(diagnostics)
        let hasErrors = diagnostics.contains { $0.severity == .error }
        return CompilationResult(catalog: hasErrors ? nil : catalog, diagnostics: DiagnosticsFormatter.sorted(diagnostics), sources: sources)
    }
}
