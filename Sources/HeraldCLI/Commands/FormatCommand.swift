import ArgumentParser
import Foundation
import JourneyLanguage

/// `herald fmt [PATH ...] [--check]`: rewrite journey files in the canonical layout.
struct FormatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Rewrite journey files in the canonical layout.",
        discussion: """
            Formatting changes only whitespace: comments stay, and a formatted journey compiles to the \
            same program and version. Files with syntax errors are left alone and reported. With \
            --check, nothing is written and the exit status is 1 when a file would change.
            """
    )

    @Argument(help: "Journey directories or files.", completion: .file(extensions: ["journey"]))
    var paths: [String] = ["Journeys"]

    @Flag(help: "Only report files that are not formatted (exit 1 if any).")
    var check = false

    func run() async throws {
        let outcome = FormatDriver.format(paths: paths, checkOnly: check)
        for missing in outcome.missingPaths {
            FileHandle.standardError.write(Data("herald fmt: no such file or directory: \(missing)\n".utf8))
        }
        if !outcome.diagnostics.isEmpty {
            let text = DiagnosticsFormatter(style: .annotated, sources: outcome.sources).format(outcome.diagnostics)
            FileHandle.standardError.write(Data(text.utf8))
        }
        for file in outcome.changed {
            print(check ? "would reformat \(file)" : "formatted \(file)")
        }
        if !outcome.missingPaths.isEmpty { throw ExitCode(2) }
        if !outcome.diagnostics.isEmpty || (check && !outcome.changed.isEmpty) { throw ExitCode(1) }
    }
}
