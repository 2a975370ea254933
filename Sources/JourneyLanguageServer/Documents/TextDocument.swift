/// The text of a file with its lines, converting between the protocol's positions (0-based line,
/// UTF-16 code units) and the checker's (1-based line, column in Unicode scalars).
///
/// ```swift
/// var document = TextDocument("journey café\n")
/// document.position(line: 1, column: 13)       // Position(line: 0, character: 12)
/// ```
public struct TextDocument: Sendable, Equatable {
    public private(set) var text: String
    /// Each line's text without its line break.
    private var lines: [Substring]

    public init(_ text: String) {
        self.text = text
        self.lines = Self.split(text)
    }

    static func split(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        var lineStart = text.startIndex
        var index = text.startIndex
        // Lines end at \n, \r\n or \r, as the protocol says.
        while index < text.endIndex {
            let character = text[index]
            if character == "\n" || character == "\r\n" || character == "\r" {
                lines.append(text[lineStart..<index])
                index = text.index(after: index)
                lineStart = index
            } else {
                index = text.index(after: index)
            }
        }
        lines.append(text[lineStart..<text.endIndex])
        return lines
    }

    public var lineCount: Int { lines.count }

    /// Line `line` (0-based), empty past the end.
    public func line(_ line: Int) -> Substring {
        line >= 0 && line < lines.count ? lines[line] : ""
    }

    /// The protocol position of a checker location (1-based line, column in Unicode scalars).
    public func position(line: Int, column: Int) -> Position {
        let index = line - 1
        guard index >= 0 else { return Position(line: 0, character: 0) }
        guard index < lines.count else { return Position(line: lines.count - 1, character: lines[lines.count - 1].utf16.count) }
        var character = 0
        var scalars = 0
        for scalar in lines[index].unicodeScalars {
            if scalars >= column - 1 { break }
            character += scalar.utf16.count
            scalars += 1
        }
        return Position(line: index, character: character)
    }

    /// The protocol range of `length` Unicode scalars from a checker location, staying on its line.
    public func range(line: Int, column: Int, length: Int) -> Range {
        let start = position(line: line, column: column)
        let end = position(line: line, column: column + max(0, length))
        return Range(start: start, end: end)
    }

    /// The checker location (1-based line, column in Unicode scalars) of a protocol position. A
    /// character inside a surrogate pair or past the end of the line is moved to the nearest
    /// scalar boundary (the protocol says to treat it as the end of the line).
    public func location(of position: Position) -> (line: Int, column: Int) {
        let line = min(max(0, position.line), lines.count - 1)
        var units = 0
        var column = 1
        for scalar in lines[line].unicodeScalars {
            if units + scalar.utf16.count > position.character { break }
            units += scalar.utf16.count
            column += 1
        }
        return (line + 1, column)
    }

    /// The string index of a protocol position (clamped into the text; an offset inside a
    /// surrogate pair moves back to the start of its scalar).
    public func index(of position: Position) -> String.Index {
        if position.line < 0 { return text.startIndex }
        if position.line >= lines.count { return text.endIndex }
        let scalars = lines[position.line].unicodeScalars
        var units = 0
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let width = scalars[index].utf16.count
            if units + width > position.character { break }
            units += width
            index = scalars.index(after: index)
        }
        return index
    }

    /// The text of a line before a protocol position.
    public func prefix(before position: Position) -> String {
        guard position.line >= 0, position.line < lines.count else { return "" }
        let scalars = lines[position.line].unicodeScalars
        return String(scalars[scalars.startIndex..<index(of: position)])
    }

    /// The text of a line from a protocol position on.
    public func suffix(after position: Position) -> String {
        guard position.line >= 0, position.line < lines.count else { return "" }
        let scalars = lines[position.line].unicodeScalars
        return String(scalars[index(of: position)..<scalars.endIndex])
    }

    /// The position just after the last character.
    public var endPosition: Position {
        Position(line: lines.count - 1, character: lines[lines.count - 1].utf16.count)
    }

    /// Replaces `range` (or everything, when `nil`) with `newText`.
    public mutating func apply(range: Range?, text newText: String) {
        guard let range else {
            self = TextDocument(newText)
            return
        }
        let lower = index(of: range.start)
        let upper = max(lower, index(of: range.end))
        var scalars = text.unicodeScalars
        scalars.replaceSubrange(lower..<upper, with: newText.unicodeScalars)
        self = TextDocument(String(scalars))
    }
}

/// A position in a text document: 0-based line and character offset in UTF-16 code units.
public struct Position: Sendable, Hashable, Comparable {
    public var line: Int
    public var character: Int
    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    public static func < (a: Position, b: Position) -> Bool { (a.line, a.character) < (b.line, b.character) }

    var json: JSONValue { ["line": .int(line), "character": .int(character)] }

    init?(_ json: JSONValue) {
        guard let line = json["line"].int, let character = json["character"].int, line >= 0, character >= 0 else { return nil }
        self.init(line: line, character: character)
    }
}

/// A range in a text document, end exclusive.
public struct Range: Sendable, Hashable {
    public var start: Position
    public var end: Position
    public init(start: Position, end: Position) {
        self.start = start
        self.end = end
    }

    var json: JSONValue { ["start": start.json, "end": end.json] }

    init?(_ json: JSONValue) {
        guard let start = Position(json["start"]), let end = Position(json["end"]), start <= end else { return nil }
        self.init(start: start, end: end)
    }

    func overlaps(_ other: Range) -> Bool { start <= other.end && other.start <= end }
}
