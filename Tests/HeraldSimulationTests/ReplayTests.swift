import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

@testable import HeraldSimulation

/// `Replay`: a recorded input log through a base and a candidate journey set.
struct ReplayTests {
    /// A journeys directory of webhook journeys (transactional, so no cap or consent interferes).
    struct JourneySet {
        var journeys: [String: String]
        var messages: [String]

        func write() throws -> String {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-replay-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var files = journeys
            files["policy"] = "policy\n  time zone \"UTC\"\n"
            for (name, text) in files {
                try text.write(to: directory.appendingPathComponent("\(name).journey"), atomically: true, encoding: .utf8)
            }
            for message in messages {
                let folder = directory.appendingPathComponent("messages/\(message)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try #"{"customer": "{{customer.id}}"}"#.write(
                    to: folder.appendingPathComponent("webhook.json.mustache"), atomically: true, encoding: .utf8)
            }
            return directory.path
        }

        static func journey(_ name: String, on event: String, _ steps: [String]) -> String {
            "journey \(name) \"\(name)\"\n  trigger on event \"\(event)\"\n  entry always\n\n" + steps.map { "  " + $0 + "\n" }.joined()
        }

        /// The base: a cart reminder after 1 hour and a nudge a day later; a welcome message.
        static let base = JourneySet(
            journeys: [
                "cart": journey(
                    "cart", on: "cart.updated",
                    ["wait 1 hour", "send webhook reminder transactional", "wait 1 day", "send webhook nudge transactional"]),
                "welcome": journey("welcome", on: "signed_up", ["send webhook hello transactional"]),
            ], messages: ["reminder", "nudge", "hello", "tips"])

        /// The edit: the reminder waits 2 hours and the nudge is gone; welcome gains a tips message.
        static let candidate = JourneySet(
            journeys: [
                "cart": journey("cart", on: "cart.updated", ["wait 2 hours", "send webhook reminder transactional"]),
                "welcome": journey("welcome", on: "signed_up", ["send webhook hello transactional", "send webhook tips transactional"]),
            ], messages: ["reminder", "nudge", "hello", "tips"])
    }

    static func catalog(_ set: JourneySet) throws -> JourneyCatalog {
        let directory = try set.write()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let compilation = JourneyCompiler.compile(directory: directory)
        return try #require(compilation.catalog, "\(compilation.diagnostics)")
    }

