/// "Did you mean …?": the closest known name to a misspelt one.
public enum Suggestions {
    /// The candidate closest to `name` by edit distance (insertions, deletions, substitutions and
    /// transpositions), if it is close enough to be a plausible typo.
    public static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(name.lowercased())
        let limit = max(1, min(3, target.count / 3 + 1))
        var best: (String, Int)?
        for candidate in candidates where candidate != name {
            let distance = editDistance(target, Array(candidate.lowercased()), limit: limit)
            // A suggestion that shares nothing with the name (`b` for `a`) is noise.
            guard distance <= limit, distance < target.count, distance < candidate.count else { continue }
            if best == nil || distance < best!.1 || (distance == best!.1 && candidate < best!.0) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// "; did you mean `x`?" or "".
    static func didYouMean(_ name: String, in candidates: some Sequence<String>) -> (text: String, suggestion: String?) {
        guard let match = closest(to: name, in: candidates) else { return ("", nil) }
        return ("; did you mean `\(match)`?", match)
    }

    /// Optimal-string-alignment distance, giving up early once every entry of a row exceeds `limit`.
    static func editDistance(_ a: [Character], _ b: [Character], limit: Int = .max) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previousPrevious[j - 2] + 1)
                }
                current[j] = value
                rowMinimum = min(rowMinimum, value)
            }
            if rowMinimum > limit { return limit + 1 }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
