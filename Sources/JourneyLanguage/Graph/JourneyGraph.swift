/// Draws a compiled journey's state machine as Graphviz DOT or a Mermaid flowchart, with the
/// states grouped by lifecycle stage.
///
/// ```swift
/// let dot = JourneyGraph.render(program, format: .dot)   // pipe to `dot -Tsvg`
/// ```
public enum JourneyGraph {
    public enum Format: String, Sendable, CaseIterable {
        case dot, mermaid
    }

    /// One arrow of the graph: node ids `start` (the trigger) and `s<state id>`, and the arrow's
    /// label (a branch condition, `else`, a split variant with its weight, `received`, `timeout`).
    public struct Edge: Sendable, Hashable {
        public var from: String
        public var to: String
        public var label: String?
    }

    public static func render(_ program: JourneyProgram, format: Format) -> String {
        switch format {
        case .dot: dot(program)
        case .mermaid: mermaid(program)
        }
    }

    /// Draws several journeys as one graph (one digraph, or one flowchart), each journey in its
    /// own box, so that the whole output renders; one journey is drawn as by ``render(_:format:)``.
    public static func render(_ programs: [JourneyProgram], format: Format) -> String {
        if programs.count == 1 { return render(programs[0], format: format) }
        switch format {
        case .dot: return dot(programs)
        case .mermaid: return mermaid(programs)
        }
    }

    /// A node's text: the step's label (the name reports and timelines use), then what it does.
    public static func nodeText(_ state: JourneyState) -> String {
        let text = describe(state)
        return state.label.isEmpty || state.label == text ? text : "\(state.label)\n\(text)"
    }

    /// The journey's rules that apply wherever a customer is: entry rule, exit rules and goal.
    public static func rules(_ program: JourneyProgram) -> [String] {
        var lines: [String] = []
        switch program.entry {
        case .oneAtATime: break
        case .onceEver: lines.append("entry once")
        case .oncePer(let seconds): lines.append("entry once per \(CatalogChecker.describe(seconds: seconds))")
        case .always: lines.append("entry always")
        }
        for exit in program.exits {
            switch exit {
            case .event(let name, let filter): lines.append("exit on event \(ExpressionPrinter.quote(name))" + (filter.map { " where \($0)" } ?? ""))
            case .condition(let condition): lines.append("exit when \(condition)")
            }
        }
        if let goal = program.goal {
            lines.append(
                "goal event \(ExpressionPrinter.quote(goal.event))" + (goal.filter.map { " where \($0)" } ?? "")
                    + " within \(CatalogChecker.describe(seconds: goal.within))" + (goal.exitOnGoal ? " then exit" : ""))
        }
        return lines
    }

    /// What a state does, in one or two lines.
    public static func describe(_ state: JourneyState) -> String {
        switch state.kind {
        case .send(let send, _):
            var text = "send \(send.channel.rawValue) \(send.message)"
            if send.category == .transactional { text += " (transactional)" }
            if let variants = send.variants, !variants.isEmpty {
                text += "\nvariants " + variants.map { "\($0.name) \(CatalogChecker.formatPercent($0.weight))" }.joined(separator: ", ")
            }
            if let fallback = send.fallback { text += "\nfallback \(fallback.rawValue)" }
            switch send.whenCapped {
            case .skip: break
            case .deferUpTo(let seconds): text += "\nwhen capped defer up to \(CatalogChecker.describe(seconds: seconds))"
            case .fallback: text += "\nwhen capped fallback"
            }
            if let rule = send.bestTime {
                text += "\nat best time within \(CatalogChecker.describe(seconds: rule.window))"
                if let time = rule.defaultTime { text += " default \(time)" }
            }
            return text
        case .update(let updates, _):
            return updates.map { update in
                let path = (["customer"] + update.attribute).joined(separator: ".")
                switch update.operation {
                case .set(let value): return "set \(path) = \(value)"
                case .increment(let value): return "increment \(path) by \(value)"
                case .unset: return "unset \(path)"
                }
            }.joined(separator: "\n")
        case .branch: return "if"
        case .split(let split):
            guard let rule = split.winner else { return "split \(ExpressionPrinter.quote(split.name))" }
            return
                "split \(ExpressionPrinter.quote(split.name))\nwinner after \(CatalogChecker.describe(seconds: rule.after)) by conversion, min \(rule.minimumPerVariant) per variant"
        case .wait(.duration(let seconds, _)): return "wait \(CatalogChecker.describe(seconds: seconds))"
        case .wait(.untilTime(let expression, _)): return "wait until \(expression)"
        case .wait(.calendarDays(let days, _)): return "wait \(days) calendar day\(days == 1 ? "" : "s")"
        case .wait(.untilLocalTime(let time, let weekdays, _)):
            return "wait until \(time)" + (weekdays.map { " on " + $0.sorted().map(\.name).joined(separator: ", ") } ?? "")
        case .wait(.event(let name, let filter, let timeout, _, _)):
            return "wait for event \(ExpressionPrinter.quote(name))" + (filter.map { "\nwhere \($0)" } ?? "")
                + "\nup to \(CatalogChecker.describe(seconds: timeout))"
        case .wait(.events(_, let timeout, _)):
            return "wait for events\nup to \(CatalogChecker.describe(seconds: timeout))"
        case .exit(.completed): return "completed"
        case .exit(.explicit(let reason)): return "exit \(ExpressionPrinter.quote(reason))"
        }
    }

