import Foundation
import JourneyLanguage

/// Hover (`textDocument/hover`): what a keyword does, the type of an attribute or property, a
/// message's channels, subject and first line, a segment's definition.
extension LanguageServer {
    static let builtinAttributes: [String: String] = [
        "id": "string", "email": "string", "phone": "string", "time_zone": "string",
        "subscribed": "object (`subscribed.email`, `subscribed.sms`, … are bool)",
    ]
    static let builtinProperties: [String: String] = ["name": "string", "time": "time"]

    mutating func hover(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        let position = try position(params)
        let unit = target.unit
        if let reference = reference(at: position, in: target.document, index: unit.indices[target.path]) {
            let text = hoverText(for: reference, in: unit)
            return [
                "contents": ["kind": "markdown", "value": .string(text)],
                "range": range(of: reference.location, length: reference.length, in: target.document).json,
            ]
        }
        guard let (word, range) = Self.word(at: position, in: target.document), let entry = KeywordDocumentation.entries[word] else { return .null }
        return ["contents": ["kind": "markdown", "value": .string(entry)], "range": range.json]
    }

    /// The name (letters, digits, `_`) under a position, with its range.
    static func word(at position: Position, in document: TextDocument) -> (String, Range)? {
        let before = document.prefix(before: position).unicodeScalars
        let after = document.suffix(after: position).unicodeScalars
        let isWord: (Unicode.Scalar) -> Bool = { isNameStart($0) || ("0"..."9").contains($0) }
        let head = String(String.UnicodeScalarView(before.reversed().prefix(while: isWord).reversed()))
        let tail = String(String.UnicodeScalarView(after.prefix(while: isWord)))
        let word = head + tail
        guard !word.isEmpty else { return nil }
        let start = Position(line: position.line, character: position.character - head.utf16.count)
        return (word, Range(start: start, end: Position(line: position.line, character: position.character + tail.utf16.count)))
    }

    func hoverText(for reference: JourneySourceIndex.Reference, in unit: Workspace.Unit) -> String {
        let schema = unit.schema
        switch reference.kind {
        case .attribute:
            if let type = schema.attributes[reference.name] { return "`customer.\(reference.name)`: `\(type)` (declared in the schema)" }
            if let type = Self.builtinAttributes[reference.name] { return "`customer.\(reference.name)`: \(type) (built in)" }
            return "`customer.\(reference.name)`: `any` (not declared in the schema, so its type is checked at run time)"
        case .property(let event):
            if let type = Self.builtinProperties[reference.name] { return "`event.\(reference.name)`: `\(type)` (built in)" }
            if let event, let type = schema.events[event]?[reference.name] {
                return "`event.\(reference.name)`: `\(type)` (a property of event \"\(event)\")"
            }
            let owners = schema.events.keys.sorted().compactMap { name in schema.events[name]![reference.name].map { "`\($0)` in \"\(name)\"" } }
            return owners.isEmpty
                ? "`event.\(reference.name)`: `any` (not declared in the schema)" : "`event.\(reference.name)`: \(owners.joined(separator: ", "))"
        case .event:
            guard let properties = schema.events[reference.name] else {
                return "event \"\(reference.name)\"" + (schema.events.isEmpty ? "" : " (not declared in the schema)")
            }
            let list = properties.keys.sorted().map { "- `event.\($0)`: `\(properties[$0]!)`" }.joined(separator: "\n")
            return "event \"\(reference.name)\"\n\n" + (list.isEmpty ? "no properties declared" : list)
        case .segment:
            guard let declaration = unit.declarations(of: .segment, named: reference.name).first,
                let symbol = unit.indices[declaration.location.file]?.symbols.first(where: { $0.kind == .segment && $0.name == reference.name }),
                let document = workspace.document(for: declaration.location.file)
            else { return "segment `\(reference.name)` (not declared)" }
            let lines = (symbol.location.line...max(symbol.location.line, symbol.lastLine)).map { String(document.line($0 - 1)) }
            return "segment `\(reference.name)`" + (symbol.detail.map { ": \($0)" } ?? "") + "\n\n```herald\n" + lines.joined(separator: "\n")
                + "\n```"
        case .message(let channel):
            guard let message = unit.messages[reference.name] else {
                return "message `\(reference.name)`: no templates in `messages/\(reference.name)/`"
            }
            var text = "message `\(reference.name)` (\(message.channels.map(\.rawValue).joined(separator: ", ")))"
            if let subject = message.files["subject.mustache"].flatMap(Self.firstLine) { text += "\n\n**Subject:** \(subject)" }
            let bodyFile: String? =
                switch channel {
                case "sms": "sms.mustache"
                case "webhook": "webhook.json.mustache"
                default: message.files["body.txt.mustache"] != nil ? "body.txt.mustache" : "body.html.mustache"
                }
            if let bodyFile, let line = message.files[bodyFile].flatMap(Self.firstLine) { text += "\n\n\(line)" }
            return text
        case .stepLabel(let journey):
            let step = unit.indices[reference.location.file]?.symbols.first { $0.kind == .journey && $0.name == journey }
                .flatMap { Self.step(labelled: reference, in: $0.children) }
            return "step `\(reference.name)` of journey `\(journey)`" + (step?.detail.map { ": `\($0)`" } ?? "")
        case .journey:
            let symbol = unit.allSymbols.first { $0.kind == .journey && $0.name == reference.name }
            return "journey `\(reference.name)`" + (symbol?.detail.map { ": \($0)" } ?? "")
        }
    }

    static func step(labelled reference: JourneySourceIndex.Reference, in steps: [JourneySourceIndex.Symbol]) -> JourneySourceIndex.Symbol? {
        for step in steps {
            if step.nameLocation == reference.location { return step }
            if let found = Self.step(labelled: reference, in: step.children) { return found }
        }
        return nil
    }

    /// The first non-empty line of a template, without HTML tags, shortened.
    static func firstLine(_ text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            var plain = ""
            var inTag = false
            for character in line {
                if character == "<" {
                    inTag = true
                } else if character == ">" {
                    inTag = false
                } else if !inTag {
                    plain.append(character)
                }
            }
            let trimmed = plain.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { return trimmed.count > 120 ? String(trimmed.prefix(119)) + "…" : trimmed }
        }
        return nil
    }
}

extension Workspace.Unit {
    /// Declared attribute and property types, by name, as written in the schema.
    var schema: (attributes: [String: String], events: [String: [String: String]]) {
        var attributes: [String: String] = [:]
        var events: [String: [String: String]] = [:]
        for symbol in allSymbols where symbol.kind == .schema {
            for block in symbol.children {
                switch block.kind {
                case .customer: for field in block.children { attributes[field.name] = field.detail ?? "any" }
                case .event:
                    var properties = events[block.name] ?? [:]
                    for field in block.children { properties[field.name] = field.detail ?? "any" }
                    events[block.name] = properties
                default: break
                }
            }
        }
        return (attributes, events)
    }

    var allSymbols: [JourneySourceIndex.Symbol] { indices.keys.sorted().flatMap { indices[$0]!.symbols } }
}
