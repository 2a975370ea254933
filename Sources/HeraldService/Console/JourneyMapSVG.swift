/// Draws a ``JourneyMapLayout`` as inline SVG, with a badge for each count on each step. Every
/// count is a `<tspan data-step="…" data-metric="…">` the page's script updates from the live
/// stream; every text from the journey (labels, conditions, names) is escaped.
enum JourneyMapSVG {
    /// The counts shown on every step, and on send steps in addition.
    static let stepMetrics: [(metric: String, title: String)] = [("waiting", "waiting"), ("reached", "passed"), ("exited", "left")]
    static let sendMetrics: [(metric: String, title: String)] = [
        ("sent", "sent"), ("skipped", "skipped"), ("deferred", "deferred"), ("fell_back", "fell back"),
    ]

    /// `highlight`: the step to mark (a customer's place on the map).
    static func render(_ layout: JourneyMapLayout, counts: ConsoleCounts.Version, highlight: String? = nil) -> String {
        let e = HTMLEscaping.escape
        var out = #"<svg class="journey-map" xmlns="http://www.w3.org/2000/svg" width="\#(Int(layout.width))" "#
        out += #"height="\#(Int(layout.height))" viewBox="0 0 \#(Int(layout.width)) \#(Int(layout.height))" role="img">"#
        out += #"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">"#
        out += #"<path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>"#
        var byID: [String: JourneyMapLayout.Node] = [:]
        for node in layout.nodes { byID[node.id] = node }

        for (index, arrow) in layout.arrows.enumerated() {
            guard let from = byID[arrow.from], let to = byID[arrow.to] else { continue }
            let path: String
            let labelX: Double
            let labelY: Double
            if arrow.back {
                // Up the right-hand side of both nodes.
                let side = max(from.x, to.x) + from.width + 24 + Double(index % 3) * 10
                let (y1, y2) = (from.y + from.height / 2, to.y + to.height / 2)
                path = "M \(f(from.x + from.width)) \(f(y1)) C \(f(side)) \(f(y1)), \(f(side)) \(f(y2)), \(f(to.x + to.width)) \(f(y2))"
                labelX = side
                labelY = (y1 + y2) / 2
            } else {
                let (x1, y1) = (from.x + from.width / 2, from.y + from.height)
                let (x2, y2) = (to.x + to.width / 2, to.y)
                let bend = (y2 - y1) / 2
                path = "M \(f(x1)) \(f(y1)) C \(f(x1)) \(f(y1 + bend)), \(f(x2)) \(f(y2 - bend)), \(f(x2)) \(f(y2 - 2))"
                labelX = (x1 + x2) / 2
                labelY = y1 + (y2 - y1) * 0.45
            }
            out += #"<path class="edge\#(arrow.back ? " back" : "")" d="\#(path)" marker-end="url(#arrow)"/>"#
            if let label = arrow.label {
                out += #"<text class="edge-label" x="\#(f(labelX))" y="\#(f(labelY))" text-anchor="middle">\#(e(label))"#
                if let metric = arrow.metric { out += " · " + badge(step: "", metric: metric, title: "assigned", counts: counts) }
                out += "</text>"
            }
        }

        for node in layout.nodes {
            let step = e(node.step)
            let marked = highlight != nil && node.id != "start" && node.step == highlight ? " highlight" : ""
            out += #"<g class="node kind-\#(node.kind)\#(marked)" data-node="\#(e(node.id))" data-step="\#(step)">"#
            let rx = node.kind == "wait" || node.kind == "trigger" ? 18 : 6
            out += #"<rect x="\#(f(node.x))" y="\#(f(node.y))" width="\#(f(node.width))" height="\#(f(node.height))" rx="\#(rx)"/>"#
            var y = node.y + 18
            for (i, line) in node.lines.enumerated() {
                let text = line.count > 42 ? String(line.prefix(41)) + "…" : line
                out +=
                    #"<text class="\#(i == 0 ? "title" : "detail")" x="\#(f(node.x + 10))" y="\#(f(y))"><title>\#(e(line))</title>\#(e(text))</text>"#
                y += JourneyMapLayout.lineHeight
            }
            if node.id == "start" {
                out += #"<text class="counts" x="\#(f(node.x + 10))" y="\#(f(y + 4))">"#
                out += badge(step: "", metric: "entered", title: "entered", counts: counts) + "</text>"
            } else {
                out += #"<text class="counts" x="\#(f(node.x + 10))" y="\#(f(y + 4))">"#
                out += stepMetrics.map { badge(step: node.step, metric: $0.metric, title: $0.title, counts: counts) }.joined(separator: " · ")
                out += "</text>"
                var rowY = y + 4
                if node.kind == "send" {
                    rowY += 15
                    out += #"<text class="counts" x="\#(f(node.x + 10))" y="\#(f(rowY))">"#
                    out += sendMetrics.map { badge(step: node.step, metric: $0.metric, title: $0.title, counts: counts) }.joined(separator: " · ")
                    out += "</text>"
                }
                // After a split: the same counts for each variant's customers.
                for row in node.variants {
                    func variant(_ metric: (metric: String, title: String)) -> String {
                        badge(
                            step: node.step, metric: EngineRecords.variantMetric(metric.metric, split: row.split, variant: row.variant),
                            title: metric.title, counts: counts)
                    }
                    rowY += JourneyMapLayout.lineHeight
                    out += #"<text class="counts variant" x="\#(f(node.x + 10))" y="\#(f(rowY))" data-variant="\#(e(row.variant))">"#
                    out += "<tspan class=\"variant-name\">\(e(row.title)):</tspan> " + stepMetrics.map(variant).joined(separator: " · ") + "</text>"
                    if node.kind == "send" {
                        rowY += JourneyMapLayout.lineHeight
                        out += #"<text class="counts variant" x="\#(f(node.x + 22))" y="\#(f(rowY))">"#
                        out += sendMetrics.map(variant).joined(separator: " · ") + "</text>"
                    }
                }
            }
            out += "</g>"
        }
        return out + "</svg>"
    }

    static func badge(step: String, metric: String, title: String, counts: ConsoleCounts.Version) -> String {
        let value = counts.value(step: step, metric: metric)
        let e = HTMLEscaping.escape
        return #"<tspan class="count" data-step="\#(e(step))" data-metric="\#(e(metric))">\#(value)</tspan> \#(e(title))"#
    }

    private static func f(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

/// Escapes text for HTML and SVG text and attribute values.
enum HTMLEscaping {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
