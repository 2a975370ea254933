import Foundation
import Testing

@testable import JourneyLanguage

/// The shared logic behind `herald check`, `herald fmt`, `herald graph` and `journey-check`.
struct DriverTests {
    /// A temporary journeys directory, removed afterwards.
    func withDirectory(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-driver-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try body(directory.path)
    }

    static let files = [
        "policy.journey": "policy\n  cap marketing 2 per day\n",
        "segments.journey": "segment vip where customer.vip == true\n",
        "a.journey": "journey a\n  trigger on segment vip\n  send email hello\n",
        "messages/hello/subject.mustache": "Hi",
        "messages/hello/body.txt.mustache": "Hello {{customer.first_name}}",
        "samples/ignored.journey": "this is not a journey file at all",
    ]

    @Test func checkExitCodes() throws {
        try withDirectory(Self.files) { directory in
            #expect(CheckerDriver.check(paths: [directory]).exitCode == 0)
            // A file is checked with its directory: it sees the segment and the policy.
            let file = CheckerDriver.check(paths: [directory + "/a.journey"])
            #expect(file.exitCode == 0)
            #expect(file.summary == "checked 1 journey file: no problems")
            // Alone, it does not.
            #expect(CheckerDriver.check(paths: [directory + "/a.journey"], standalone: true).diagnostics.map(\.id).contains(.unknownSegment))
            #expect(CheckerDriver.check(paths: [directory + "/missing"]).exitCode == 2)
        }
        var broken = Self.files
        broken["a.journey"] = "journey a\n  trigger on segment vipp\n  send email hello\n"
        try withDirectory(broken) { directory in
            let report = CheckerDriver.check(paths: [directory])
            #expect(report.exitCode == 1)
            #expect(report.rendered(style: .plain).contains("a.journey:2:22: error: unknown segment `vipp`; did you mean `vip`?"))
        }
    }

    @Test func messagesComeFromTheDirectory() throws {
        try withDirectory(Self.files) { directory in
            let result = JourneyCompiler.compile(directory: directory)
            let catalog = try #require(result.catalog)
            #expect(catalog.messages == ["hello": MessageTemplates(name: "hello", directory: "messages/hello", channels: [.email])])
        }
        var missing = Self.files
        missing["a.journey"] = "journey a\n  trigger on segment vip\n  send sms hello\n"
        try withDirectory(missing) { directory in
            let errors = JourneyCompiler.compile(directory: directory).errors
            #expect(errors.map(\.message) == ["message `hello` has no sms template: add \(directory)/messages/hello/sms.mustache"])
        }
    }

    @Test func templateVariablesAreCheckedAgainstTheSchema() throws {
        var files = Self.files
        files["schema.journey"] = "schema\n  customer\n    vip bool\n    first_nam string\n"
        try withDirectory(files) { directory in
            let warnings = JourneyCompiler.compile(directory: directory).warnings
            #expect(warnings.map(\.id) == [.templateUnknownVariable])
            #expect(warnings.first?.message == "template uses `customer.first_name`, which the schema does not declare; did you mean `first_nam`?")
            #expect(warnings.first?.location?.column == 9)
        }
    }

    @Test func formatWritesOrChecks() throws {
        var files = Self.files
        files["a.journey"] = "journey a\n    trigger on segment vip\n    send email hello\n"
        try withDirectory(files) { directory in
            let check = FormatDriver.format(paths: [directory], checkOnly: true)
            #expect(check.changed == [directory + "/a.journey"])
            let unchanged = try String(contentsOfFile: directory + "/a.journey", encoding: .utf8)
            #expect(unchanged.contains("    trigger"))
            let write = FormatDriver.format(paths: [directory], checkOnly: false)
            #expect(write.changed == [directory + "/a.journey"])
            let formatted = try String(contentsOfFile: directory + "/a.journey", encoding: .utf8)
            #expect(formatted == "journey a\n  trigger on segment vip\n  send email hello\n")
            #expect(FormatDriver.format(paths: [directory], checkOnly: true).changed.isEmpty)
        }
    }

    @Test func graphSelectsJourneys() throws {
        try withDirectory(Self.files) { directory in
            let outcome = GraphDriver.render(path: directory + "/a.journey", format: .mermaid)
            #expect(outcome.exitCode == 0)
            #expect(outcome.output?.contains("flowchart TD") == true)
            #expect(GraphDriver.render(path: directory, format: .dot, journey: "b").usageError == "no journey named `b` in \(directory)")
            #expect(GraphDriver.render(path: directory + "/nope.journey", format: .dot).exitCode == 2)
        }
    }
}