    /// The label of the step that sends `message` in `journey`.
    static func label(_ catalog: JourneyCatalog, _ journey: String, sending message: String) throws -> String {
        let program = try #require(catalog.journey(named: journey))
        return try #require(
            program.states.first {
                if case .send(let send, _) = $0.kind { return send.message == message }
                return false
            }?.label)
    }

    /// `carts` customers update a cart, `signups` others sign up (and one is erased), as lines of the
    /// export format, ordered by accepted time.
    static func log(carts: Int, signups: Int) -> String {
        let start = 1_780_000_000.0
        var lines: [(Double, String)] = []
        for n in 0..<carts {
            let at = start + Double(n) * 60
            lines.append(
                (
                    at - 1,
                    #"{"accepted_at": "\#(Value.formatTime(at - 1))", "kind": "profile", "customer_id": "cart-\#(n)", "profile": {"attributes": {"plan": "pro"}}}"#
                ))
            lines.append(
                (
                    at,
                    #"{"accepted_at": "\#(Value.formatTime(at))", "kind": "event", "event": {"id": "e-cart-\#(n)", "customer_id": "cart-\#(n)", "name": "cart.updated", "properties": {"items": 2}, "timestamp": "\#(Value.formatTime(at))"}}"#
                ))
        }
        for n in 0..<signups {
            let at = start + 30 + Double(n) * 60
            lines.append(
                (
                    at,
                    #"{"accepted_at": "\#(Value.formatTime(at))", "kind": "event", "event": {"id": "e-up-\#(n)", "customer_id": "user-\#(n)", "name": "signed_up", "properties": {}}}"#
                ))
        }
        // An erased customer: its inputs before the erasure still ran.
        lines.append((start + 10, #"{"accepted_at": "\#(Value.formatTime(start + 10))", "kind": "erasure", "customer_id": "user-0"}"#))
        return lines.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n") + "\n"
    }

    static func writeLog(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-inputs-\(UUID().uuidString).ndjson").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [64 << 20, 2_000])  // in memory, and split into many bucket files
    func editedSetShowsExactlyTheExpectedDifference(bucketBytes: Int) throws {
        let base = try Self.catalog(.base)
        let candidate = try Self.catalog(.candidate)
        let path = try Self.writeLog(Self.log(carts: 40, signups: 25))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Replay(base: base, candidate: candidate).run(log: path, options: ReplayOptions(threads: 3, bucketBytes: bucketBytes))
        if bucketBytes < 10_000 { #expect(result.buckets > 1) }
        let d = result.difference
        #expect(d.customers == 65)
        let reminder = ReplayDifference.StepKey(journey: "cart", step: try Self.label(base, "cart", sending: "reminder"))
        let nudge = ReplayDifference.StepKey(journey: "cart", step: try Self.label(base, "cart", sending: "nudge"))
        let tips = ReplayDifference.StepKey(journey: "welcome", step: try Self.label(candidate, "welcome", sending: "tips"))
        let hello = ReplayDifference.StepKey(journey: "welcome", step: try Self.label(base, "welcome", sending: "hello"))
        #expect(d.steps[reminder]?.moved == 40)
        #expect(d.steps[reminder]?.shiftMin == 3_600 && d.steps[reminder]?.shiftMax == 3_600)
        #expect(d.steps[reminder]?.added == 0 && d.steps[reminder]?.removed == 0)
        #expect(d.steps[nudge]?.removed == 40)
        #expect(d.steps[nudge]?.added == 0 && d.steps[nudge]?.moved == 0)
        #expect(d.steps[tips]?.added == 25)
        #expect(d.steps[hello]?.isEmpty == true && d.steps[hello]?.unchanged == 25)
        #expect(d.steps.values.reduce(0) { $0 + $1.channelChanged } == 0)
        #expect(d.baseSends == 40 * 2 + 25 && d.candidateSends == 40 + 25 * 2)
        #expect(d.customersWithChangedSends == 65)
        #expect(d.differentPaths["cart"] == 40 && d.differentPaths["welcome"] == 25)
        #expect(d.sample.count == ReplayDifference.sampleLimit && d.sample == d.sample.sorted())

        let text = ReplayRenderer(result: result, baseName: "base", candidateName: "candidate").text()
        #expect(text.contains("~40 moved by +1h on average"), "\(text)")
        #expect(text.contains("-40 removed"))
        #expect(text.contains("+25 added"))
        #expect(text.contains("40 customer(s) took a different path"))
    }

    @Test func theSameSetGivesAnEmptyDifference() throws {
        let base = try Self.catalog(.base)
        let path = try Self.writeLog(Self.log(carts: 10, signups: 10))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Replay(base: base, candidate: try Self.catalog(.base)).run(log: path)
        #expect(result.difference.isEmpty)
        #expect(result.difference.customers == 20 && result.difference.baseSends == 30)
        #expect(result.difference.customersWithChangedSends == 0 && result.difference.customersWithDifferentPath == 0)
        #expect(ReplayRenderer(result: result, baseName: "a", candidateName: "b").text().contains("No difference"))
    }

    @Test func theResultDoesNotDependOnThreadsOrBuckets() throws {
        let (base, candidate) = (try Self.catalog(.base), try Self.catalog(.candidate))
        let path = try Self.writeLog(Self.log(carts: 30, signups: 30))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let one = try Replay(base: base, candidate: candidate).run(log: path, options: ReplayOptions(threads: 1))
        let many = try Replay(base: base, candidate: candidate).run(log: path, options: ReplayOptions(threads: 4, bucketBytes: 1_500))
        #expect(one.difference == many.difference)
        #expect(
            ReplayRenderer(result: one, baseName: "a", candidateName: "b").json()
                == ReplayRenderer(result: many, baseName: "a", candidateName: "b").json())
    }

    @Test func oneCustomersTimelinesSideBySide() throws {
        let (base, candidate) = (try Self.catalog(.base), try Self.catalog(.candidate))
        let path = try Self.writeLog(Self.log(carts: 3, signups: 0))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Replay(base: base, candidate: candidate).run(log: path, options: ReplayOptions(customer: "cart-1"))
        let customer = try #require(result.customer)
        #expect(customer.base.outbox.map(\.message) == ["reminder", "nudge"])
        #expect(customer.candidate.outbox.map(\.message) == ["reminder"])
        let text = ReplayRenderer(result: result, baseName: "a", candidateName: "b").text()
        #expect(text.contains("customer cart-1"))
        #expect(text.contains(" ≠ "))
    }

    @Test func anErasureForgetsTheCustomer() throws {
        // user-0 signed up (a hello) and was then erased: a later sign-up enters afresh.
        let records = [
            InputLogRecord(
                acceptedAt: 100, customerID: "u", kind: .event(CustomerEvent(id: "1", customerID: "u", name: "cart.updated", timestamp: 100)), line: 1
            ),
            InputLogRecord(acceptedAt: 200, customerID: "u", kind: .erasure, line: 2),
        ]
        let run = Replay.replay(id: "u", records: records, engine: JourneyEngine(catalog: try Self.catalog(.base)), until: 100_000)
        #expect(run.outbox.isEmpty, "the reminder was due after the erasure: \(run.outbox.map(\.message))")
    }

    @Test(arguments: [
        (#"{"accepted_at": "2026-03-02T10:00:00.000Z", "kind": "event"}"#, "needs an \"event\" object"),
        (#"{"accepted_at": "yesterday", "kind": "erasure", "customer_id": "c"}"#, "not an RFC 3339 time"),
        (#"{"kind": "erasure", "customer_id": "c"}"#, "missing \"accepted_at\""),
        (#"{"accepted_at": "2026-03-02T10:00:00Z", "kind": "purchase", "customer_id": "c"}"#, "unknown \"kind\""),
        (
            #"{"accepted_at": "2026-03-02T10:00:00Z", "kind": "profile", "customer_id": "c", "profile": {"time_zone": "Mars/Base"}}"#,
            "unknown time zone"
        ),
        (#"not json"#, "malformed JSON"),
    ])
    func aBadLineIsReportedWithFileAndLine(line: String, message: String) throws {
        let good = #"{"accepted_at": "2026-03-02T09:00:00Z", "kind": "erasure", "customer_id": "c"}"#
        let path = try Self.writeLog(good + "\n\n" + line + "\n" + good + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let base = try Self.catalog(.base)
        #expect {
            try Replay(base: base, candidate: base).run(log: path)
        } throws: { error in
            guard let failure = error as? LoadFailure, let issue = failure.issues.first else { return false }
            return failure.issues.count == 1 && issue.file == path && issue.line == 3 && issue.message.contains(message)
                && failure.description.hasPrefix("\(path):3: error:")
        }
    }
}

/// `Replay` with a deployment instant: the candidate side replays the base until then and the
/// candidate after, so a migration the candidate declares applies at the switch, as in the service.
struct ReplayDeploymentTests {
    @Test func aDeclaredMigrationAppliesAtTheDeployment() throws {
        let base = try ReplayTests.catalog(.base)
        var edited = ReplayTests.JourneySet.candidate
        edited.journeys["cart"] = ReplayTests.JourneySet.journey(
            "cart", on: "cart.updated", ["wait 2 hours", "send webhook reminder transactional"]
        ).replacingOccurrences(of: "  entry always\n", with: "  entry always\n  migrate from wait_1_hour to wait_2_hours keep deadline\n")
        let candidate = try ReplayTests.catalog(edited)
        let log = try ReplayTests.writeLog(ReplayTests.log(carts: 3, signups: 0))
        defer { try? FileManager.default.removeItem(atPath: log) }
        let start = 1_780_000_000.0
        let replay = Replay(base: base, candidate: candidate)

        // From the start, every reminder comes an hour later.
        let fromStart = try replay.run(log: log).difference
        let reminders = try ReplayTests.label(base, "cart", sending: "reminder")
        #expect(fromStart.steps[.init(journey: "cart", step: reminders)]?.moved == 3)

        // Deployed 30 minutes in: the customers waiting in wait_1_hour move with their deadline
        // kept, so the reminders keep their time; v2 has no nudge.
        var options = ReplayOptions(customer: "cart-0")
        options.deployAt = start + 30 * 60
        let deployed = try replay.run(log: log, options: options)
        let steps = deployed.difference.steps
        let reminder = steps[.init(journey: "cart", step: reminders)]
        #expect(reminder?.moved == 0 && reminder?.unchanged == 3, "\(steps)")
        let nudges = try ReplayTests.label(base, "cart", sending: "nudge")
        #expect(steps[.init(journey: "cart", step: nudges)]?.removed == 3)
        let moved = try #require(deployed.customer).candidate.timeline.first {
            if case .movedByMigration(_, "wait_1_hour", _, "wait_2_hours", true, _) = $0.kind { true } else { false }
        }
        #expect(moved?.at == start + 30 * 60)
    }
}
