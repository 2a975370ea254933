import ArgumentParser
import Foundation
import HeraldChannels
import JourneyLanguage

/// `herald send-test`: renders one message for one customer and delivers it through the
/// configured channel (the local outbox unless a configuration says otherwise), printing what
/// was rendered and every attempt's outcome.
///
/// ```
/// herald send-test --journeys Journeys --message welcome --customer '{"id":"c1","email":"ada@example.com","first_name":"Ada"}'
/// ```
struct SendTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test",
        abstract: "Render a message for a customer and deliver it through a channel.",
        discussion: """
            Without --config every channel writes to the local outbox folder (./outbox): .eml files \
            for email, JSON for SMS and webhooks. With --config, the channels of that file are used \
            (see docs/channels.md). Exits with status 1 when the message is dead-lettered, 65 when it \
            does not render, 78 when the configuration is invalid.
            """
    )

    @Option(help: "The journeys folder; messages are read from its messages/ subfolder.", completion: .directory)
    var journeys: String = "Journeys"

    @Option(help: "The message to render (a folder under <journeys>/messages/).")
    var message: String

    @Option(help: "The customer profile: a JSON file, or JSON text starting with '{'.", completion: .file(extensions: ["json"]))
    var customer: String

    @Option(help: "The triggering event's properties: a JSON file or JSON text (default: none).", completion: .file(extensions: ["json"]))
    var event: String?

    @Option(help: "email, sms or webhook (default: the first the message has templates for).", completion: .list(["email", "sms", "webhook"]))
    var channel: String?

    @Option(help: "marketing or transactional.", completion: .list(["marketing", "transactional"]))
    var category: String = "transactional"

    @Option(
        help: "The channel configuration file (YAML or JSON). Default: every channel to the local outbox.",
        completion: .file(extensions: ["yaml", "yml", "json"]))
    var config: String?

    @Option(help: "The idempotency key (default: a new one per run).")
    var key: String?

    func run() async throws {
        let requestedChannel = try channel.map { name in
            guard let kind = Channel(rawValue: name) else { throw ValidationError("--channel: expected email, sms or webhook, not `\(name)`") }
            return kind
        }
        guard let category = MessageCategory(rawValue: category) else {
            throw ValidationError("--category: expected marketing or transactional, not `\(self.category)`")
        }
        let profile = try Self.object(customer, what: "--customer")
        let eventProperties = try event.map { try Self.object($0, what: "--event") } ?? [:]
        let customerID = profile["id"]?.stringValue ?? "send-test-customer"

        let configuration: ChannelConfiguration
        do {
            configuration = try config.map { try ChannelConfiguration.load(file: $0) } ?? .local()
        } catch {
            printError("\(error)")
            throw ExitCode(78)
        }

        let renderer = MessageRenderer(journeysDirectory: journeys)
        let content: RenderedContent
        let chosen: Channel
        do {
            chosen = try requestedChannel ?? renderer.channels(for: message).first ?? .email
            let context = TemplateContext(
                customer: profile, event: eventProperties,
                journey: ["name": "send-test", "version": 0, "step": "send-test"])
            content = try renderer.render(message, for: chosen, context: context)
        } catch {
            printError("\(error)")
            throw ExitCode(65)
        }

        let name = [profile["first_name"]?.stringValue, profile["last_name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        let outgoing = OutgoingMessage(
            idempotencyKey: key ?? "send-test-\(message)-\(customerID)-\(Int(Date().timeIntervalSince1970 * 1000))",
            category: category,
            recipient: Recipient(
                customerID: customerID,
                email: profile["email"]?.stringValue,
                name: profile["name"]?.stringValue ?? (name.isEmpty ? nil : name),
                phone: profile["phone"]?.stringValue,
                webhookURL: profile["webhook_url"]?.stringValue
            ),
            content: content,
            messageName: message
        )

        print("message \(message) → \(chosen) (\(category.rawValue)), key \(outgoing.idempotencyKey)")
        switch content {
        case .email(let email):
            print("  subject: \(email.subject)")
            print("  bodies: " + [email.text.map { _ in "text" }, email.html.map { _ in "html" }].compactMap { $0 }.joined(separator: " + "))
        case .sms(let sms):
            print("  text: \(sms.text)")
            print("  \(sms.segments)")
        case .webhook(let webhook):
            print("  payload: \(String(decoding: webhook.payload, as: UTF8.self))")
        }

        let dispatcher = MessageDispatcher(configuration: configuration)
        defer { dispatcher.shutdown() }
        let report = try await dispatcher.deliver(outgoing)
        for (index, outcome) in report.attempts.enumerated() {
            print("  attempt \(index + 1): \(outcome)")
        }
        print(report)
        if !report.isDelivered {
            throw ExitCode.failure
        }
    }

    /// A JSON object from a file or from inline text.
    static func object(_ argument: String, what: String) throws -> [String: Value] {
        let text: String
        if argument.trimmingCharacters(in: .whitespaces).hasPrefix("{") {
            text = argument
        } else {
            guard let data = FileManager.default.contents(atPath: argument), let contents = String(data: data, encoding: .utf8) else {
                throw ValidationError("\(what): cannot read \(argument) (give a JSON file or JSON text starting with '{')")
            }
            text = contents
        }
        // The language's JSON parser says what is wrong and where, in words (JSONDecoder's
        // errors are a `DecodingError` dump).
        if let problem = JSONArgument.problem(in: text) {
            let source = argument.trimmingCharacters(in: .whitespaces).hasPrefix("{") ? "the JSON text" : argument
            throw ValidationError("\(what): \(source) is not valid JSON: \(problem)")
        }
        let value: Value
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
        } catch {
            throw ValidationError("\(what): not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else {
            throw ValidationError("\(what): expected a JSON object")
        }
        return fields
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
