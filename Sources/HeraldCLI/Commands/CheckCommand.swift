import ArgumentParser
import Foundation
import JourneyLanguage

/// `herald check [PATH ...]`: check journey files; the work is `CheckerDriver`'s.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check journey files and report diagnostics.",
        discussion: """
            A directory is checked as one unit (its files share segments, the policy and the schema); a \
            file is checked with the rest of its directory unless --standalone is given. Diagnostics go \
            to standard error. Exit status: 0 when there are no errors, 1 when there are, 2 for a usage \
            problem (such as a path that does not exist).
            """
    )

    @Argument(help: "Journey directories or files.", completion: .file(extensions: ["journey"]))
    var paths: [String] = ["Journeys"]

    @Option(
        help: "How to print diagnostics: plain, annotated or json (json goes to standard output).",
        completion: .list(["plain", "annotated", "json"]))
    var format: String = "annotated"

    @Flag(help: "Check each file on its own, without the other files of its directory.")
    var standalone = false

    @Option(help: "Stop printing a file's diagnostics after this many errors (0: print all; json always has all).")
    var errorLimit: Int = DiagnosticsFormatter.defaultErrorLimit

    @Flag(help: "Fail (exit 1) on warnings too.")
    var warningsAsErrors = false

    func run() async throws {
        guard errorLimit >= 0 else {
            FileHandle.standardError.write(Data("herald check: --error-limit must be 0 (no limit) or more\n".utf8))
            throw ExitCode(2)
        }
        guard let style = DiagnosticsFormatter.Style(rawValue: format) else {
            FileHandle.standardError.write(Data("herald check: --format must be plain, annotated or json\n".utf8))
            throw ExitCode(2)
        }
        let report = CheckerDriver.check(paths: paths, standalone: standalone)
        for missing in report.missingPaths {
            FileHandle.standardError.write(Data("herald check: no such file or directory: \(missing)\n".utf8))
        }
        if style == .json {
            print(report.rendered(style: .json), terminator: "")
        } else {
            let summary = report.missingPaths.isEmpty ? report.summary + "\n" : ""
            let limit = errorLimit > 0 ? errorLimit : nil
            FileHandle.standardError.write(Data((report.rendered(style: style, errorLimit: limit) + summary).utf8))
        }
        var code = report.exitCode
        if code == 0, warningsAsErrors, report.diagnostics.contains(where: { $0.severity == .warning }) { code = 1 }
        if code != 0 { throw ExitCode(code) }
    }
}
