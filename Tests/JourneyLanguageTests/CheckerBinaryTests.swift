import Foundation
import Testing

@testable import JourneyLanguage

/// Runs the built `journey-check` (what the package plugins run) on the broken journeys of
/// `Broken/` and on the example journeys.
///
/// Each broken file ends with `# expect: SEVERITY ID LINE:COLUMN MESSAGE` lines; every expected
/// diagnostic must be reported at that place with exactly that message.
@Suite(.serialized)
struct CheckerBinaryTests {
    struct Expectation: Hashable, CustomStringConvertible {
        var file: String
        var severity: String
        var id: String
        var line: Int
        var column: Int
        var message: String
        var description: String { "\(file):\(line):\(column): \(severity): \(message) [\(id)]" }
    }

    struct Reported: Decodable {
        var id: String
        var severity: String
        var file: String?
        var line: Int?
        var column: Int?
        var message: String
    }

    static func brokenFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: PackagePaths.broken)) ?? []).filter { $0.hasSuffix(".journey") }.sorted()
    }

    static func expectations(in file: String) throws -> [Expectation] {
        let text = try String(contentsOfFile: PackagePaths.broken + "/" + file, encoding: .utf8)
        return text.components(separatedBy: "\n").compactMap { line -> Expectation? in
            guard line.hasPrefix("# expect: ") else { return nil }
            let parts = line.dropFirst("# expect: ".count).split(separator: " ", maxSplits: 3).map(String.init)
            guard parts.count == 4 else { return nil }
            let position = parts[2].split(separator: ":").compactMap { Int($0) }
            guard position.count == 2 else { return nil }
            return Expectation(file: file, severity: parts[0], id: parts[1], line: position[0], column: position[1], message: parts[3])
        }
    }

    @Test func atLeastTwentyFiveDistinctMistakes() throws {
        let files = Self.brokenFiles()
        #expect(files.count >= 25)
        var ids: Set<String> = []
        for file in files {
            let expectations = try Self.expectations(in: file)
            #expect(!expectations.isEmpty, "\(file) has no `# expect:` line")
            ids.formUnion(expectations.map(\.id))
        }
        #expect(ids.count >= 25)
    }

    @Test func brokenJourneysReportTheirMistakes() throws {
        let executable = try #require(journeyCheckExecutable(), "build journey-check first (swift build --product journey-check)")
        let files = Self.brokenFiles()
        let output = try run(executable, ["--standalone", "--format", "json"] + files, in: PackagePaths.broken)
        #expect(output.status == 1)
        let reported = try JSONDecoder().decode([Reported].self, from: Data(output.stdout.utf8))
        for file in files {
            for expected in try Self.expectations(in: file) {
                let found = reported.contains {
                    $0.file == file && $0.id == expected.id && $0.severity == expected.severity && $0.line == expected.line
                        && $0.column == expected.column && $0.message == expected.message
                }
                #expect(
                    found,
                    "missing: \(expected)\nreported for \(file): \(reported.filter { $0.file == file }.map { "\($0.line ?? 0):\($0.column ?? 0) \($0.severity) \($0.id) \($0.message)" })"
                )
            }
            // Every file with an expected error fails on its own.
            let expectsError = try Self.expectations(in: file).contains { $0.severity == "error" }
            let single = try run(executable, ["--standalone", "--format", "plain", file], in: PackagePaths.broken)
            #expect(single.status == (expectsError ? 1 : 0), "\(file): exit status \(single.status)")
        }
    }

    @Test func exampleJourneysAreClean() throws {
        let executable = try #require(journeyCheckExecutable(), "build journey-check first (swift build --product journey-check)")
        let output = try run(executable, ["--format", "plain", PackagePaths.journeys])
        #expect(output.status == 0)
        #expect(output.stderr.hasSuffix("no problems\n"), "\(output.stderr)")
    }

    @Test func usageProblemsExitWithTwo() throws {
        let executable = try #require(journeyCheckExecutable())
        #expect(try run(executable, ["/no/such/directory"]).status == 2)
        #expect(try run(executable, ["--format", "xml", PackagePaths.journeys]).status == 2)
        #expect(try run(executable, ["--bogus"]).status == 2)
    }

    @Test func plainOutputIsClickable() throws {
        let executable = try #require(journeyCheckExecutable())
        let output = try run(executable, ["--standalone", "--format", "plain", "unknown_attribute.journey"], in: PackagePaths.broken)
        #expect(
            output.stderr.contains(
                "unknown_attribute.journey:7:15: error: unknown attribute `lifetime_valu`; did you mean `lifetime_value`? [E020-unknown-attribute]\n")
        )
    }
}
