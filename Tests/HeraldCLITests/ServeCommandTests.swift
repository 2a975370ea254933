import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// `herald serve` as an operator runs it: a bad configuration stops it at start-up with a message
/// that names the file; SIGHUP reloads the journeys, and a broken edit leaves the running version.
struct ServeCommandTests {
    /// Runs `herald serve` expected to refuse to start. The time limit only guards against a
    /// server that starts anyway (which fails the test).
    static func refusedStart(_ scratch: Scratch, _ arguments: [String]) async throws -> HeraldCommand.Result {
        try await HeraldCommand.run(
            ["serve", "--port", "0", "--data", scratch.file("data"), "--outbox", scratch.file("outbox")] + arguments,
            environment: ["HERALD_API_KEY": Served.apiKey], timeLimit: 120)
    }

    @Test(
        arguments: [
            ("missing.yaml", nil),
            ("unbalanced.yaml", "port: [8080\nhost: 127.0.0.1\n"),
            ("wrong-type.yaml", "port: eighty\n"),
            ("out-of-range.yaml", "delivery: { max_attempts: 0 }\n"),
            ("bad-storage.yaml", "storage: mysql\n"),
            ("bad-wait.yaml", "storage: { backend: postgres, postgres: { url: postgres://h@127.0.0.1/d, connection_wait_seconds: 0 } }\n"),
        ] as [(String, String?)])
    func aBadConfigurationFileStopsStartUpAndNamesTheFile(name: String, contents: String?) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file(name)
        if let contents { try scratch.write(name, contents) }
        let result = try await Self.refusedStart(scratch, ["--config", path, "--journeys", Paths.journeys.path])
        #expect(!result.timedOut, "herald serve started with \(name)")
        #expect(result.status != 0, "\(result)")
        #expect(!result.stdout.contains("listening on"), "\(result)")
        // `out-of-range` names the setting; every other case the file.
        if name == "out-of-range.yaml" {
            #expect(result.stderr.contains("max_attempts"), "\(result)")
        } else if name == "bad-wait.yaml" {
            #expect(result.stderr.contains("storage.postgres.connection_wait_seconds"), "\(result)")
        } else {
            #expect(result.stderr.contains(path), "the message names \(path): \(result)")
        }
    }

    @Test func aBadChannelsFileStopsStartUpAndNamesIt() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let channels = try scratch.write("channels.yaml", "email:\n  tranport: smtp\n")
        let config = try scratch.write("herald.yaml", "delivery:\n  channels_config: \(channels)\n")
        let result = try await Self.refusedStart(scratch, ["--config", config, "--journeys", Paths.journeys.path])
        #expect(!result.timedOut)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains(channels), "\(result)")
    }

    @Test func journeysThatDoNotCompileStopStartUp() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("journeys/hello.journey", "journey hello\n  trigger on event \"signed_up\"\n  send email nowhere\n")
        let result = try await Self.refusedStart(scratch, ["--journeys", scratch.file("journeys")])
        #expect(!result.timedOut)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("hello.journey:3:"), "\(result)")
    }

    @Test(arguments: [["serve", "--port", "http"], ["serve", "--durability", "sometimes", "--port", "0"], ["serve", "--bogus"]])
    func badFlagsAreUsageErrors(arguments: [String]) async throws {
        let result = try await HeraldCommand.run(arguments, environment: ["HERALD_API_KEY": Served.apiKey], timeLimit: 120)
        #expect(!result.timedOut)
        #expect(result.status == 2, "\(result)")
        #expect(!result.stderr.isEmpty)
    }

    /// `serve --help` states what each flag falls back to, so an operator need not read the source.
    @Test func helpShowsTheDefaultOfEveryFlag() async throws {
        let result = try await HeraldCommand.run(["serve", "--help"], environment: [:], timeLimit: 120)
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result)")
        let help = result.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        for expected in [
            "(default: 8080)", "(default: 127.0.0.1)", "(default: Journeys)", "(default: data)", "(default: outbox)",
            "(default: full)", "(default: none;",
        ] {
            #expect(help.contains(expected), "serve --help lacks \(expected): \(result.stdout)")
        }
    }

    @Test func sighupReloadsTheJourneysAndABrokenEditKeepsTheRunningVersion() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let journeys = try scratch.copyExampleJourneys()
        let server = try await Served.start(scratch, journeys: journeys)
        defer { server.process.killWithoutWaiting() }
        let before = try await server.journeyVersions()
        let original = try #require(before["welcome_series"], "\(before)")

        // An edit that changes the program (the priority), then SIGHUP.
        let file = scratch.url.appendingPathComponent("Journeys/welcome.journey")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "priority 60", with: "priority 61").write(to: file, atomically: true, encoding: .utf8)
        server.process.hangUp()
        var changed: String?
        let reloaded = try await eventually {
            changed = try await server.journeyVersions()["welcome_series"]
            return changed != nil && changed != original
        }
        #expect(reloaded, "SIGHUP did not deploy the edited journey:\n\(server.process.log.suffix(2000))")
        let edited = try #require(changed)
        let after = try await server.journeyVersions()
        #expect(after["cart_abandonment"] == before["cart_abandonment"], "an unchanged journey keeps its version")

        // A broken edit: the reload is refused and logged, the running version stays.
        try (text + "\n  send email no_such_message\n").write(to: file, atomically: true, encoding: .utf8)
        server.process.hangUp()
        let refused = try await eventually { server.process.log.contains("journey reload refused") }
        #expect(refused, "no refusal logged:\n\(server.process.log.suffix(2000))")
        #expect(server.process.log.contains("no_such_message"), "the log says what is wrong")
        #expect(try await server.journeyVersions()["welcome_series"] == edited)
        let revisions = try await server.call(.get, "/v1/revisions").json?["revisions"].array ?? []
        #expect(
            revisions.compactMap { $0["source"].string } == ["sighup", "startup"],
            "the SIGHUP deployment is revision 2 and the refused one recorded nothing: \(revisions)")
        #expect(try await server.call(.get, "/readyz").status == 200)
        #expect(await server.stop() == 0, "graceful shutdown on SIGTERM")
    }
}
