import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// `herald replay` and `herald plan` as users run them.
struct ReplayCommandTests {
    static var inputs: String { Paths.journeys.appendingPathComponent("samples/inputs.ndjson").path }

    /// The example journeys, and a copy whose cart reminder waits 2 hours instead of 1.
    static func sets(_ scratch: Scratch) throws -> (base: String, candidate: String) {
        let base = try scratch.copyExampleJourneys(to: "base")
        let candidate = try scratch.copyExampleJourneys(to: "candidate")
        let file = scratch.url.appendingPathComponent("candidate/cart_abandonment.journey")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("  wait 1 hour\n"))
        try text.replacingOccurrences(of: "  wait 1 hour\n", with: "  wait 2 hours\n").write(to: file, atomically: true, encoding: .utf8)
        return (base, candidate)
    }

    @Test func anUnchangedSetHasNoDifferenceAndExitsZero() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (base, _) = try Self.sets(scratch)
        let result = try await herald("replay", "--log", Self.inputs, "--base", base, "--candidate", Paths.journeys.path, "--fail-on-change")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("No difference"), "\(result.stdout)")
        let json = try await herald("replay", "--log", Self.inputs, "--base", base, "--candidate", base, "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["changed"] as? Bool == false)
        #expect((object["customers"] as? Int ?? 0) > 0)
    }

    @Test func aChangedSetIsReportedAndFailsWithFailOnChange() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (base, candidate) = try Self.sets(scratch)
        let report = try await herald("replay", "--log", Self.inputs, "--base", base, "--candidate", candidate)
        #expect(report.status == 0, "without --fail-on-change a difference is not a failure: \(report)")
        #expect(report.stdout.contains("journey cart_abandonment"), "\(report.stdout)")
        #expect(report.stdout.contains("moved by +1h"), "\(report.stdout)")
        let failing = try await herald("replay", "--log", Self.inputs, "--base", base, "--candidate", candidate, "--fail-on-change")
        #expect(failing.status == 1, "\(failing)")

        let json = try await herald("replay", "--log", Self.inputs, "--base", base, "--candidate", candidate, "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["changed"] as? Bool == true)
        let sample = try #require((object["sample_customers"] as? [String])?.first)
        let side = try await herald("replay", "--log", Self.inputs, "--base", base, "--candidate", candidate, "--customer", sample)
        #expect(side.status == 0 && side.stdout.contains("customer \(sample)") && side.stdout.contains(" ≠ "), "\(side)")
    }

    @Test func badInputIsAClearErrorAndUsageErrorsExitTwo() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let log = try scratch.write(
            "inputs.ndjson",
            #"{"accepted_at": "2026-03-02T10:00:00.000Z", "kind": "erasure", "customer_id": "c1"}"# + "\n"
                + #"{"accepted_at": "2026-03-02T10:00:01.000Z", "kind": "event", "event": {"customer_id": "c1"}}"# + "\n")
        let bad = try await herald("replay", "--log", log, "--base", Paths.journeys.path, "--candidate", Paths.journeys.path)
        #expect(bad.status == 1, "\(bad)")
        #expect(bad.stderr.contains("\(log):2: error:") && bad.stderr.contains("\"name\""), "\(bad.stderr)")
        #expect(bad.stdout.isEmpty, "nothing is replayed")

        let broken = try scratch.copyExampleJourneys(to: "broken")
        try "journey oops \"oops\"\n  trigger on event \"x\"\n  entry always\n\n  send carrier_pigeon hello\n"
            .write(toFile: broken + "/oops.journey", atomically: true, encoding: .utf8)
        let unchecked = try await herald("replay", "--log", Self.inputs, "--base", Paths.journeys.path, "--candidate", broken)
        #expect(unchecked.status == 1, "\(unchecked)")
        #expect(unchecked.stderr.contains("oops.journey:5:"), "\(unchecked.stderr)")

        let unknown = try await herald(
            "replay", "--log", Self.inputs, "--base", Paths.journeys.path, "--candidate", Paths.journeys.path, "--customer", "nobody")
        #expect(unknown.status == 1 && unknown.stderr.contains("nobody"), "\(unknown)")
        let missing = try await herald(
            "replay", "--log", "/nonexistent/inputs.ndjson", "--base", Paths.journeys.path, "--candidate", Paths.journeys.path)
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/inputs.ndjson"), "\(missing)")

        #expect(try await herald("replay", "--log", Self.inputs, "--candidate", Paths.journeys.path).status == 2)
        #expect(try await herald("replay", "--log", Self.inputs, "--base", "revision:0", "--candidate", Paths.journeys.path).status == 2)
        #expect(try await herald("replay", "--log", Self.inputs, "--base", Paths.journeys.path, "--candidate", "/nonexistent").status == 2)
    }
}

