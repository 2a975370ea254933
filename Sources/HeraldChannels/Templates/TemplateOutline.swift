import JourneyLanguage

/// The tags of a Mustache template as a tree, with their positions: what the template reads from
/// its context. swift-mustache renders a missing variable as nothing; Herald walks this outline
/// against the context first and reports the missing variable instead.
struct TemplateOutline: Sendable, Hashable {
    struct Position: Sendable, Hashable {
        var line: Int
        var column: Int
    }

    indirect enum Node: Sendable, Hashable {
        /// `{{name}}`, `{{{name}}}` or `{{&name}}`.
        case variable(name: String, at: Position)
        /// `{{#name}}…{{/name}}` or, inverted, `{{^name}}…{{/name}}`.
        case section(name: String, inverted: Bool, body: [Node], at: Position)
        /// `{{>name}}`: partials are not supported in message templates.
        case partial(name: String, at: Position)
    }

    struct SyntaxError: Error {
        var message: String
        var position: Position
    }

    var nodes: [Node]

    /// Scans `source`, following `{{=<% %>=}}` delimiter changes.
    init(source: String) throws(SyntaxError) {
        var scanner = Scanner(characters: Array(source))
        var stack: [(name: String, inverted: Bool, at: Position, nodes: [Node])] = [("", false, Position(line: 1, column: 1), [])]
        while let tag = try scanner.nextTag() {
            let (sigil, name, position) = tag
            switch sigil {
            case "#", "^":
                stack.append((name, sigil == "^", position, []))
            case "/":
                guard stack.count > 1, let open = stack.last, open.name == name else {
                    let expected = stack.count > 1 ? "; expected {{/\(stack.last!.name)}}" : ""
                    throw SyntaxError(message: "unexpected closing tag {{/\(name)}}\(expected)", position: position)
                }
                stack.removeLast()
                stack[stack.count - 1].nodes.append(.section(name: open.name, inverted: open.inverted, body: open.nodes, at: open.at))
            case ">":
                stack[stack.count - 1].nodes.append(.partial(name: name, at: position))
            case "", "{", "&":
                stack[stack.count - 1].nodes.append(.variable(name: name, at: position))
            default:
                break  // comments, pragmas, blocks
            }
        }
        if stack.count > 1, let open = stack.last {
            throw SyntaxError(message: "section {{#\(open.name)}} is never closed; add {{/\(open.name)}}", position: open.at)
        }
        nodes = stack[0].nodes
    }

    /// A variable the template reads that the context lacks.
    struct Missing: Sendable, Hashable {
        var name: String
        var position: Position
        /// A name that exists where the missing one was looked up, if one is close.
        var suggestion: String?
    }

    /// The first variable that would render as nothing because the context lacks it. Sections
    /// are followed as swift-mustache renders them (each item of a list, into an object, skipped
    /// when falsy); a section's own name may be absent (it is then false).
    func firstMissingVariable(in root: Value) -> Missing? {
        Self.check(nodes, stack: [root])
    }

    /// Every name the template reads, in order, as written (names inside a section may be
    /// relative to the section's item). For checks before any customer exists (`herald check`).
    var variableNames: [String] {
        var names: [String] = []
        func walk(_ nodes: [Node]) {
            for node in nodes {
                switch node {
                case .variable(let name, _): names.append(name)
                case .section(let name, _, let body, _):
                    names.append(name)
                    walk(body)
                case .partial: break
                }
            }
        }
        walk(nodes)
        return names
    }

    private static func check(_ nodes: [Node], stack: [Value]) -> Missing? {
        for node in nodes {
            switch node {
            case .variable(let name, let position):
                if case .failure(let notFound) = resolve(name, in: stack) {
                    return Missing(name: name, position: position, suggestion: notFound.suggestion)
                }
            case .section(let name, let inverted, let body, _):
                let value = try? resolve(name, in: stack).get()
                let truthy: Bool
                switch value {
                case .none, .null, .bool(false): truthy = false
                case .list(let items): truthy = !items.isEmpty
                default: truthy = true
                }
                if inverted {
                    if !truthy, let missing = check(body, stack: stack) { return missing }
                } else if truthy, let value {
                    switch value {
                    case .list(let items):
                        for item in items {
                            if let missing = check(body, stack: stack + [item]) { return missing }
                        }
                    case .bool:
                        if let missing = check(body, stack: stack) { return missing }
                    default:
                        if let missing = check(body, stack: stack + [value]) { return missing }
                    }
                }
            case .partial:
                continue
            }
        }
        return nil
    }

