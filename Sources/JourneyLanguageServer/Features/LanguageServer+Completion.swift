import Foundation
import JourneyLanguage

/// Completion (`textDocument/completion`) of what is valid at the cursor: keywords for the block
/// the line is in, channels, messages that have a template for the channel, segments, event names
/// and their properties, customer attributes, caps and IANA time zones. The context is read from
/// the line before the cursor (so it works while the line does not parse yet) and the names from
/// the compiled workspace.
extension LanguageServer {
    enum ItemKind: Int {
        case text = 1, function = 3, field = 5, variable = 6, module = 9, property = 10, value = 12, keyword = 14, file = 17, enumMember = 20,
            constant = 21, event = 23
    }

    struct Item {
        var label: String
        var kind: ItemKind
        var detail: String?
        var documentation: String?
    }

    static let declarationKeywords = ["journey", "segment", "policy", "schema"]
    static let journeyKeywords = [
        "stage", "priority", "trigger", "entry", "exit", "goal", "cap", "time zone", "wait", "wait until", "wait for event", "send", "if", "else",
        "else if", "split", "variant", "control", "winner after", "set", "increment", "unset", "step", "received ->", "timeout ->",
        "wait for events", "on event", "go to",
    ]
    static let policyKeywords = [
        "time zone", "settle window", "cap", "minimum gap", "quiet hours", "transactional counts toward caps", "global holdout",
    ]
    static let stages = ["awareness", "consideration", "purchase", "retention", "advocacy"]
    static let channels = ["email", "sms", "webhook"]
    static let days = ["day", "weekday", "weekend", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    static let types = ["string", "number", "bool", "time", "duration", "object", "any", "list<string>", "list<number>"]
    static let functions = [
        "lower", "upper", "trim", "length", "abs", "round", "floor", "ceil", "min", "max", "coalesce", "time", "local_hour", "local_weekday",
    ]
    static let sendOptions = ["transactional", "marketing", "topic", "fallback", "when capped", "in quiet hours", "at best time within"]
    static let expressionWords = [
        "customer.", "event.", "now", "true", "false", "null", "and", "or", "not", "exists", "in segment", "contains", "matches", "starts with",
        "ends with",
        "in", "count(event", "last(event",
    ]

    mutating func completion(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        let target = try target(params)
        let position = try position(params)
        let prefix = target.document.prefix(before: position)
        let (items, replaced) = completions(prefix: prefix, line: position.line, document: target.document, unit: target.unit)
        let range = Range(start: Position(line: position.line, character: max(0, position.character - replaced.utf16.count)), end: position)
        return [
            "isIncomplete": false,
            "items": .array(
                items.map { item in
                    var json: [String: JSONValue] = [
                        "label": .string(item.label), "kind": .int(item.kind.rawValue),
                        "textEdit": ["range": range.json, "newText": .string(item.label)],
                    ]
                    if let detail = item.detail { json["detail"] = .string(detail) }
                    if let documentation = item.documentation { json["documentation"] = ["kind": "markdown", "value": .string(documentation)] }
                    return .object(json)
                }),
        ]
    }

    /// The items for a line prefix, and the text before the cursor they replace.
    func completions(prefix: String, line: Int, document: TextDocument, unit: Workspace.Unit) -> (items: [Item], replaced: String) {
        let schema = unit.schema
        // Where the cursor is: in a string (after an opening quote), in a comment, or in code.
        var inString = false
        var escaped = false
        for scalar in prefix.unicodeScalars {
            if escaped {
                escaped = false
            } else if inString && scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                inString.toggle()
            } else if !inString && scalar == "#" {
                return ([], "")
            }
        }
        // Inside a string: event names or time zones.
        if inString, let quote = prefix.lastIndex(of: "\"") {
            let inside = String(prefix[prefix.index(after: quote)...])
            let before = prefix[..<quote].trimmingCharacters(in: .whitespaces)
            if before.hasSuffix("time zone") {
                return (TimeZone.knownTimeZoneIdentifiers.sorted().map { Item(label: $0, kind: .value) }, inside)
            }
            if before.hasSuffix("event") {
                var names = Set(schema.events.keys)
                for reference in unit.allReferences where reference.kind == .event { names.insert(reference.name) }
                return (
                    names.sorted().map { Item(label: $0, kind: .event, detail: schema.events[$0] == nil ? nil : "declared in the schema") }, inside
                )
            }
            return ([], inside)
        }
        let partial = String(
            String.UnicodeScalarView(prefix.unicodeScalars.reversed().prefix { Self.isNameStart($0) || ("0"..."9").contains($0) }.reversed()))
        let head = String(prefix.unicodeScalars.dropLast(partial.unicodeScalars.count))
        if head.hasSuffix("customer.") {
            var items = schema.attributes.keys.sorted().map { Item(label: $0, kind: .field, detail: schema.attributes[$0]) }
            items += Self.builtinAttributes.keys.sorted().filter { schema.attributes[$0] == nil }.map {
                Item(label: $0, kind: .field, detail: "\(Self.builtinAttributes[$0]!) (built in)")
            }
            return (items, partial)
        }
        if head.hasSuffix("event.") {
            let event = contextEvent(before: head, line: line, document: document)
            var properties: [String: String] = [:]
            if let event, let declared = schema.events[event] {
                properties = declared
            } else {
                for declared in schema.events.values { properties.merge(declared) { first, _ in first } }
            }
            var items = properties.keys.sorted().map { Item(label: $0, kind: .property, detail: properties[$0]) }
            items += Self.builtinProperties.keys.sorted().map {
                Item(label: $0, kind: .property, detail: "\(Self.builtinProperties[$0]!) (built in)")
            }
            return (items, partial)
        }
        let words = head.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        let keywords: ([String]) -> [Item] = { $0.map { Item(label: $0, kind: .keyword, documentation: KeywordDocumentation.entries[$0]) } }
        guard let last = words.last else {
            // The start of a line: what may begin a line in this block.
            let indent = prefix.prefix { $0 == " " }.count
            if indent == 0 { return (keywords(Self.declarationKeywords), partial) }
            switch enclosingDeclaration(line: line, document: document) {
            case "journey": return (keywords(Self.journeyKeywords), partial)
            case "policy": return (keywords(Self.policyKeywords), partial)
            case "schema": return (keywords(["customer", "event"]), partial)
            case "segment": return (keywords(["where", "and", "or"]), partial)
            default: return (keywords(Self.declarationKeywords), partial)
            }
        }
        let first = words[0]
        if first == "schema" || enclosingDeclaration(line: line, document: document) == "schema", words.count == 1, first != "event" {
            return (Self.types.map { Item(label: $0, kind: .keyword) }, partial)
        }
        switch last {
        case "send", "fallback": return (Self.channels.map { Item(label: $0, kind: .enumMember) }, partial)
        case "stage": return (Self.stages.map { Item(label: $0, kind: .enumMember, documentation: KeywordDocumentation.entries[$0]) }, partial)
        case "segment" where words.count >= 2:
            let names = Set(unit.allReferences.filter { $0.kind == .segment && $0.isDeclaration }.map(\.name))
            return (
                names.sorted().map { name in
                    Item(label: name, kind: .constant, detail: unit.allSymbols.first { $0.kind == .segment && $0.name == name }?.detail)
                }, partial
            )
        case "trigger": return (keywords(["on event", "on segment", "every"]), partial)
        case "on" where words.contains("trigger"): return (keywords(["event", "segment"]), partial)
        case "on", "every": return (Self.days.map { Item(label: $0, kind: .enumMember) }, partial)
        case "entry": return (keywords(["once", "once per", "one at a time", "always"]), partial)
        case "capped": return (keywords(["skip", "defer up to", "fallback"]), partial)
        case "hours" where words.contains("in"): return (keywords(["skip", "defer"]), partial)
        case "best" where words.contains("send"): return (keywords(["time within"]), partial)
        case "within" where words.contains("best"): return (keywords(["24 hours", "12 hours", "2 days"]), partial)
        case "wait": return (keywords(["until", "for event"]), partial)
        default: break
        }
        if words.count >= 2, words[words.count - 2] == "send" {
            let channel = last
            let messages = unit.messages.values.filter { !Self.channels.contains(channel) || $0.channels.map(\.rawValue).contains(channel) }
            return (
                messages.sorted { $0.name < $1.name }.map {
                    Item(
                        label: $0.name, kind: .file, detail: $0.channels.map(\.rawValue).joined(separator: ", "),
                        documentation: $0.files["subject.mustache"].flatMap(Self.firstLine).map { "**Subject:** \($0)" })
                }, partial
            )
        }
        if first == "cap" {
            if last == "journey" {
                return (unit.allSymbols.filter { $0.kind == .journey }.map { Item(label: $0.name, kind: .module, detail: $0.detail) }, partial)
            }
            if last == "per" { return (keywords(["day", "hour", "week", "24 hours", "rolling 7 days"]), partial) }
            if !words.contains("per") {
                return (keywords(["all", "marketing", "transactional", "email", "sms", "webhook", "each journey", "journey"]), partial)
            }
        }
        if first == "send" || (words.count >= 2 && words[0] == "step" && words.contains("send")), words.count >= 3 {
            return (keywords(Self.sendOptions), partial)
        }
        var items = keywords(Self.expressionWords)
        items += Self.functions.map { Item(label: $0, kind: .function) }
        return (items, partial)
    }

