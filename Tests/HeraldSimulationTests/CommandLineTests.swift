import Foundation
import Testing

/// The `herald` binary's dry-run, test and graph commands and the CLI polish of issue 14, run as
/// users run them (the binary `swift build --build-tests` builds, in the package root).
struct CommandLineTests {
    static let root = DocumentedCommandsTests.root
    static let samples = ["--customers", "Journeys/samples/customers.ndjson", "--events", "Journeys/samples/events.ndjson"]

    static func herald(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try DocumentedCommandsTests.run(arguments, in: root)
    }

    /// An unknown `--customer` or `--explain` id is a mistake: exit 1 with a message naming it,
    /// and no report.
    @Test(arguments: ["--customer", "--explain"])
    func unknownCustomerIDsExitOne(flag: String) throws {
        let (status, output) = try Self.herald(["dry-run"] + Self.samples + [flag, "nobody"])
        #expect(status == 1)
        #expect(output.contains("herald dry-run: \(flag) nobody: no customer `nobody`"))
        #expect(output.contains("such as c001"))
        #expect(!output.contains("== Journeys =="))
        // A known id still works.
        #expect(try Self.herald(["dry-run"] + Self.samples + [flag, "c010", "--report-only"]).status == 0)
    }

    @Test func versionIsPrinted() throws {
        let (status, output) = try Self.herald(["--version"])
        #expect(status == 0)
        #expect(output.hasPrefix("herald 0."))
    }

    /// Bad JSON in `send-test --customer` says what is wrong and where, with the subcommand's own
    /// usage line (not a `DecodingError` dump and the root's usage).
    @Test func badCustomerJSONGetsAClearMessage() throws {
        let (status, output) = try Self.herald(["send-test", "--journeys", "Journeys", "--message", "welcome", "--customer", "{\"id\": \"c1\", "])
        #expect(status == 2)
        #expect(output.contains("--customer: the JSON text is not valid JSON:"))
        #expect(output.contains("at byte"))
        #expect(!output.contains("DecodingError"))
        #expect(output.contains("Usage: herald send-test"))
        #expect(output.contains("See 'herald send-test --help'"))
    }

    /// `--format` values are checked by the parser (and completed by the shell).
    @Test func graphFormatIsAnEnumeratedValue() throws {
        let (status, output) = try Self.herald(["graph", "Journeys", "--format", "svg"])
        #expect(status == 2)
        #expect(output.contains("dot") && output.contains("mermaid"))
        let script = try Self.herald(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        #expect(script.output.contains("'dot'$'\\n''mermaid'"))
    }

    /// `herald graph DIR` writes one digraph that Graphviz can read whole.
    @Test func graphOfADirectoryIsOneDigraph() throws {
        let (status, output) = try Self.herald(["graph", "Journeys"])
        #expect(status == 0)
        #expect(output.components(separatedBy: "digraph ").count == 2)
        #expect(output.contains("subgraph cluster_cart_abandonment {"))
        #expect(output.contains("subgraph cluster_welcome_series {"))
    }
}
