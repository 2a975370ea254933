import Foundation
import JourneyLanguage
import Testing

/// `JourneyCompiler.compile(directory:overlays:versions:)`: an editor's unsaved text over the
/// directory's files, and the source index editors use.
struct OverlayCompileTests {
    /// A journeys directory on disk: a clean journey and a message with an email template.
    func directory() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("overlay-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/messages/hello", withIntermediateDirectories: true)
        try "journey hello\n  trigger on event \"signed_up\"\n  send email hello transactional\n".write(
            toFile: root + "/hello.journey", atomically: true, encoding: .utf8)
        try "Hi\n".write(toFile: root + "/messages/hello/subject.mustache", atomically: true, encoding: .utf8)
        try "Hello {{customer.first_name}}\n".write(toFile: root + "/messages/hello/body.txt.mustache", atomically: true, encoding: .utf8)
        return root
    }

    @Test func overlaysReplaceTheDiskTextOfJourneysAndTemplates() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let clean = JourneyCompiler.compile(directory: root, overlays: [:])
        #expect(clean.diagnostics.isEmpty)
        #expect(clean.catalog?.journeys.first?.version == JourneyCompiler.compile(directory: root).catalog?.journeys.first?.version)

        let edited = JourneyCompiler.compile(
            directory: root,
            overlays: [root + "/hello.journey": "journey hello\n  trigger on event \"signed_up\"\n  send email goodbye transactional\n"])
        #expect(edited.diagnostics.map(\.id) == [.unknownMessage])
        #expect(edited.catalog == nil)

        // A new, unsaved journey file counts; a path outside the directory does not.
        let added = JourneyCompiler.compile(
            directory: root,
            overlays: [root + "/new.journey": "journey hello\n  trigger on event \"x\"\n  exit\n", "/elsewhere/x.journey": "journey broken \"\n"])
        #expect(added.diagnostics.map(\.id) == [.duplicateJourney])

        // A template's unsaved text is checked (schema-less here, so only the variable check runs with a schema).
        let schema = "schema\n  customer\n    first_name string\n"
        let template = JourneyCompiler.compile(
            directory: root,
            overlays: [root + "/schema.journey": schema, root + "/messages/hello/body.txt.mustache": "Hello {{customer.nickname}}\n"])
        #expect(template.diagnostics.map(\.id) == [.templateUnknownVariable])
        #expect(template.diagnostics.first?.location?.file == root + "/messages/hello/body.txt.mustache")
    }

    @Test func withoutVersionsTheJourneysAreTheSameButUnversioned() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let versioned = try #require(JourneyCompiler.compile(directory: root, overlays: [:]).catalog?.journeys.first)
        var unversioned = try #require(JourneyCompiler.compile(directory: root, overlays: [:], versions: false).catalog?.journeys.first)
        #expect(unversioned.version == "")
        #expect(!versioned.version.isEmpty)
        unversioned.version = versioned.version
        #expect(unversioned == versioned)
    }

    /// A line that does not parse contributes nothing; the rest of the file is indexed.
    @Test func theSourceIndexListsDeclarationsAndReferencesOfABrokenFile() {
        let text = """
            segment vips "Big spenders"
              where customer.lifetime_value > 500
            journey hello "Héllo 😀"
              trigger on segment vips
              step greet: send email hello
              wait for event "email.clicked" where event.link contains "x" up to 1 day
              if customer in segment vips and customer.lifetime_valu > 1
                exit
              wait 3 parsecs
            """
        let index = JourneySourceIndex(file: "a.journey", text: text)
        #expect(!index.syntaxDiagnostics.isEmpty)
        #expect(index.symbols.map(\.name) == ["vips", "hello"])
        #expect(index.symbols[1].detail == "Héllo 😀")
        #expect(
            index.symbols[1].children.map(\.name).prefix(2) == [
                "greet", "wait for event \"email.clicked\" where event.link contains \"x\" up to 1 day",
            ])
        let segmentUses = index.references.filter { $0.kind == .segment && $0.name == "vips" }
        #expect(segmentUses.map(\.location.line) == [1, 4, 7])
        #expect(segmentUses.map(\.isDeclaration) == [true, false, false])
        #expect(index.reference(line: 5, column: 30)?.kind == .message(channel: "email"))
        #expect(index.references.contains { $0.kind == .property(event: "email.clicked") && $0.name == "link" })
        #expect(index.references.contains { $0.kind == .stepLabel(journey: "hello") && $0.name == "greet" && $0.isDeclaration })
        // The string's text, without its quotes: column 19 is the `e` of email.clicked.
        #expect(index.reference(line: 6, column: 19) == index.references.first { $0.kind == .event && $0.name == "email.clicked" })
    }
}
