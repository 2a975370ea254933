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

    public var style: Style
    /// File path → source text, used by the annotated style to show the offending line.
    public var sources: [String: String]

    public init(style: Style = .annotated, sources: [String: String] = [:]) {
        self.style = style
        self.sources = sources
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

    public func format(_ diagnostics: [Diagnostic]) -> String {
        let ordered = Self.sorted(diagnostics)
        switch style {
        case .plain:
            return ordered.map(plain).joined()
        case .annotated:
            return ordered.map(annotated).joined()
        case .json:
            return json(ordered)
        }
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

    private func annotated(_ diagnostic: Diagnostic) -> String {
        var out = diagnostic.description + "\n"
        if let location = diagnostic.location, let line = sourceLine(location) {
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

    private func sourceLine(_ location: SourceLocation) -> String? {
        guard let text = sources[location.file], location.line >= 1 else { return nil }
        var current = 1
        var lineStart = text.startIndex
        var index = text.startIndex
        while index < text.endIndex, current < location.line {
            if text[index] == "\n" || text[index] == "\r\n" {
                current += 1
                lineStart = text.index(after: index)
            }
            index = text.index(after: index)
        }
        guard current == location.line else { return nil }
        let lineEnd = text[lineStart...].firstIndex { $0 == "\n" || $0 == "\r\n" || $0 == "\r" } ?? text.endIndex
        return String(text[lineStart..<lineEnd])
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