    public static func describe(_ trigger: Trigger) -> String {
        switch trigger {
        case .event(let name, let filter): return "on event \(ExpressionPrinter.quote(name))" + (filter.map { "\nwhere \($0)" } ?? "")
        case .segmentEntry(let segment): return "on segment \(segment)"
        case .schedule(let segment, let time, let weekdays):
            let days = weekdays.map { $0.sorted().map(\.name).joined(separator: ", ") } ?? "day"
            return "every \(days) at \(time)" + (segment.map { "\nfor segment \($0)" } ?? "")
        case .calendar(let segment, let time, let rule):
            return "\(describe(rule)) at \(time)" + (segment.map { "\nfor segment \($0)" } ?? "")
        }
    }

    /// `every month on the last day`, `every 2 weeks on monday`, `on anniversary of customer.birthday`.
    public static func describe(_ rule: CalendarRule) -> String {
        switch rule {
        case .everyWeeks(let n, let weekdays): return "every \(n) weeks on " + weekdays.sorted().map(\.name).joined(separator: ", ")
        case .monthly(.day(let day)): return "every month on day \(day)"
        case .monthly(.lastDay): return "every month on the last day"
        case .monthly(.weekday(let weekday, let ordinal)):
            let word = ["last", "", "first", "second", "third", "fourth"][ordinal + 1]
            return "every month on the \(word) \(weekday.name)"
        case .anniversary(let path): return "on anniversary of customer.\(path.joined(separator: "."))"
        }
    }

    /// The arrows `herald graph` draws, in the order it draws them (the console lays out the same).
    public static func edges(_ program: JourneyProgram) -> [Edge] {
        var edges = [Edge(from: "start", to: "s\(program.initial)", label: nil)]
        for state in program.states {
            let from = "s\(state.id)"
            switch state.kind {
            case .send(_, let next), .update(_, let next):
                edges.append(Edge(from: from, to: "s\(next)", label: nil))
            case .branch(let branches, let otherwise):
                for branch in branches { edges.append(Edge(from: from, to: "s\(branch.target)", label: branch.condition.description)) }
                edges.append(Edge(from: from, to: "s\(otherwise)", label: "else"))
            case .split(let split):
                for variant in split.variants {
                    edges.append(Edge(from: from, to: "s\(variant.target)", label: "\(variant.name) \(CatalogChecker.formatPercent(variant.weight))"))
                }
            case .wait(.duration(_, let next)), .wait(.calendarDays(_, let next)), .wait(.untilLocalTime(_, _, let next)),
                .wait(.untilTime(_, let next)):
                edges.append(Edge(from: from, to: "s\(next)", label: nil))
            case .wait(.event(_, _, _, let onEvent, let onTimeout)):
                edges.append(Edge(from: from, to: "s\(onEvent)", label: "received"))
                edges.append(Edge(from: from, to: "s\(onTimeout)", label: "timeout"))
            case .wait(.events(let arms, _, let onTimeout)):
                for arm in arms {
                    edges.append(
                        Edge(
                            from: from, to: "s\(arm.target)",
                            label: "on event \(ExpressionPrinter.quote(arm.name))" + (arm.filter.map { "\nwhere \($0)" } ?? "")))
                }
                edges.append(Edge(from: from, to: "s\(onTimeout)", label: "timeout"))
            case .exit:
                break
            }
        }
        return edges
    }

    public static func header(_ program: JourneyProgram) -> String {
        var parts = ["\(program.title) (\(program.name))"]
        if let stage = program.stage { parts.append("stage \(stage.rawValue)") }
        parts.append("priority \(program.priority)")
        return parts.joined(separator: " · ")
    }

    /// States grouped by stage, in the order stages first appear; states with no stage last.
    static func stageGroups(_ program: JourneyProgram) -> [(Stage?, [JourneyState])] {
        var order: [Stage?] = []
        var groups: [Stage?: [JourneyState]] = [:]
        for state in program.states {
            if groups[state.stage] == nil { order.append(state.stage) }
            groups[state.stage, default: []].append(state)
        }
        return order.map { ($0, groups[$0]!) }
    }

