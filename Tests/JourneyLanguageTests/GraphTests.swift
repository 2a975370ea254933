import Foundation
import Testing

@testable import JourneyLanguage

struct GraphTests {
    @Test(arguments: JourneyGraph.Format.allCases)
    func goldenGraph(format: JourneyGraph.Format) throws {
        let program = try #require(compile(CompilerTests.cart).catalog?.journey(named: "cart_abandonment"))
        let rendered = JourneyGraph.render(program, format: format)
        let name = "cart_abandonment.\(format == .dot ? "dot" : "mmd")"
        if ProcessInfo.processInfo.environment["HERALD_UPDATE_GOLDEN"] == "1" {
            try rendered.write(to: PackagePaths.golden.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let expected = try PackagePaths.golden(name)
        #expect(rendered == expected, "if the change is intended, regenerate Golden/\(name) with HERALD_UPDATE_GOLDEN=1:\n\(rendered)")
    }

    @Test func stagesAreShown() throws {
        let result = compile(
            """
            journey j
              stage awareness
              trigger on event "x"
              send email a
              stage consideration
              send email b
            """)
        let program = try #require(result.catalog?.journeys.first)
        let dot = JourneyGraph.render(program, format: .dot)
        #expect(dot.contains("subgraph cluster_awareness"))
        #expect(dot.contains("subgraph cluster_consideration"))
        let mermaid = JourneyGraph.render(program, format: .mermaid)
        #expect(mermaid.contains("subgraph awareness"))
        #expect(mermaid.contains("subgraph consideration"))
    }

    /// Nodes carry their step labels; the entry rule, exit rules and goal are drawn.
    @Test(arguments: JourneyGraph.Format.allCases)
    func labelsGoalsAndExitRulesAreDrawn(format: JourneyGraph.Format) throws {
        let result = compile(
            """
            journey j
              trigger on event "x"
              entry once per 7 days
              exit on event "order.completed"
              exit when customer.vip == true
              goal event "order.completed" within 3 days then exit
              step hello: send email a
              wait 1 hour
            """)
        let program = try #require(result.catalog?.journeys.first)
        let text = JourneyGraph.render(program, format: format)
        let newline = format == .dot ? "\\n" : "<br/>"
        let quote = format == .dot ? "\\\"" : "#quot;"
        #expect(text.contains("hello\(newline)send email a"))
        #expect(text.contains("wait_1_hour\(newline)wait 1 hour"))
        #expect(text.contains("entry once per 7 days"))
        #expect(text.contains("exit on event \(quote)order.completed\(quote)"))
        #expect(text.contains("exit when customer.vip == true"))
        #expect(text.contains("goal event \(quote)order.completed\(quote) within 3 days then exit"))
    }

    /// A directory's journeys make one graph: one `digraph` (or one flowchart) with a box per
    /// journey and node ids that do not collide.
    @Test(arguments: JourneyGraph.Format.allCases)
    func aDirectoryIsOneGraph(format: JourneyGraph.Format) throws {
        let outcome = GraphDriver.render(path: PackagePaths.journeys, format: format)
        let text = try #require(outcome.output)
        let catalog = try #require(JourneyCompiler.compile(directory: PackagePaths.journeys).catalog)
        #expect(catalog.journeys.count > 1)
        switch format {
        case .dot:
            #expect(text.components(separatedBy: "digraph ").count == 2)
            #expect(text.hasPrefix("digraph journeys {"))
            for program in catalog.journeys { #expect(text.contains("subgraph cluster_\(program.name) {")) }
        case .mermaid:
            #expect(text.components(separatedBy: "flowchart ").count == 2)
            for program in catalog.journeys { #expect(text.contains("subgraph \(program.name)[")) }
        }
        for program in catalog.journeys {
            for state in program.states { #expect(text.contains("\(program.name)_s\(state.id)")) }
        }
        // Braces balance: the one digraph is closed once, at the end.
        if format == .dot { #expect(text.filter { $0 == "{" }.count == text.filter { $0 == "}" }.count) }
    }

    @Test func everyExampleJourneyDraws() throws {
        let catalog = try #require(JourneyCompiler.compile(directory: PackagePaths.journeys).catalog)
        for program in catalog.journeys {
            for format in JourneyGraph.Format.allCases {
                let text = JourneyGraph.render(program, format: format)
                for state in program.states { #expect(text.contains("s\(state.id)")) }
            }
        }
    }
}
