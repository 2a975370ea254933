import Foundation
import HeraldSimulation
import JourneyEngine
import JourneyLanguage
import Testing

/// The dry-run learns the journey's audience hours from its own input (a first pass) and prints
/// every send-time choice with its reason, in text and JSON.
struct SendTimeDryRunTests {
    static let source = """
        policy
          cap marketing 5 per day

        journey weekly
          trigger on event "digest.ready"
          send email weekly at best time within 24 hours

        """
    /// 2026-03-02 00:00 UTC, a Monday.
    static let monday = 1_772_409_600.0

    static func run(readyOn day: Double) throws -> DryRunResult {
        let catalog = try #require(JourneyCompiler.compile(sources: ["w.journey": Self.source]).catalog)
        var customers = [CustomerProfile(id: "fresh", email: "fresh@example.com", timeZone: "UTC")]
        var events: [CustomerEvent] = []
        // Four other customers clicked the journey's messages at 16:xx UTC on the first day.
        for n in 0..<4 {
            let id = "old\(n)"
            customers.append(CustomerProfile(id: id, email: "\(id)@example.com", timeZone: "UTC"))
            for k in 0..<3 {
                events.append(
                    CustomerEvent(
                        id: "\(id)-\(k)", customerID: id, name: "email.clicked",
                        properties: ["message_id": .string("\(id)/weekly/\(k + 1)/send_email_weekly/email")],
                        timestamp: Self.monday + 16 * 3_600 + Double(10 * k + n)))
            }
        }
        events.append(CustomerEvent(id: "ready", customerID: "fresh", name: "digest.ready", timestamp: Self.monday + day * 86_400 + 9 * 3_600))
        return DryRun(catalog: catalog).run(
            customers: customers, events: events, options: DryRunOptions(from: Self.monday, until: Self.monday + 4 * 86_400))
    }

    @Test func aNewCustomerGetsTheJourneysHourFromEarlierDaysOnly() throws {
        let nextDay = try #require(try Self.run(readyOn: 1).customer("fresh"))
        let lines = TimelineText.lines(nextDay)
        #expect(
            lines.contains { $0.hasSuffix("send time for email weekly: 2026-03-03T16:00:00Z (no history: journey's best hour 16:00)") },
            "\(lines)")
        #expect(nextDay.outbox.map(\.at) == [Self.monday + 86_400 + 16 * 3_600])
        let chosen = try #require(nextDay.timeline.first { if case .sendTimeChosen = $0.kind { true } else { false } })
        let json = try #require(DryRunJSONRenderer.record(chosen))
        let text = json.rendered()
        #expect(text.contains("\"send_time\""), "\(text)")
        #expect(text.contains("\"no history: journey's best hour 16:00\""), "\(text)")

        // On the day of the clicks themselves they are not counted yet: the window start.
        let sameDay = try #require(try Self.run(readyOn: 0).customer("fresh"))
        #expect(TimelineText.lines(sameDay).contains { $0.hasSuffix("(no history: window start 09:00)") })
        #expect(sameDay.outbox.map(\.at) == [Self.monday + 9 * 3_600])
    }

    /// `herald replay` learns the audience hours from the log too: a candidate that adds `at best
    /// time` moves a new customer's send from the trigger's instant to the journey's best hour.
    @Test func replayLearnsTheAudienceHoursFromTheLog() throws {
        func catalog(_ options: String) throws -> JourneyCatalog {
            let text = "policy\n  cap marketing 5 per day\n\njourney weekly\n  trigger on event \"digest.ready\"\n  send email weekly\(options)\n"
            return try #require(JourneyCompiler.compile(sources: ["w.journey": text]).catalog)
        }
        var lines: [String] = []
        func event(_ id: String, _ customer: String, _ name: String, _ at: Double, _ properties: String = "{}") {
            lines.append(
                #"{"accepted_at": "\#(Value.formatTime(at))", "kind": "event", "event": {"id": "\#(id)", "customer_id": "\#(customer)", "name": "\#(name)", "properties": \#(properties), "timestamp": "\#(Value.formatTime(at))"}}"#
            )
        }
        lines.append(
            #"{"accepted_at": "\#(Value.formatTime(Self.monday))", "kind": "profile", "customer_id": "fresh", "profile": {"email": "f@example.com"}}"#
        )
        for n in 0..<12 {
            event(
                "c\(n)", "a\(n)", "email.clicked", Self.monday + 16 * 3_600 + Double(n), #"{"message_id": "a\#(n)/weekly/1/send_email_weekly/email"}"#
            )
        }
        event("ready", "fresh", "digest.ready", Self.monday + 86_400 + 9 * 3_600)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-send-time-\(UUID().uuidString).ndjson").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Replay(base: try catalog(""), candidate: try catalog(" at best time within 24 hours")).run(
            log: path, options: ReplayOptions(customer: "fresh", threads: 2))
        let fresh = try #require(result.customer)
        #expect(fresh.base.outbox.map(\.at) == [Self.monday + 86_400 + 9 * 3_600])
        #expect(fresh.candidate.outbox.map(\.at) == [Self.monday + 86_400 + 16 * 3_600])
        let reasons = fresh.candidate.timeline.compactMap { record -> String? in
            if case .sendTimeChosen(_, _, _, let choice) = record.kind { choice.description } else { nil }
        }
        #expect(reasons == ["no history: journey's best hour 16:00"])
    }
}