    /// The event `event.*` refers to at the cursor: the nearest `event "name"` before it on the line,
    /// else the one of the block's wait or the journey's trigger above.
    func contextEvent(before head: String, line: Int, document: TextDocument) -> String? {
        if let name = Self.lastEventName(in: head) { return name }
        var index = line - 1
        let indent = head.prefix { $0 == " " }.count
        while index >= 0 {
            let text = String(document.line(index))
            let lineIndent = text.prefix { $0 == " " }.count
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty, !trimmed.hasPrefix("#") {
                if lineIndent == 0 { break }
                if (lineIndent < indent && trimmed.contains("wait for event")) || trimmed.hasPrefix("trigger on event"),
                    let name = Self.lastEventName(in: trimmed)
                {
                    return name
                }
            }
            index -= 1
        }
        return nil
    }

    static func lastEventName(in text: String) -> String? {
        guard let range = text.range(of: "event \"", options: .backwards) else { return nil }
        let rest = text[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// The first word of the nearest line above `line` that starts at column 1.
    func enclosingDeclaration(line: Int, document: TextDocument) -> String? {
        var index = line - 1
        while index >= 0 {
            let text = document.line(index)
            if let first = text.first, first != " ", first != "#" {
                return text.split(separator: " ").first.map(String.init)
            }
            index -= 1
        }
        return nil
    }
}
