import JourneyLanguage

/// Formatting (`textDocument/formatting`, the same layout as `herald fmt`) and renaming a segment
/// or a step label (`textDocument/prepareRename`, `textDocument/rename`).
extension LanguageServer {
    mutating func formatting(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        let result = JourneyFormatter.format(target.document.text, file: target.path)
        guard let formatted = result.formatted else {
            let first = result.diagnostics.first.map { ": \($0.location.map { "line \($0.line), column \($0.column): " } ?? "")\($0.message)" } ?? ""
            throw .requestFailed("cannot format \(target.path): it has syntax errors\(first); fix them first")
        }
        guard formatted != target.document.text else { return [] }
        return [["range": Range(start: Position(line: 0, character: 0), end: target.document.endPosition).json, "newText": .string(formatted)]]
    }

    /// The segment name or step label under the cursor, or why there is nothing to rename.
    func renameable(
        _ params: JSONValue, _ target: (path: String, document: TextDocument, unit: Workspace.Unit)
    ) throws(ResponseError)
        -> JourneySourceIndex.Reference
    {
        let position = try position(params)
        guard let reference = reference(at: position, in: target.document, index: target.unit.indices[target.path]) else {
            throw .requestFailed("nothing to rename here: put the cursor on a segment name or a step label")
        }
        switch reference.kind {
        case .segment, .stepLabel: return reference
        default:
            throw .requestFailed("`\(reference.name)` cannot be renamed here: only segment names and step labels can be renamed")
        }
    }

    mutating func prepareRename(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        let reference = try renameable(params, target)
        return ["range": range(of: reference.location, length: reference.length, in: target.document).json, "placeholder": .string(reference.name)]
    }

    mutating func rename(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        let reference = try renameable(params, target)
        guard let newName = params["newName"].string else { throw .invalidParams("newName: expected a string") }
        guard Self.isName(newName) else {
            throw .invalidParams(
                "`\(newName)` is not a valid name: use letters, digits and `_`, not starting with a digit (for example `\(Self.suggestedName(newName))`)"
            )
        }
        let what = reference.kind == .segment ? "segment" : "step label"
        if newName != reference.name, !target.unit.declarations(of: reference.kind, named: newName).isEmpty {
            throw .requestFailed(
                "a \(what) named `\(newName)` already exists\(reference.kind == .segment ? "" : " in this journey"); choose another name")
        }
        var changes: [String: [JSONValue]] = [:]
        if newName != reference.name {
            for use in target.unit.allReferences where use.kind == reference.kind && use.name == reference.name {
                let document = workspace.document(for: use.location.file) ?? TextDocument("")
                changes[workspace.uri(for: use.location.file), default: []].append([
                    "range": range(of: use.location, length: use.length, in: document).json, "newText": .string(newName),
                ])
            }
        }
        return ["changes": .object(changes.mapValues { .array($0) })]
    }

    /// Names are ASCII letters, digits and `_`, not starting with a digit (as the lexer reads them).
    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, isNameStart(first) else { return false }
        return text.unicodeScalars.allSatisfy { isNameStart($0) || ("0"..."9").contains($0) }
    }

    static func isNameStart(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }

    static func suggestedName(_ text: String) -> String {
        var name = String(String.UnicodeScalarView(text.unicodeScalars.map { isNameStart($0) || ("0"..."9").contains($0) ? $0 : "_" }))
        if name.isEmpty || ("0"..."9").contains(name.unicodeScalars.first!) { name = "_" + name }
        return name
    }
}
