import Foundation
import HeraldService
import Testing
import Yams

/// The example configuration the service guide points at is valid, and the guide shows it as it is.
struct ExampleConfigurationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func exampleConfigurationLoadsAndValidates() throws {
        // The service's part of the file, decoded as `herald serve` decodes it (the composition root
        // reads `data` and `storage` from the same document).
        let text = try String(contentsOf: Self.root.appendingPathComponent("herald.example.yaml"), encoding: .utf8)
        let configuration = try YAMLDecoder().decode(ServiceConfiguration.self, from: text)
        try configuration.validate()
        #expect(configuration.port == 8080)
        #expect(configuration.apiKeys == ["change-me"])
        #expect(configuration.journeys == "Journeys")
        #expect(configuration.delivery.maxAttempts == 8)
    }

    /// Every setting line of the guide's YAML block is in the example file (comments aside).
    @Test func serviceGuideShowsTheExampleFile() throws {
        let guide = try String(contentsOf: Self.root.appendingPathComponent("docs/service.md"), encoding: .utf8)
        let example = try String(contentsOf: Self.root.appendingPathComponent("herald.example.yaml"), encoding: .utf8)
        let block = try #require(guide.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        func settings(_ text: String) -> [String] {
            text.split(separator: "\n").map { line in
                String(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    .trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        }
        let shipped = Set(settings(example))
        for line in settings(block) where !line.hasPrefix("channels_config") {
            #expect(shipped.contains(line), "docs/service.md shows `\(line)`, which herald.example.yaml does not have")
        }
        #expect(guide.contains("--config herald.example.yaml"))
    }
}