    private struct NotFound: Error {
        var suggestion: String?
    }

    /// Resolves a dotted name as swift-mustache does: the first part up the context stack, the
    /// rest inside what it found; a leading `.` looks in the innermost context only.
    private static func resolve(_ name: String, in stack: [Value]) -> Result<Value, NotFound> {
        if name == "." { return .success(stack.last ?? .null) }
        let parts = name.split(separator: ".").map(String.init)
        guard let first = parts.first else { return .failure(NotFound()) }
        var current: Value
        if name.hasPrefix(".") {
            guard let fields = stack.last?.fields, let value = fields[first] else {
                return .failure(NotFound(suggestion: closest(to: first, in: stack.last?.fields?.keys.map { $0 } ?? [])))
            }
            current = value
        } else {
            guard let value = stack.reversed().lazy.compactMap({ $0.fields?[first] }).first else {
                let candidates = stack.flatMap { $0.fields?.keys.map { $0 } ?? [] }
                return .failure(NotFound(suggestion: closest(to: first, in: candidates).map { ([$0] + parts.dropFirst()).joined(separator: ".") }))
            }
            current = value
        }
        var path = first
        for part in parts.dropFirst() {
            guard let fields = current.fields else { return .failure(NotFound()) }
            guard let value = fields[part] else {
                return .failure(NotFound(suggestion: closest(to: part, in: Array(fields.keys)).map { "\(path).\($0)" }))
            }
            path += "." + part
            current = value
        }
        return .success(current)
    }

    /// The candidate within a small edit distance of `name`, if any.
    static func closest(to name: String, in candidates: [String]) -> String? {
        let limit = max(1, name.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(name, candidate)
            if distance <= limit, distance < best?.distance ?? Int.max {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// Edit distance counting an adjacent transposition as one edit (optimal string alignment).
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = Swift.min(table[i - 1][j] + 1, table[i][j - 1] + 1)
                best = Swift.min(best, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = Swift.min(best, table[i - 2][j - 2] + 1)
                }
                table[i][j] = best
            }
        }
        return table[a.count][b.count]
    }
}

/// Finds the tags of a template, tracking line and column.
private struct Scanner {
    let characters: [Character]
    var index = 0
    var line = 1
    var column = 1
    var open: [Character] = Array("{{")
    var close: [Character] = Array("}}")

    init(characters: [Character]) {
        self.characters = characters
    }

    private func matches(_ token: [Character], at position: Int) -> Bool {
        guard position + token.count <= characters.count else { return false }
        return characters[position..<(position + token.count)].elementsEqual(token)
    }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < characters.count {
            if characters[index] == "\n" || characters[index] == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += 1
        }
    }

    /// The next tag's sigil (`#`, `^`, `/`, `>`, `!`, `=`, `{`, `&`, `%`, `$`, `<` or ""), its
    /// name (transforms such as `uppercased(name)` reduced to the name) and position.
    mutating func nextTag() throws(TemplateOutline.SyntaxError) -> (String, String, TemplateOutline.Position)? {
        while index < characters.count, !matches(open, at: index) { advance() }
        guard index < characters.count else { return nil }
        let position = TemplateOutline.Position(line: line, column: column)
        advance(open.count)
        var sigil = ""
        if index < characters.count, "#^/>!={&%$<".contains(characters[index]) {
            sigil = String(characters[index])
            advance()
        }
        var closing = close
        if sigil == "{" { closing = ["}"] + close }
        if sigil == "=" { closing = ["="] + close }
        var content: [Character] = []
        while index < characters.count, !matches(closing, at: index) {
            content.append(characters[index])
            advance()
        }
        guard index < characters.count else {
            throw TemplateOutline.SyntaxError(message: "tag is never closed; add \(String(closing))", position: position)
        }
        advance(closing.count)
        var name = String(content).trimmingWhitespace()
        if sigil == "=" {
            let parts = name.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2 else {
                throw TemplateOutline.SyntaxError(message: "a delimiter change reads {{=<% %>=}}", position: position)
            }
            open = Array(parts[0])
            close = Array(parts[1])
            return (sigil, "", position)
        }
        // Transforms: `uppercased(customer.name)` reads `customer.name`.
        while let start = name.firstIndex(of: "("), let end = name.lastIndex(of: ")"), start < end {
            name = String(name[name.index(after: start)..<end]).trimmingWhitespace()
        }
        if name.isEmpty, sigil != "!" {
            throw TemplateOutline.SyntaxError(message: "empty tag; write a variable name between the braces", position: position)
        }
        return (sigil, name, position)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
