import Foundation
import HeraldTestSupport
import Testing

/// `herald dry-run` and `herald test` as users run them, on the example journeys and samples.
struct DryRunCommandTests {
    @Test func samplesReplayToATextReport() async throws {
        let result = try await herald("dry-run", "--customers", Paths.customers, "--events", Paths.events, "--report-only")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("Dry run "), "\(result.stdout.prefix(500))")
        #expect(result.stdout.contains("== Journeys =="))
        #expect(result.stdout.contains("== Stages =="))
        #expect(!result.stdout.contains("== Timelines =="), "--report-only leaves the timelines out")
    }

    @Test func jsonIsDeterministicAndParses() async throws {
        let first = try await herald("dry-run", "--customers", Paths.customers, "--events", Paths.events, "--format", "json")
        #expect(first.status == 0, "\(first.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(!object.isEmpty)
        let second = try await herald("dry-run", "--customers", Paths.customers, "--events", Paths.events, "--format", "json")
        #expect(first.stdout == second.stdout, "the same input gives the same output")
    }

    @Test func oneCustomersTimelineAndExplanation() async throws {
        let result = try await herald(
            "dry-run", "--customers", Paths.customers, "--events", Paths.events, "--customer", "c002", "--explain", "c002")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("c002 ("), "\(result.stdout.prefix(2000))")
        #expect(!result.stdout.contains("\nc001 ("), "only c002's timeline")
    }

    @Test func malformedLinesAreSkippedAndNamedOrRefusedWithStrict() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let customers = try scratch.write(
            "customers.ndjson", #"{"id": "c1", "email": "c1@example.com"}"# + "\n" + "{not json\n" + #"{"email": "no-id@example.com"}"# + "\n")
        let events = try scratch.write(
            "events.ndjson", #"{"id": "e1", "customer_id": "c1", "name": "signed_up", "timestamp": "2026-03-02T10:00:00Z"}"# + "\n")

        let lenient = try await herald("dry-run", "--customers", customers, "--events", events)
        #expect(lenient.status == 0, "\(lenient)")
        #expect(lenient.stdout.contains("\(customers):2: error:"), "\(lenient.stdout.prefix(1500))")
        #expect(lenient.stdout.contains("\(customers):3: error:"))
        #expect(lenient.stdout.contains("1 customers"))

        let strict = try await herald("dry-run", "--customers", customers, "--events", events, "--strict")
        #expect(strict.status == 1, "\(strict)")
        #expect(strict.stderr.contains("\(customers):2: error:"), "\(strict)")
        #expect(strict.stderr.contains("--strict"))
        #expect(strict.stdout.isEmpty, "nothing runs")
    }

    @Test func aMissingInputFileFailsAndNamesIt() async throws {
        let result = try await herald("dry-run", "--customers", "/nonexistent/customers.ndjson", "--events", Paths.events)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("/nonexistent/customers.ndjson"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test func journeysWithErrorsRunNothing() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("journeys/hello.journey", "journey hello\n  trigger on event \"signed_up\"\n  if customer.x > \n")
        let result = try await herald(
            "dry-run", "--journeys", scratch.file("journeys"), "--customers", Paths.customers, "--events", Paths.events)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("hello.journey:3:"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: [
        ["dry-run", "--events", "Journeys/samples/events.ndjson"],  // --customers is required
        ["dry-run", "--customers", "Journeys/samples/customers.ndjson", "--events", "Journeys/samples/events.ndjson", "--from", "yesterday"],
        ["dry-run", "--customers", "Journeys/samples/customers.ndjson", "--events", "Journeys/samples/events.ndjson", "--format", "xml"],
    ])
    func misuseExitsTwo(arguments: [String]) async throws {
        let result = try await HeraldCommand.run(arguments)
        #expect(result.status == 2, "\(result)")
        #expect(!result.stderr.isEmpty)
        #expect(result.stdout.isEmpty)
    }
}

struct TestCommandTests {
    @Test func exampleScenariosPass() async throws {
        let result = try await herald("test", "Journeys/tests")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains(" passed, 0 failed"), "\(result)")
        #expect(!result.stdout.contains("FAIL"))
    }

    @Test func aFailingExpectationShowsExpectedActualAndTimelineWithExitOne() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write(
            "wrong.yaml",
            """
            journeys: \(Paths.journeys.path)
            scenarios:
              - scenario: a confirmation that is not sent
                customers:
                  - {id: c1}
                events:
                  - {at: +0, customer: c1, name: order.completed, properties: {order_id: o-1, total: 20, items: 1}}
                expect:
                  - no send email to c1
            """)
        let result = try await herald("test", file)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("FAIL  \(file): a confirmation that is not sent"), "\(result)")
        #expect(result.stdout.contains("expected: no send email to c1"), "\(result)")
        #expect(result.stdout.contains("actual:"))
        #expect(result.stdout.contains("0 passed, 1 failed"))
    }

    @Test func aMalformedScenarioFileIsAFailureNamingTheFile() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write("bad.yaml", "scenarios:\n  - scenario: [unclosed\n")
        let result = try await herald("test", file)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains(file), "\(result)")
    }

    @Test func aMissingPathOrNoScenariosFails() async throws {
        let missing = try await herald("test", "/nonexistent/scenarios.yaml")
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stdout.contains("/nonexistent/scenarios.yaml"), "\(missing)")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let empty = try await herald("test", scratch.path)
        #expect(empty.status == 1, "no scenario found is not a pass: \(empty)")
    }
}
