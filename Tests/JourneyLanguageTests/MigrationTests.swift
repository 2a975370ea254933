import Testing

@testable import JourneyLanguage

/// `migrate …` lines: a journey's declared in-flight migration, what it compiles to, and every
/// rule the checker enforces on this version's side, refused at its line.
struct MigrationTests {
    static func journey(_ migrate: [String]) -> String {
        """
        journey cart
          trigger on event "cart.updated"
        \(migrate.map { "  " + $0 + "\n" }.joined())
          wait 2 hours
          send email reminder
          wait for event "email.clicked" up to 1 day
            received -> exit "clicked"
            timeout -> exit "ignored"

        """
    }

    @Test func rulesCompileIntoTheProgramAndLeaveItsVersionAloneWithoutThem() throws {
        let source = Self.journey([
            "migrate from wait_1_hour to wait_2_hours keep deadline", "migrate from wait_1_day to wait_for_email_clicked restart",
            "migrate from send_sms_nudge exit", "migrate others stay",
        ])
        let result = compile(source)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let program = try #require(result.catalog?.journeys.first)
        let migration = try #require(program.migration)
        #expect(migration.rules.map(\.from) == ["wait_1_hour", "wait_1_day", "send_sms_nudge"])
        #expect(
            migration.rules.map(\.target) == [.step("wait_2_hours", keepDeadline: true), .step("wait_for_email_clicked", keepDeadline: false), .exit])
        #expect(migration.rules.map(\.location.line) == [3, 4, 5])
        #expect(migration.others == .stay)
        #expect(migration.rule(from: "wait_1_day")?.target == .step("wait_for_email_clicked", keepDeadline: false))
        // The engine applies it: no warning (an earlier build said it did not).
        #expect(!result.diagnostics.contains { $0.location?.line == 3 }, "\(result.diagnostics)")
        // `keep deadline` is the default; `migrate others exit` too.
        let plain = try #require(compile(Self.journey(["migrate from wait_1_hour to wait_2_hours", "migrate others exit"])).catalog?.journeys.first)
        #expect(plain.migration?.rules.first?.target == .step("wait_2_hours", keepDeadline: true))
        #expect(plain.migration?.others == .exit)

        let without = try #require(compile(Self.journey([])).catalog?.journeys.first)
        #expect(without.migration == nil)
        // The migration is part of the version; its absence leaves the canonical form as it was.
        #expect(without.version != program.version)
        var stripped = program
        stripped.migration = nil
        #expect(ContentHash.version(of: stripped, segments: [:]) == without.version)
    }

    @Test func eachRuleTheCheckerEnforcesIsRefusedAtItsLine() {
        let cases: [([String], String, DiagnosticID, String)] = [
            (
                ["migrate from wait_1_hour to wait_2_hour"], "3:31", .unknownMigrationStep,
                "unknown step `wait_2_hour`; did you mean `wait_2_hours`?"
            ),
            (
                ["migrate from wait_1_hour to send_email_reminder"], "3:31", .migrationStepKind,
                "`send_email_reminder` is a send step: customers can only be moved to a step where they wait"
            ),
            (
                ["migrate from wait_1_hour to wait_2_hours", "migrate from wait_1_hour exit"], "4:16", .duplicateMigration,
                "step `wait_1_hour` is migrated twice; keep one `migrate from wait_1_hour` line"
            ),
            (["migrate others stay", "migrate others exit"], "4:3", .duplicateMigration, "`migrate others` is given twice in journey `cart`"),
        ]
        for (lines, place, id, message) in cases {
            let result = compile(Self.journey(lines))
            let error = result.diagnostics.first { $0.isError }
            #expect(error?.id == id, "\(lines): \(result.diagnostics)")
            #expect(error.map { "\($0.location!.line):\($0.location!.column)" } == place, "\(lines): \(result.diagnostics)")
            #expect(error?.message == message, "\(lines)")
            #expect(result.catalog == nil || result.catalog?.journeys.isEmpty == true, "a refused migration compiles no journey")
        }
    }

    @Test func malformedLinesAreSyntaxErrors() {
        for (line, expected) in [
            ("migrate wait_1_hour to wait_2_hours", "expected `from` after `migrate`"),
            ("migrate from wait_1_hour wait_2_hours", "expected `to` or `exit` after `migrate from wait_1_hour`"),
            ("migrate from wait_1_hour to wait_2_hours keep", "expected `deadline` after `keep`"),
            ("migrate others", "expected `stay` or `exit` after `migrate others`"),
        ] {
            let messages = compile(Self.journey([line])).diagnostics.filter(\.isError).map(\.message)
            #expect(messages.contains { $0.hasPrefix(expected) }, "\(line): \(messages)")
        }
    }
}
