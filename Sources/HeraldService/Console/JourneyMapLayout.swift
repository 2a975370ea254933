import JourneyEngine
import JourneyLanguage

/// Lays a compiled journey out for the console's map: the nodes and arrows `herald graph` prints
/// (``JourneyGraph/edges(_:)``), placed in layers from the trigger down (a node sits one layer
/// below the lowest of its parents; arrows that lead back up are drawn at the side), the nodes of a
/// layer side by side in the order that keeps arrows short.
struct JourneyMapLayout: Sendable {
    struct Node: Sendable {
        /// `start` or `s<state id>` (as in the graph).
        var id: String
        /// The step label counters use (`""` for the trigger).
        var step: String
        /// `trigger`, `send`, `wait`, `branch`, `split`, `update` or `exit`.
        var kind: String
        var lines: [String]
        var x: Double
        var y: Double
        var width: Double
        var height: Double
        /// The variants whose customers pass this step (it lies after a split): its counts are
        /// also drawn per variant.
        var variants: [VariantRow] = []
    }

    /// One variant's row of counts on a step after a split.
    struct VariantRow: Sendable, Equatable {
        var split: String
        var variant: String
        /// What the row is headed with: the variant (with its split when the journey has several).
        var title: String
    }

    struct Arrow: Sendable {
        var from: String
        var to: String
        var label: String?
        /// Leads to a node in the same or a higher layer.
        var back: Bool
        /// For a split's arrow: the journey-wide counter of customers assigned its variant.
        var metric: String? = nil
    }

    static let nodeWidth = 285.0
    static let lineHeight = 15.0
    static let gapX = 40.0
    static let gapY = 56.0
    static let countsHeight = 34.0

    var nodes: [Node]
    var arrows: [Arrow]
    var rules: [String]
    var width: Double
    var height: Double

