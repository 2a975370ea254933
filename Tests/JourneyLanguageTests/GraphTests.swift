import Foundation
import Testing

@testable import JourneyLanguage

struct GraphTests {
    @Test(arguments: JourneyGraph.Format.allCases)
    func goldenGraph(format: JourneyGraph.Format) throws {
        let program = try #require(compile(CompilerTests.cart).catalog?.journey(named: "cart_abandonment"))
        let rendered = JourneyGraph.render(program, format: format)
        let name = "cart_abandonment.\(format == .dot ? "dot" : "mmd")"
        let expected = try PackagePaths.golden(name)
        #expect(rendered == expected, "regenerate Golden/\(name) if the change is intended:\n\(rendered)")
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