struct PlanCommandTests {
    @Test func planAgainstARunningServerAndItsDataDirectory() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let journeys = try scratch.copyExampleJourneys()
        let server = try await Served.start(scratch, journeys: journeys)
        var stopped = false
        defer { if !stopped { server.process.killWithoutWaiting() } }
        // Five customers wait in the cart journey's first step.
        for n in 0..<5 {
            let event = #"{"id": "cart-\#(n)", "customer_id": "p\#(n)", "name": "cart.updated", "properties": {"items": 2}}"#
            #expect(try await server.call(.post, "/v1/events", body: event).status == 202)
        }
        #expect(
            try await eventually {
                var waiting = 0
                for n in 0..<5 { waiting += (try await server.customer("p\(n)"))?["instances"].array.count ?? 0 }
                return waiting == 5
            })
        let file = URL(fileURLWithPath: journeys + "/cart_abandonment.journey")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "  wait 1 hour\n", with: "  wait 2 hours\n").write(to: file, atomically: true, encoding: .utf8)

        let url = "http://127.0.0.1:\(server.port)"
        let remote = try await herald("plan", "--server", url, environment: ["HERALD_API_KEY": Served.apiKey])
        #expect(remote.status == 0, "\(remote)")
        #expect(remote.stdout.contains("journey cart_abandonment: changed"), "\(remote.stdout)")
        #expect(remote.stdout.contains("5 at wait_1_hour"), "\(remote.stdout)")
        #expect(remote.stdout.contains("+ wait wait_2_hours added"), "\(remote.stdout)")
        #expect(remote.stdout.contains("Plan: journeys: 0 added, 1 changed, 0 removed;"), "\(remote.stdout)")
        #expect(remote.stdout.contains("waiting instance(s) finish on their version."), "\(remote.stdout)")
        let unauthorized = try await herald("plan", "--server", url, environment: ["HERALD_API_KEY": "wrong"])
        #expect(unauthorized.status == 1 && unauthorized.stderr.contains("401"), "\(unauthorized)")
        // Nothing was deployed.
        #expect(try await server.journeyVersions()["cart_abandonment"] != nil)
        stopped = true
        #expect(await server.stop() == 0)

        let local = try await herald("plan", "--journeys", journeys, "--data", scratch.file("data"), "--format", "json")
        #expect(local.status == 0, "\(local)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(local.stdout.utf8)) as? [String: Any])
        let plan = try #require(object["plan"] as? [String: Any])
        let cart = try #require((plan["journeys"] as? [[String: Any]])?.first { $0["name"] as? String == "cart_abandonment" })
        #expect(cart["status"] as? String == "changed")
        #expect(cart["waiting_total"] as? Int == 5)

        // A declared migration: the plan says what it does to the 5, and names a step the live
        // version does not have at its line.
        let edited = try String(contentsOf: file, encoding: .utf8)
        try edited.replacingOccurrences(
            of: "  goal event",
            with: "  migrate from wait_1_hours exit\n  migrate from wait_1_hour to wait_2_hours keep deadline\n  migrate others stay\n  goal event"
        ).write(to: file, atomically: true, encoding: .utf8)
        let declared = try await herald("plan", "--journeys", journeys, "--data", scratch.file("data"))
        #expect(declared.status == 0, "\(declared)")
        #expect(
            declared.stderr.contains(
                "cart_abandonment.journey:8:3: warning: migrate from `wait_1_hours`: the live version of journey `cart_abandonment` has no step `wait_1_hours`; did you mean `wait_1_hour`?"
            ), "\(declared.stderr)")
        #expect(declared.stdout.contains("5 at wait_1_hour (version"), "\(declared.stdout)")
        #expect(
            declared.stdout.contains("declared (line 9): migrate to ")
                && declared.stdout.contains(" wait_2_hours, deadline kept\n")
                && declared.stdout.contains("5 waiting instance(s): 5 migrate, 0 exit by migration, 0 finish on their version."),
            "\(declared.stdout)")
        try edited.write(to: file, atomically: true, encoding: .utf8)

        try "journey oops \"oops\"\n  trigger on event \"x\"\n  entry always\n\n  send carrier_pigeon hello\n"
            .write(toFile: journeys + "/oops.journey", atomically: true, encoding: .utf8)
        let refused = try await herald("plan", "--journeys", journeys, "--data", scratch.file("data"))
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stdout.contains("REFUSED") && refused.stdout.contains("oops.journey:5:"), "\(refused.stdout)")

        #expect(try await herald("plan", "--journeys", journeys).status == 2)
        let noData = try await herald("plan", "--journeys", journeys, "--data", scratch.file("nothing-here"))
        #expect(noData.status == 1 && noData.stderr.contains("herald.sqlite"), "\(noData)")
    }

    /// The live set of `plan --data` is the current revision: a journey removed by an earlier reload
    /// is not live (its old version stays in the store for the instances that might still run it).
    @Test func planAgainstADataDirectoryTakesTheCurrentRevisionAsLive() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let journeys = try scratch.copyExampleJourneys()
        let birthday = journeys + "/birthday.journey"
        let text = try String(contentsOfFile: birthday, encoding: .utf8)
        let server = try await Served.start(scratch, journeys: journeys)
        var stopped = false
        defer { if !stopped { server.process.killWithoutWaiting() } }
        try FileManager.default.removeItem(atPath: birthday)
        let reload = try await server.call(.post, "/v1/journeys/reload", body: #"{"note": "no birthdays"}"#)
        #expect(reload.json?["revision"]["number"].number == 2, "\(reload.body)")
        stopped = true
        #expect(await server.stop() == 0)

        let data = scratch.file("data")
        let same = try await herald("plan", "--journeys", journeys, "--data", data, "--format", "json")
        #expect(same.status == 0, "\(same)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(same.stdout.utf8)) as? [String: Any])
        let names = ((object["plan"] as? [String: Any])?["journeys"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(!names.isEmpty && !names.contains("birthday"), "birthday was removed by revision 2: \(names)")
        let summary = try await herald("plan", "--journeys", journeys, "--data", data)
        #expect(summary.stdout.contains("Plan: journeys: 0 added, 0 changed, 0 removed;"), "\(summary.stdout)")
        #expect(summary.stderr.isEmpty, "\(summary.stderr)")

        // Putting the journey back adds it.
        try text.write(toFile: birthday, atomically: true, encoding: .utf8)
        let back = try await herald("plan", "--journeys", journeys, "--data", data)
        #expect(back.status == 0 && back.stdout.contains("journey birthday: added"), "\(back.stdout)")
        #expect(back.stdout.contains("Plan: journeys: 1 added, 0 changed, 0 removed;"), "\(back.stdout)")
    }
}
