import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// `herald revisions` and `herald export` against a running `herald serve` (`--server`) and,
/// once it stopped, against its data directory (`--data`).
struct RevisionsCommandTests {
    @Test func revisionsAndTheInputLogFromAServerAndFromItsDataDirectory() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let journeys = try scratch.copyExampleJourneys()
        let server = try await Served.start(scratch, journeys: journeys)
        defer { server.process.killWithoutWaiting() }
        let url = "http://127.0.0.1:\(server.port)"
        let key = ["HERALD_API_KEY": Served.apiKey]

        #expect(try await server.call(.post, "/v1/events", body: orderCompleted(id: "o1", customer: "c1")).status == 202)
        #expect(try await server.call(.put, "/v1/customers/c2", body: #"{"email": "grace@example.com"}"#).status == 200)

        // An edit deployed with a note, then a rollback through the CLI.
        let file = URL(fileURLWithPath: journeys).appendingPathComponent("welcome.journey")
        let original = try String(contentsOf: file, encoding: .utf8)
        try original.replacingOccurrences(of: "priority 60", with: "priority 61").write(to: file, atomically: true, encoding: .utf8)
        let reload = try await server.call(.post, "/v1/journeys/reload", body: #"{"note": "welcome first"}"#)
        #expect(reload.json?["revision"]["number"].number == 2, "\(reload.body)")

        let listed = try await HeraldCommand.run(["revisions", "--server", url], environment: key)
        #expect(listed.status == 0, "\(listed)")
        let rows = listed.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 3, "\(listed)")
        #expect(rows[0].hasPrefix("   REVISION  CREATED (UTC)"), "\(listed)")
        #expect(rows[1].hasPrefix("*  2 ") && rows[1].contains("welcome first") && rows[2].hasPrefix("   1 "), "\(listed)")
        #expect(rows[2].contains("startup"), "\(listed)")

        let written = scratch.file("revision-1")
        let show = try await HeraldCommand.run(["revisions", "show", "1", "--server", url, "--output", written], environment: key)
        #expect(show.status == 0, "\(show)")
        #expect(try String(contentsOfFile: written + "/welcome.journey", encoding: .utf8) == original)
        #expect(FileManager.default.fileExists(atPath: written + "/messages/cart_reminder/subject.mustache"))
        let check = try await HeraldCommand.run(["check", written])
        #expect(check.status == 0, "a revision's files are a journeys directory: \(check)")

        let restore = try await HeraldCommand.run(["revisions", "restore", "1", "--server", url, "--note", "undo"], environment: key)
        #expect(restore.status == 0, "\(restore)")
        #expect(restore.stdout.contains("restored revision 1 as revision 3"), "\(restore)")

        // Failures: no key, an unknown revision, a bad number.
        let noKey = try await HeraldCommand.run(["revisions", "restore", "1", "--server", url])
        #expect(noKey.status == 1 && noKey.stderr.contains("401") && noKey.stderr.contains("HERALD_API_KEY"), "\(noKey)")
        let unknown = try await HeraldCommand.run(["revisions", "show", "99", "--server", url], environment: key)
        #expect(unknown.status == 1 && unknown.stderr.contains("no revision 99"), "\(unknown)")
        #expect(try await HeraldCommand.run(["revisions", "show", "0", "--server", url], environment: key).status == 2)
        #expect(try await HeraldCommand.run(["revisions", "show", "x", "--server", url], environment: key).status == 2)

        let fromServer = scratch.file("server.ndjson")
        let exported = try await HeraldCommand.run(["export", "--server", url, "--output", fromServer], environment: key)
        #expect(exported.status == 0, "\(exported)")
        let lines = try String(contentsOfFile: fromServer, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.contains(#""kind":"event""#) == true && lines.last?.contains(#""kind":"profile""#) == true)
        let refusedExport = try await HeraldCommand.run(["export", "--server", url])
        #expect(refusedExport.status == 1 && refusedExport.stderr.contains("401") && refusedExport.stdout.isEmpty, "\(refusedExport)")
        let toStdout = try await HeraldCommand.run(["export", "--server", url, "--until", "2999-01-01T00:00:00Z"], environment: key)
        #expect(toStdout.stdout == (try String(contentsOfFile: fromServer, encoding: .utf8)), "\(toStdout)")
        #expect(await server.stop() == 0)

        // The data directory, with the server stopped.
        let data = scratch.file("data")
        let offline = try await HeraldCommand.run(["revisions", "--data", data])
        #expect(offline.status == 0, "\(offline)")
        #expect(offline.stdout.contains("restore of 1") && offline.stdout.contains("undo"), "\(offline)")
        let shown = try await HeraldCommand.run(["revisions", "show", "2", "--data", data])
        #expect(shown.stdout.contains("==> welcome.journey <==") && shown.stdout.contains("priority 61"), "\(shown)")
        let fromData = try await HeraldCommand.run(["export", "--data", data, "--since", "0"])
        #expect(fromData.stdout == (try String(contentsOfFile: fromServer, encoding: .utf8)), "the same log either way")
        let later = try await HeraldCommand.run(["export", "--data", data, "--since", "2999-01-01T00:00:00Z"])
        #expect(later.status == 0 && later.stdout.isEmpty, "\(later)")

        let offlineRestore = try await HeraldCommand.run(["revisions", "restore", "1", "--data", data])
        #expect(offlineRestore.status == 1 && offlineRestore.stderr.contains("--server"), "\(offlineRestore)")
        let missing = try await HeraldCommand.run(["revisions", "--data", scratch.file("nowhere")])
        #expect(missing.status == 1 && missing.stderr.contains("no Herald database"), "\(missing)")
        let badSince = try await HeraldCommand.run(["export", "--data", data, "--since", "yesterday"])
        #expect(badSince.status == 2 && badSince.stderr.contains("RFC 3339"), "\(badSince)")
        let both = try await HeraldCommand.run(["export", "--data", data, "--server", url])
        #expect(both.status == 2, "\(both)")
    }
}
