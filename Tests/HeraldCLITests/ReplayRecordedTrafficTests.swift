import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// The replay the way a team uses it: traffic recorded by a live `herald serve` through its API,
/// exported with `herald export --server`, replayed against stored revisions and edited journeys.
struct ReplayRecordedTrafficTests {
    /// A journey set of transactional sends (no cap, consent or quiet hour interferes), as files.
    static func write(_ journeys: [String: String], to directory: String) throws -> String {
        var files = journeys
        files["policy"] = "policy\n  time zone \"UTC\"\n"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: "\(directory)/\(name).journey", atomically: true, encoding: .utf8)
        }
        for message in ["reminder", "nudge", "hello", "tips"] {
            let folder = "\(directory)/messages/\(message)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (file, text) in [
                ("subject.mustache", "\(message)\n"), ("body.txt.mustache", "\(message) for {{customer.id}}\n"), ("sms.mustache", "\(message)\n"),
            ] {
                try text.write(toFile: "\(folder)/\(file)", atomically: true, encoding: .utf8)
            }
        }
        return directory
    }

    static func journey(_ name: String, on event: String, _ steps: [String]) -> String {
        "journey \(name) \"\(name)\"\n  trigger on event \"\(event)\"\n  entry always\n\n" + steps.map { "  " + $0 + "\n" }.joined()
    }

    /// The live set: a cart reminder after 1 hour and a nudge a day later; a welcome message.
    static func base(
        reminderWait: String = "wait 1 hour", reminderChannel: String = "email", nudge: Bool = true, tips: Bool = false
    ) -> [String:
        String]
    {
        var cart = [reminderWait, "step reminder: send \(reminderChannel) reminder transactional"]
        if nudge { cart += ["wait 1 day", "step nudge: send email nudge transactional"] }
        var welcome = ["step hello: send email hello transactional"]
        if tips { welcome.append("step tips: send email tips transactional") }
        return ["cart": journey("cart", on: "cart.updated", cart), "welcome": journey("welcome", on: "signed_up", welcome)]
    }

    /// The steps of one journey in a `--format json` replay report, by step name.
    static func steps(_ report: [String: Any], journey: String) -> [String: [String: Any]] {
        let journeys = report["journeys"] as? [[String: Any]] ?? []
        let steps = journeys.first { $0["journey"] as? String == journey }?["steps"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: steps.compactMap { step in (step["step"] as? String).map { ($0, step) } })
    }

    static func report(_ result: HeraldCommand.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    @Test func trafficRecordedByALiveServerIsReplayedAgainstItsRevisionAndAnEdit() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let live = try Self.write(Self.base(), to: scratch.file("live"))
        let server = try await Served.start(scratch, journeys: live)
        var stopped = false
        defer { if !stopped { server.process.killWithoutWaiting() } }
        let url = "http://127.0.0.1:\(server.port)"
        let key = ["HERALD_API_KEY": Served.apiKey]

        // Three carts, two sign-ups, and one of the new customers erased.
        for (n, id) in ["cart-0", "cart-1", "cart-2", "new-0", "new-1"].enumerated() {
            let profile = #"{"email": "\#(id)@example.com", "phone": "+1555000100\#(n)"}"#
            let reply = try await server.call(.put, "/v1/customers/\(id)", body: profile)
            #expect(reply.status == 200, "\(reply.body)")
        }
        for n in 0..<3 {
            let event = #"{"id": "cart-event-\#(n)", "customer_id": "cart-\#(n)", "name": "cart.updated"}"#
            #expect(try await server.call(.post, "/v1/events", body: event).status == 202)
        }
        for n in 0..<2 {
            let event = #"{"id": "signup-\#(n)", "customer_id": "new-\#(n)", "name": "signed_up"}"#
            #expect(try await server.call(.post, "/v1/events", body: event).status == 202)
        }
        #expect(try await eventually { (try await server.customer("new-1")) != nil })
        let erased = try await server.call(.delete, "/v1/customers/new-1")
        #expect((200..<300).contains(erased.status), "\(erased.body)")

        let log = scratch.file("inputs.ndjson")
        let exported = try await herald("export", "--server", url, "--output", log, environment: key)
        #expect(exported.status == 0, "\(exported)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains(#""kind":"erasure""#) }.count == 1, "\(lines)")
        #expect(!lines.contains { $0.contains("new-1") }, "an erasure leaves only its (pseudonymous) line: \(lines)")
        #expect(lines.filter { $0.contains(#""kind":"event""#) }.count == 4, "\(lines)")
        #expect(lines.filter { $0.contains(#""kind":"profile""#) }.count == 4, "\(lines)")

        // The stored revision against its own files: no difference.
        let same = try await herald(
            "replay", "--log", log, "--base", "revision:1", "--server", url, "--candidate", live, "--fail-on-change", environment: key)
        #expect(same.status == 0, "\(same)")
        #expect(same.stdout.contains("No difference"), "\(same.stdout)")
        #expect(same.stdout.contains("sends: 7 in the base, 7 in the candidate"), "3 reminders, 3 nudges, 1 hello: \(same.stdout)")

        // The edit: the reminder waits 2 hours, the nudge is gone, welcome gains tips.
        let edited = try Self.write(Self.base(reminderWait: "wait 2 hours", nudge: false, tips: true), to: scratch.file("edited"))
        let changed = try await herald(
            "replay", "--log", log, "--base", "revision:1", "--server", url, "--candidate", edited, "--format", "json", environment: key)
        #expect(changed.status == 0, "\(changed)")
        let report = try Self.report(changed)
        #expect(report["changed"] as? Bool == true)
        #expect(report["base_sends"] as? Int == 7 && report["candidate_sends"] as? Int == 5, "\(report)")
        let cart = Self.steps(report, journey: "cart")
        #expect(cart["reminder"]?["moved"] as? Int == 3, "\(cart)")
        #expect(cart["reminder"]?["shift_min"] as? Double == 3600 && cart["reminder"]?["shift_max"] as? Double == 3600, "\(cart)")
        #expect(cart["reminder"]?["added"] as? Int == 0 && cart["reminder"]?["removed"] as? Int == 0, "\(cart)")
        #expect(cart["nudge"]?["removed"] as? Int == 3 && cart["nudge"]?["added"] as? Int == 0, "\(cart)")
        let welcome = Self.steps(report, journey: "welcome")
        #expect(welcome["tips"]?["added"] as? Int == 1, "only new-0: new-1 was erased: \(welcome)")
        #expect(welcome["hello"] == nil, "hello is unchanged: \(welcome)")
        #expect(Set(Self.steps(report, journey: "cart").keys) == ["reminder", "nudge"], "\(cart)")
        let failing = try await herald(
            "replay", "--log", log, "--base", "revision:1", "--server", url, "--candidate", edited, "--fail-on-change", environment: key)
        #expect(failing.status == 1, "\(failing)")

        // Failures: an unknown revision, no key, a server that does not answer.
        let unknown = try await herald(
            "replay", "--log", log, "--base", "revision:99", "--server", url, "--candidate", live, environment: key)
        #expect(unknown.status == 1 && unknown.stderr.contains("no revision 99") && unknown.stdout.isEmpty, "\(unknown)")
        let noKey = try await herald("replay", "--log", log, "--base", "revision:1", "--server", url, "--candidate", live)
        #expect(noKey.status == 1 && noKey.stderr.contains("401") && noKey.stderr.contains("HERALD_API_KEY"), "\(noKey)")
        stopped = true
        #expect(await server.stop() == 0)
        let unreachable = try await herald(
            "replay", "--log", log, "--base", "revision:1", "--server", url, "--candidate", live, environment: key)
        #expect(unreachable.status == 1 && unreachable.stderr.contains("cannot reach \(url)"), "\(unreachable)")

        // The same revision from the stopped server's data directory, as base or as candidate.
        let data = scratch.file("data")
        let offline = try await herald("replay", "--log", log, "--base", live, "--candidate", "revision:1", "--data", data, "--fail-on-change")
        #expect(offline.status == 0 && offline.stdout.contains("No difference"), "\(offline)")
        let offlineChanged = try await herald(
            "replay", "--log", log, "--base", "revision:1", "--data", data, "--candidate", edited, "--format", "json")
        #expect(Self.steps(try Self.report(offlineChanged), journey: "cart")["nudge"]?["removed"] as? Int == 3, "\(offlineChanged)")
        let unknownOffline = try await herald("replay", "--log", log, "--base", "revision:7", "--data", data, "--candidate", live)
        #expect(unknownOffline.status == 1 && unknownOffline.stderr.contains("no revision 7"), "\(unknownOffline)")
        let noDatabase = try await herald("replay", "--log", log, "--base", "revision:1", "--data", scratch.file("nowhere"), "--candidate", live)
        #expect(noDatabase.status == 1 && noDatabase.stderr.contains("no Herald database"), "\(noDatabase)")
        let both = try await herald("replay", "--log", log, "--base", "revision:1", "--data", data, "--server", url, "--candidate", live)
        #expect(both.status == 2, "\(both)")

        // A send that changes channel: the reminder goes by SMS instead of email.
        let sms = try Self.write(Self.base(reminderChannel: "sms"), to: scratch.file("sms"))
        let channel = try await herald("replay", "--log", log, "--base", "revision:1", "--data", data, "--candidate", sms, "--format", "json")
        let byChannel = Self.steps(try Self.report(channel), journey: "cart")
        #expect(byChannel["reminder"]?["channel_changed"] as? Int == 3, "\(channel)")
        #expect((byChannel["reminder"]?["channel_changes"] as? [String: Int]) == ["email→sms": 3], "\(channel)")
        #expect(byChannel["reminder"]?["moved"] as? Int == 0 && byChannel["nudge"] == nil, "\(channel)")
        let text = try await herald("replay", "--log", log, "--base", "revision:1", "--data", data, "--candidate", sms)
        #expect(text.stdout.contains("reminder: 3 on another channel (3 email→sms)"), "\(text.stdout)")
    }
}
