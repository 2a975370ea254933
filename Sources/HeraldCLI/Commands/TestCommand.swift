import ArgumentParser
import Foundation
import HeraldSimulation
import JourneyLanguage

/// `herald test`: run journey scenario files on a virtual clock.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run journey scenario files.",
        discussion: """
            Each scenario declares customers, events at relative (+1h) or absolute times, and \
            expectations ("send email cart_reminder to c1 at +1h", "no send to c2", "c1 exited by goal", \
            "c3 in variant B"). A directory is searched for .yaml files. The output ends with \
            "N passed, N failed"; failures show expected and actual with the customer's timeline. \
            The format is described in docs/dry-run.md.
            """
    )

    @Argument(help: "Scenario files or directories.", completion: .file(extensions: ["yaml", "yml"]))
    var paths: [String] = ["Journeys/tests"]

    func run() async throws {
        let runner = ScenarioRunner { directory in try JourneyLoading.catalog(directory) }
        let summary = runner.run(paths: paths)
        FileHandle.standardOutput.write(Data(summary.render().utf8))
        if summary.failed > 0 || summary.results.isEmpty { throw ExitCode(1) }
    }
}
