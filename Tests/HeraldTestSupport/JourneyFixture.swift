public import Foundation

/// A journeys directory written by a test: journey files, webhook message templates and a policy.
/// The service, crash and cluster tests run the real compiler and engine on it.
public struct JourneyFixture: Sendable {
    /// File name (without `.journey`) → source text.
    public var journeys: [String: String]
    /// Message name → its `webhook.json.mustache`.
    public var webhooks: [String: String]

    public init(journeys: [String: String], webhooks: [String: String]) {
        self.journeys = journeys
        self.webhooks = webhooks
    }

    /// Writes (or rewrites) the directory.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in journeys {
            try text.write(to: directory.appendingPathComponent("\(name).journey"), atomically: true, encoding: .utf8)
        }
        for (message, template) in webhooks {
            let folder = directory.appendingPathComponent("messages/\(message)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try template.write(to: folder.appendingPathComponent("webhook.json.mustache"), atomically: true, encoding: .utf8)
        }
    }

    /// A journey that enters on `event` every time and runs `steps` (indented by the caller's
    /// lines; each line is one step).
    public static func journey(_ name: String, on event: String, priority: Int = 50, steps: [String]) -> String {
        """
        journey \(name) "\(name)"
          priority \(priority)
          trigger on event "\(event)"
          entry always

        \(steps.map { "  " + $0 }.joined(separator: "\n"))

        """
    }

    /// The service tests' journeys: `ping` sends a webhook at once, `later` one after a second
    /// (both transactional), and every delivery outcome fed back to the engine is counted in the
    /// customer's `delivered` / `failed` attributes; `pings` and `laters` count the events handled.
    public static let service = JourneyFixture(
        journeys: [
            "policy": "policy\n  time zone \"UTC\"\n",
            "pings": journey("pings", on: "ping", steps: ["increment customer.pings by 1", "send webhook ping transactional"]),
            "laters": journey(
                "laters", on: "later", steps: ["increment customer.laters by 1", "wait 1 second", "send webhook later transactional"]),
            "delivered": journey("delivered", on: "message.delivered", steps: ["increment customer.delivered by 1"]),
            "failed": journey("failed", on: "message.failed", steps: ["increment customer.failed by 1"]),
        ],
        webhooks: [
            "ping": #"{"customer": "{{customer.id}}", "message": "ping"}"#,
            "later": #"{"customer": "{{customer.id}}", "message": "later"}"#,
        ])
}
