import JourneyLanguage

/// Go to definition (`textDocument/definition`) and the outline (`textDocument/documentSymbol`).
extension LanguageServer {
    /// The reference under a protocol position in a journey file.
    func reference(at position: Position, in document: TextDocument, index: JourneySourceIndex?) -> JourneySourceIndex.Reference? {
        let location = document.location(of: position)
        return index?.reference(line: location.line, column: location.column)
    }

    func location(_ reference: JourneySourceIndex.Reference) -> JSONValue {
        let document = workspace.document(for: reference.location.file) ?? TextDocument("")
        return [
            "uri": .string(workspace.uri(for: reference.location.file)),
            "range": range(of: reference.location, length: reference.length, in: document).json,
        ]
    }

    func fileStart(_ path: String) -> JSONValue {
        ["uri": .string(workspace.uri(for: path)), "range": Range(start: Position(line: 0, character: 0), end: Position(line: 0, character: 0)).json]
    }

    /// Message → its template files; segment → its declaration; event, attribute or property →
    /// its declaration in the schema; step label or journey → itself.
    mutating func definition(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        let position = try position(params)
        guard let reference = reference(at: position, in: target.document, index: target.unit.indices[target.path]) else { return .null }
        let unit = target.unit
        switch reference.kind {
        case .message(let channel):
            guard let message = unit.messages[reference.name] else { return .null }
            return .array(message.templates(for: channel).map(fileStart))
        case .property(let event):
            var declarations = unit.declarations(of: .property(event: event), named: reference.name)
            if declarations.isEmpty {
                // The event is not known here: every schema event with that property.
                declarations = unit.allReferences.filter {
                    guard $0.isDeclaration, $0.name == reference.name, case .property = $0.kind else { return false }
                    return true
                }
            }
            return declarations.isEmpty ? .null : .array(declarations.map(location))
        default:
            let declarations = unit.declarations(of: reference.kind, named: reference.name)
            return declarations.isEmpty ? .null : .array(declarations.map(location))
        }
    }

    /// The journeys (with their steps, nested as written), segments, policy and schema of a file.
    mutating func documentSymbols(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        guard let index = target.unit.indices[target.path] else { return [] }
        return .array(index.symbols.map { json(for: $0, in: target.document) })
    }

    func json(for symbol: JourneySourceIndex.Symbol, in document: TextDocument) -> JSONValue {
        let kind: Int =
            switch symbol.kind {
            case .journey: 5  // Class
            case .segment: 13  // Variable
            case .policy: 2  // Module
            case .schema: 23  // Struct
            case .customer: 19  // Object
            case .attribute: 8  // Field
            case .event: 24  // Event
            case .property: 7  // Property
            case .step: 12  // Function
            case .variant: 10  // Enum
            }
        let start = document.position(line: symbol.location.line, column: symbol.location.column)
        let lastLine = max(symbol.lastLine, symbol.location.line)
        let end = Position(line: lastLine - 1, character: document.line(lastLine - 1).utf16.count)
        var selection = document.range(line: symbol.nameLocation.line, column: symbol.nameLocation.column, length: symbol.nameLength)
        // The selection must lie inside the range.
        if selection.start < start || end < selection.end { selection = Range(start: start, end: start) }
        var result: [String: JSONValue] = [
            "name": .string(symbol.name.isEmpty ? symbol.kind.rawValue : symbol.name),
            "kind": .int(kind),
            "range": Range(start: start, end: max(start, end)).json,
            "selectionRange": selection.json,
            "children": .array(symbol.children.map { json(for: $0, in: document) }),
        ]
        if let detail = symbol.detail { result["detail"] = .string(detail) }
        return .object(result)
    }
}
