import Foundation
import HeraldTestSupport
import Testing

/// `herald dry-run --format html --output FILE`: one self-contained file with the console's maps.
struct DryRunHTMLReportTests {
    @Test func samplesBecomeOneSelfContainedFileWithMapsFunnelsAndTimelines() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("report.html")
        let result = try await herald(
            "dry-run", "--customers", Paths.customers, "--events", Paths.events, "--format", "html", "--output", file.path)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.isEmpty, "the report goes to the file")
        let html = try String(contentsOf: file, encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(!html.contains("<link") && !html.contains("src=\"http") && !html.contains("src=\"/"), "nothing is loaded from elsewhere")
        #expect(html.contains("<style>") && html.contains("svg.journey-map"), "the style sheet is inlined")
        // The map's entered count is the funnel table's entries for the same journey.
        let row = try #require(html.firstMatch(of: /<tr data-journey="cart_abandonment">(?s:.*?)<\/tr>/)?.0)
        let entries = try #require(row.firstMatch(of: /<td class="n">(\d+)<\/td>/)?.1)
        #expect(Int(entries)! > 0)
        let section = try #require(html.firstMatch(of: /id="journey-cart_abandonment"(?s:.*?)<\/details>/)?.0)
        #expect(section.contains(#"data-step="" data-metric="entered">\#(entries)</tspan>"#))
        #expect(section.contains("send email cart_reminder"))
        #expect(section.contains("<h3>Funnel</h3>"))
        // A split's arrows carry how many customers each variant got.
        let winBack = try #require(html.firstMatch(of: /id="journey-win_back"(?s:.*?)<\/details>/)?.0)
        #expect(winBack.contains(#"data-metric="variant:winback_offer="#), "the split's variants are counted on the map")
        // The steps after the split are counted per variant, each on its own variant's steps only.
        #expect(winBack.contains(#"data-step="send_email_winback_discount" data-metric="sent#winback_offer=discount""#))
        #expect(winBack.contains(#"data-step="send_email_winback_story" data-metric="waiting#winback_offer=story""#))
        #expect(!winBack.contains(#"data-step="send_email_winback_discount" data-metric="sent#winback_offer=story""#))
        #expect(html.contains(#"<div class="customer" data-id="c002">"#), "every customer has a timeline")
        #expect(html.contains(#"id="customer-search""#))
    }

    /// A split with a winner rule shows the dry-run's decided winner on the map.
    @Test func theDecidedWinnerIsShownOnItsSplit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("report.html")
        let example = Paths.root.appendingPathComponent("docs/examples/subject_test")
        let result = try await herald(
            "dry-run", "--journeys", example.path, "--customers", example.appendingPathComponent("samples/customers.ndjson").path, "--events",
            example.appendingPathComponent("samples/events.ndjson").path, "--format", "html", "--output", file.path)
        #expect(result.status == 0, "\(result)")
        let html = try String(contentsOf: file, encoding: .utf8)
        #expect(html.contains("winner: question since 2026-03-08"), "the split names its winner")
        #expect(html.contains("conversion 32.6 % vs 7.5 % for statement"), "with its evidence")
    }

    @Test func customerIDsAreEscapedAndABadOutputPathIsAClearError() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let customers = directory.appendingPathComponent("customers.ndjson")
        let events = directory.appendingPathComponent("events.ndjson")
        try #"{"id": "<script>alert(1)</script>", "email": "x@example.com"}"#.write(to: customers, atomically: true, encoding: .utf8)
        try #"{"customer_id": "<script>alert(1)</script>", "name": "cart.updated", "timestamp": "2026-03-02T10:00:00Z", "properties": {"items": 1}}"#
            .write(to: events, atomically: true, encoding: .utf8)
        let file = directory.appendingPathComponent("report.html")
        let ok = try await herald(
            "dry-run", "--customers", customers.path, "--events", events.path, "--format", "html", "--output", file.path)
        #expect(ok.status == 0, "\(ok)")
        let html = try String(contentsOf: file, encoding: .utf8)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert"))
        let bad = try await herald(
            "dry-run", "--customers", customers.path, "--events", events.path, "--format", "html", "--output",
            directory.appendingPathComponent("missing/report.html").path)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--output") && bad.stderr.contains("cannot write the file"), "\(bad.stderr)")
    }
}