    /// `winners`: the decided split winners (a split with a winner rule says which variant won,
    /// or that none has yet).
    init(_ program: JourneyProgram, winners: [SplitWinner] = []) {
        let edges = JourneyGraph.edges(program)
        var ids = ["start"]
        var info: [String: (step: String, kind: String, lines: [String])] = [
            "start": ("", "trigger", ["trigger " + JourneyGraph.describe(program.trigger)].flatMap { $0.split(separator: "\n").map(String.init) })
        ]
        for state in program.states {
            let id = "s\(state.id)"
            ids.append(id)
            let kind: String
            switch state.kind {
            case .send: kind = "send"
            case .wait: kind = "wait"
            case .branch: kind = "branch"
            case .split: kind = "split"
            case .update: kind = "update"
            case .exit: kind = "exit"
            }
            var lines = JourneyGraph.nodeText(state).split(separator: "\n").map(String.init)
            if case .split(let split) = state.kind, split.winner != nil {
                if let winner = winners.first(where: { $0.journey == program.name && $0.split == split.name }) {
                    lines.append("winner: \(winner.variant) since \(Value.formatTime(winner.since).prefix(10))")
                    lines.append(winner.evidence)
                } else {
                    lines.append("winner: not decided yet")
                }
            }
            info[id] = (state.label, kind, lines)
        }
        var children: [String: [String]] = [:]
        for edge in edges { children[edge.from, default: []].append(edge.to) }

        // Back edges: those that close a cycle in a depth-first walk from the trigger.
        var back: Set<[String]> = []
        var onStack: Set<String> = []
        var done: Set<String> = []
        func visit(_ id: String) {
            onStack.insert(id)
            for child in children[id] ?? [] {
                if onStack.contains(child) {
                    back.insert([id, child])
                } else if !done.contains(child) {
                    visit(child)
                }
            }
            onStack.remove(id)
            done.insert(id)
        }
        visit("start")
        for id in ids where !done.contains(id) { visit(id) }

        // Longest-path layers over the forward edges, in a topological order.
        var indegree: [String: Int] = [:]
        for edge in edges where !back.contains([edge.from, edge.to]) { indegree[edge.to, default: 0] += 1 }
        var layer: [String: Int] = [:]
        var queue = ids.filter { (indegree[$0] ?? 0) == 0 }
        var cursor = 0
        while cursor < queue.count {
            let id = queue[cursor]
            cursor += 1
            for child in children[id] ?? [] where !back.contains([id, child]) {
                layer[child] = max(layer[child] ?? 0, (layer[id] ?? 0) + 1)
                indegree[child, default: 0] -= 1
                if indegree[child] == 0 { queue.append(child) }
            }
        }
        let layerCount = (layer.values.max() ?? 0) + 1
        var rows = Array(repeating: [String](), count: layerCount)
        for id in ids { rows[layer[id] ?? 0].append(id) }

        // Order each layer by the mean position of its parents (one downward pass).
        var parents: [String: [String]] = [:]
        for edge in edges where !back.contains([edge.from, edge.to]) { parents[edge.to, default: []].append(edge.from) }
        var position: [String: Double] = [:]
        for (index, row) in rows.enumerated() {
            if index > 0 {
                rows[index] = row.enumerated().sorted { a, b in
                    func key(_ id: String, _ fallback: Int) -> Double {
                        let ps = (parents[id] ?? []).compactMap { position[$0] }
                        return ps.isEmpty ? Double(fallback) : ps.reduce(0, +) / Double(ps.count)
                    }
                    let (ka, kb) = (key(a.element, a.offset), key(b.element, b.offset))
                    return ka == kb ? a.offset < b.offset : ka < kb
                }.map(\.element)
            }
            for (i, id) in rows[index].enumerated() { position[id] = Double(i) - Double(rows[index].count - 1) / 2 }
        }

        // The steps after each split, per variant: reachable from the variant's first step (not
        // through the split again); the same step can lie after several variants.
        var variantRows: [String: [VariantRow]] = [:]
        let splits = program.states.compactMap { state -> (StateID, Split)? in
            if case .split(let split) = state.kind { (state.id, split) } else { nil }
        }
        for (id, split) in splits {
            for variant in split.variants {
                let title = splits.count > 1 ? "\(split.name) \(variant.name)" : variant.name
                var seen: Set<String> = ["s\(id)"]
                var queue = ["s\(variant.target)"]
                while let next = queue.popLast() {
                    guard !seen.contains(next), info[next] != nil else { continue }
                    seen.insert(next)
                    variantRows[next, default: []].append(VariantRow(split: split.name, variant: variant.name, title: title))
                    queue += children[next] ?? []
                }
            }
        }

        let widest = rows.map(\.count).max() ?? 1
        let totalWidth = Double(widest) * Self.nodeWidth + Double(widest - 1) * Self.gapX + 2 * Self.gapX + 120
        var placed: [Node] = []
        var y = 20.0
        for row in rows {
            let heights = row.map { id -> Double in
                let lines = Double(info[id]?.lines.count ?? 1)
                let perVariant = Double(variantRows[id]?.count ?? 0) * Self.lineHeight * (info[id]?.kind == "send" ? 2 : 1)
                return 14 + lines * Self.lineHeight + (id == "start" ? 20 : Self.countsHeight) + perVariant
            }
            let rowHeight = heights.max() ?? 40
            let rowWidth = Double(row.count) * Self.nodeWidth + Double(row.count - 1) * Self.gapX
            var x = (totalWidth - rowWidth) / 2
            for (id, height) in zip(row, heights) {
                let entry = info[id] ?? ("", "send", [id])
                placed.append(
                    Node(
                        id: id, step: entry.step, kind: entry.kind, lines: entry.lines, x: x, y: y, width: Self.nodeWidth, height: height,
                        variants: variantRows[id] ?? []))
                x += Self.nodeWidth + Self.gapX
            }
            y += rowHeight + Self.gapY
        }
        nodes = placed
        // A split's arrows carry the count of customers assigned each variant.
        var variantMetrics: [[String]: String] = [:]
        for state in program.states {
            guard case .split(let split) = state.kind else { continue }
            for variant in split.variants {
                variantMetrics[["s\(state.id)", "s\(variant.target)"]] = EngineRecords.variantMetric(split: split.name, variant: variant.name)
            }
        }
        arrows = edges.map {
            Arrow(
                from: $0.from, to: $0.to, label: $0.label, back: back.contains([$0.from, $0.to]), metric: variantMetrics[[$0.from, $0.to]])
        }
        rules = JourneyGraph.rules(program)
        width = totalWidth
        height = y - Self.gapY + 20
    }
}
