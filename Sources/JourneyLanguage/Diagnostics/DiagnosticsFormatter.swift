import Foundation

/// Renders diagnostics for people and tools.
///
/// - `plain`: one `path:line:column: severity: message [ID]` line per diagnostic and note — the
///   form SwiftPM, Xcode and most editors turn into clickable links.
/// - `annotated`: the plain line followed by the source line with a caret under the problem,
///   the notes and any suggested replacement (as swift-syntax's `DiagnosticsFormatter` does).
/// - `json`: an array of objects for tools.
///
/// ```swift
/// let text = DiagnosticsFormatter(style: .annotated, sources: result.sources).format(result.diagnostics)
/// ```
public struct DiagnosticsFormatter: Sendable {
    public enum Style: String, Sendable, CaseIterable {
        case plain, annotated, json
    }

    /// How many errors the text styles print per file before they stop (as `clang -ferror-limit`
    /// does): a file with thousands of problems usually has one cause, and the first errors show it.
    public static let defaultErrorLimit = 50

    public var style: Style
    /// File path → source text, used by the annotated style to show the offending line.
    public var sources: [String: String]
    /// The text styles print at most this many errors per file, then one line saying how many
    /// errors and warnings were left out; `nil` prints everything. The JSON style is never cut.
    public var errorLimit: Int?

    public init(style: Style = .annotated, sources: [String: String] = [:], errorLimit: Int? = Self.defaultErrorLimit) {
        self.style = style
        self.sources = sources
        self.errorLimit = errorLimit.map { max(1, $0) }
    }

    /// Orders diagnostics by file, line and column (keeping the order of equal positions).
    public static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?): return x == y ? a.offset < b.offset : x < y
            }
        }.map(\.element)
    }

    /// Renders the diagnostics in file, line and column order. Linear in the size of the output
    /// and the sources: each file's line starts are found once, not once per diagnostic.
    public func format(_ diagnostics: [Diagnostic]) -> String {
        let ordered = Self.sorted(diagnostics)
        if style == .json { return json(ordered) }
        var lines = SourceLines.Cache(sources: sources)
        var out = ""
        var index = ordered.startIndex
        while index < ordered.endIndex {
            // One run per file (the order groups them); diagnostics without a location form their own run.
            let file = ordered[index].location?.file
            var end = index
            while end < ordered.endIndex, ordered[end].location?.file == file { end += 1 }
            var errors = 0
            var position = index
            while position < end {
                let diagnostic = ordered[position]
                if let errorLimit, let file, diagnostic.severity == .error, errors == errorLimit {
                    out += Self.cutOff(file: file, shown: errorLimit, rest: ordered[position..<end])
                    break
                }
                if diagnostic.severity == .error { errors += 1 }
                out += style == .plain ? plain(diagnostic) : annotated(diagnostic, lines: &lines)
                position += 1
            }
            index = end
        }
        return out
    }

    /// `a.journey: note: stopped after 50 errors; 3950 more errors and 2 warnings not shown (...)`.
    private static func cutOff(file: String, shown: Int, rest: ArraySlice<Diagnostic>) -> String {
        let errors = rest.filter { $0.severity == .error }.count
        let warnings = rest.filter { $0.severity == .warning }.count
        var hidden = "\(errors) more error\(errors == 1 ? "" : "s")"
        if warnings > 0 { hidden += " and \(warnings) warning\(warnings == 1 ? "" : "s")" }
        return "\(file): note: stopped after \(shown) errors in this file; \(hidden) not shown "
            + "(fix these first, or use --format json for every diagnostic)\n"
    }

    /// "2 errors, 1 warning" (or "no problems").
    public static func summary(_ diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        if errors == 0 && warnings == 0 { return "no problems" }
        var parts: [String] = []
        if errors > 0 { parts.append("\(errors) error\(errors == 1 ? "" : "s")") }
        if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        return parts.joined(separator: ", ")
    }

    private func plain(_ diagnostic: Diagnostic) -> String {
        var out = diagnostic.description + "\n"
        for note in diagnostic.notes {
            let place = (note.location ?? diagnostic.location).map { "\($0): " } ?? ""
            out += "\(place)note: \(note.message)\n"
        }
        return out
    }

    private func annotated(_ diagnostic: Diagnostic, lines: inout SourceLines.Cache) -> String {
        var out = diagnostic.description + "\n"
        if let location = diagnostic.location, let line = lines.line(location) {
            let number = String(location.line)
            let gutter = String(repeating: " ", count: number.count)
            out += " \(number) | \(line)\n"
            // Copy tabs from the source so the caret lines up however the terminal shows them.
            let prefix = line.unicodeScalars.prefix(max(0, location.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
            let available = max(1, line.unicodeScalars.count - (location.column - 1))
            let underline = "^" + String(repeating: "~", count: max(0, min(diagnostic.length, available) - 1))
            out += " \(gutter) | \(prefix)\(underline)\n"
            for fixIt in diagnostic.fixIts where fixIt.location.line == location.line && fixIt.location.file == location.file {
                let fixPrefix = String(repeating: " ", count: max(0, fixIt.location.column - 1))
                out += " \(gutter) | \(fixPrefix)\(fixIt.replacement)\n"
            }
        }
        for note in diagnostic.notes {
            if let noteLocation = note.location, noteLocation != diagnostic.location {
                out += "\(noteLocation): note: \(note.message)\n"
            } else {
                out += "  note: \(note.message)\n"
            }
        }
        return out
    }

    private func json(_ diagnostics: [Diagnostic]) -> String {
        struct Entry: Encodable {
            var id: String
            var severity: String
            var file: String?
            var line: Int?
            var column: Int?
            var length: Int
            var message: String
            var notes: [Diagnostic.Note]
            var fixIts: [Diagnostic.FixIt]
        }
        let entries = diagnostics.map {
            Entry(
                id: $0.id.rawValue, severity: $0.severity.rawValue, file: $0.location?.file, line: $0.location?.line,
                column: $0.location?.column, length: $0.length, message: $0.message, notes: $0.notes, fixIts: $0.fixIts
            )
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(entries) else { return "[]\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