    // MARK: DOT

    static func dotEscape(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }

    static func dot(_ program: JourneyProgram) -> String {
        var out = "digraph \(program.name) {\n"
        out += "  label=\"\(dotEscape(header(program)))\";\n  labelloc=t;\n  rankdir=TB;\n"
        out += "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n"
        out += dotBody(program, prefix: "", indent: "  ")
        return out + "}\n"
    }

    static func dot(_ programs: [JourneyProgram]) -> String {
        var out = "digraph journeys {\n  rankdir=TB;\n"
        out += "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n"
        for program in programs {
            out += "  subgraph cluster_\(program.name) {\n    label=\"\(dotEscape(header(program)))\";\n    style=solid;\n"
            out += dotBody(program, prefix: "\(program.name)_", indent: "    ")
            out += "  }\n"
        }
        return out + "}\n"
    }

    /// The nodes and edges of one journey, node ids prefixed with `prefix`.
    static func dotBody(_ program: JourneyProgram, prefix: String, indent: String) -> String {
        var out = "\(indent)\(prefix)start [shape=oval, label=\"\(dotEscape("trigger " + describe(program.trigger)))\"];\n"
        let rules = rules(program)
        if !rules.isEmpty {
            out += "\(indent)\(prefix)rules [shape=note, style=\"\", label=\"\(dotEscape(rules.joined(separator: "\n")))\"];\n"
        }
        for (stage, states) in stageGroups(program) {
            var inner = indent
            if let stage {
                out += "\(indent)subgraph cluster_\(prefix)\(stage.rawValue) {\n\(indent)  label=\"\(stage.rawValue)\";\n\(indent)  style=dashed;\n"
                inner = indent + "  "
            }
            for state in states {
                let shape: String
                switch state.kind {
                case .branch, .split: shape = ", shape=diamond, style=\"\""
                case .exit: shape = ", shape=doublecircle, style=\"\""
                case .wait: shape = ", style=\"rounded,dashed\""
                default: shape = ""
                }
                out += "\(inner)\(prefix)s\(state.id) [label=\"\(dotEscape(nodeText(state)))\"\(shape)];\n"
            }
            if stage != nil { out += "\(indent)}\n" }
        }
        for edge in edges(program) {
            out += "\(indent)\(prefix)\(edge.from) -> \(prefix)\(edge.to)" + (edge.label.map { " [label=\"\(dotEscape($0))\"]" } ?? "") + ";\n"
        }
        return out
    }

    // MARK: Mermaid

    static func mermaidEscape(_ text: String) -> String {
        text.replacingAll("&", with: "#amp;").replacingAll("\"", with: "#quot;").replacingAll("<", with: "#lt;")
            .replacingAll(">", with: "#gt;").replacingAll("\n", with: "<br/>")
    }

    static func mermaid(_ program: JourneyProgram) -> String {
        "---\ntitle: \(header(program))\n---\nflowchart TD\n" + mermaidBody(program, prefix: "", indent: "  ")
    }

    static func mermaid(_ programs: [JourneyProgram]) -> String {
        var out = "flowchart TD\n"
        for program in programs {
            out += "  subgraph \(program.name)[\"\(mermaidEscape(header(program)))\"]\n"
            out += mermaidBody(program, prefix: "\(program.name)_", indent: "    ")
            out += "  end\n"
        }
        return out
    }

    /// The nodes and edges of one journey, node ids prefixed with `prefix`.
    static func mermaidBody(_ program: JourneyProgram, prefix: String, indent: String) -> String {
        var out = "\(indent)\(prefix)start([\"\(mermaidEscape("trigger " + describe(program.trigger)))\"])\n"
        let rules = rules(program)
        if !rules.isEmpty { out += "\(indent)\(prefix)rules[/\"\(mermaidEscape(rules.joined(separator: "\n")))\"/]\n" }
        for (stage, states) in stageGroups(program) {
            var inner = indent
            if let stage {
                out += "\(indent)subgraph \(prefix)\(stage.rawValue)[\"\(stage.rawValue)\"]\n"
                inner = indent + "  "
            }
            for state in states {
                let text = mermaidEscape(nodeText(state))
                let id = "\(prefix)s\(state.id)"
                switch state.kind {
                case .branch, .split: out += "\(inner)\(id){\"\(text)\"}\n"
                case .exit: out += "\(inner)\(id)((\"\(text)\"))\n"
                default: out += "\(inner)\(id)[\"\(text)\"]\n"
                }
            }
            if stage != nil { out += "\(indent)end\n" }
        }
        for edge in edges(program) {
            out += "\(indent)\(prefix)\(edge.from) -->" + (edge.label.map { "|\"\(mermaidEscape($0))\"|" } ?? "") + " \(prefix)\(edge.to)\n"
        }
        return out
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
