import JourneyLanguage

/// Diagnostics (`textDocument/publishDiagnostics`) and their fix-its as quick fixes
/// (`textDocument/codeAction`).
extension LanguageServer {
    /// Queues one `publishDiagnostics` notification per file.
    mutating func publish(_ diagnostics: [String: [Diagnostic]]) {
        for path in diagnostics.keys.sorted() {
            let document = workspace.document(for: path) ?? TextDocument("")
            var params: [String: JSONValue] = [
                "uri": .string(workspace.uri(for: path)),
                "diagnostics": .array(diagnostics[path]!.map { json(for: $0, in: document) }),
            ]
            if let version = workspace.documents[path]?.version { params["version"] = .int(version) }
            outbox.append(Self.notification("textDocument/publishDiagnostics", .object(params)))
        }
    }

    func range(of location: SourceLocation, length: Int, in document: TextDocument) -> Range {
        document.range(line: location.line, column: location.column, length: length)
    }

    func json(for diagnostic: Diagnostic, in document: TextDocument) -> JSONValue {
        let span =
            diagnostic.location.map { range(of: $0, length: diagnostic.length, in: document) }
            ?? Range(start: Position(line: 0, character: 0), end: Position(line: 0, character: 0))
        var message = diagnostic.message
        var related: [JSONValue] = []
        for note in diagnostic.notes {
            if let location = note.location, let noteDocument = workspace.document(for: location.file) {
                related.append([
                    "location": [
                        "uri": .string(workspace.uri(for: location.file)), "range": self.range(of: location, length: 1, in: noteDocument).json,
                    ],
                    "message": .string(note.message),
                ])
            } else {
                message += "\nnote: \(note.message)"
            }
        }
        var json: [String: JSONValue] = [
            "range": span.json,
            "severity": .int(diagnostic.severity == .error ? 1 : diagnostic.severity == .warning ? 2 : 3),
            "code": .string(diagnostic.id.rawValue),
            "source": "herald",
            "message": .string(message),
        ]
        if !related.isEmpty { json["relatedInformation"] = .array(related) }
        return .object(json)
    }

    /// Quick fixes: the fix-its of the diagnostics (as last published) that touch the range.
    mutating func codeActions(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        guard let requested = Range(params["range"]) else { throw .invalidParams("range: expected {start, end} positions") }
        var actions: [JSONValue] = []
        for diagnostic in workspace.published[target.path] ?? [] where !diagnostic.fixIts.isEmpty {
            guard let location = diagnostic.location else { continue }
            let diagnosticRange = range(of: location, length: diagnostic.length, in: target.document)
            guard diagnosticRange.overlaps(requested) else { continue }
            for fixIt in diagnostic.fixIts {
                guard let document = workspace.document(for: fixIt.location.file) else { continue }
                let edit = range(of: fixIt.location, length: fixIt.length, in: document)
                let original = String(document.suffix(after: edit.start).unicodeScalars.prefix(fixIt.length))
                let title =
                    fixIt.replacement.isEmpty
                    ? "Remove `\(original)`"
                    : original.isEmpty ? "Insert `\(fixIt.replacement)`" : "Replace `\(original)` with `\(fixIt.replacement)`"
                actions.append([
                    "title": .string(title),
                    "kind": "quickfix",
                    "isPreferred": .bool(diagnostic.fixIts.count == 1),
                    "diagnostics": [json(for: diagnostic, in: target.document)],
                    "edit": [
                        "changes": [
                            workspace.uri(for: fixIt.location.file): [["range": edit.json, "newText": .string(fixIt.replacement)]]
                        ]
                    ],
                ])
            }
        }
        return .array(actions)
    }
}
