/// The lines of one source text, found in one pass: line `n` is a slice, in constant time.
///
/// Lines end as the lexer ends them (`\n`, `\r\n` or a lone `\r`), so line numbers in diagnostics
/// and the lines shown under them agree.
struct SourceLines {
    private let scalars: String.UnicodeScalarView
    /// Where each line starts; `starts[0]` is line 1.
    private var starts: [String.UnicodeScalarView.Index]

    init(_ text: String) {
        scalars = text.unicodeScalars
        starts = [scalars.startIndex]
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            index = scalars.index(after: index)
            if scalar == "\r", index < scalars.endIndex, scalars[index] == "\n" { index = scalars.index(after: index) }
            if scalar == "\n" || scalar == "\r" { starts.append(index) }
        }
    }

    var count: Int { starts.count }

    /// Line `number` (1-based) without its line break, or `nil` when the text has no such line.
    func line(_ number: Int) -> String? {
        guard number >= 1, number <= starts.count else { return nil }
        let start = starts[number - 1]
        var end = number < starts.count ? starts[number] : scalars.endIndex
        // Step back over the break that ends the line ("\n", "\r" or "\r\n").
        if end > start, number < starts.count {
            end = scalars.index(before: end)
            if end > start, scalars[end] == "\n", scalars[scalars.index(before: end)] == "\r" { end = scalars.index(before: end) }
        }
        return String(scalars[start..<end])
    }

    /// Line indexes built on first use, one per file.
    struct Cache {
        let sources: [String: String]
        private var built: [String: SourceLines] = [:]

        init(sources: [String: String]) { self.sources = sources }

        mutating func line(_ location: SourceLocation) -> String? {
            if let lines = built[location.file] { return lines.line(location.line) }
            guard let text = sources[location.file] else { return nil }
            let lines = SourceLines(text)
            built[location.file] = lines
            return lines.line(location.line)
        }
    }
}
