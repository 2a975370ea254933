import Foundation
public import JourneyLanguage
import Synchronization

/// Renders the messages in a message directory (`Journeys/messages/<name>/`) for a customer.
///
/// A message's folder holds one template per part: `subject.mustache`, `body.html.mustache` and
/// `body.txt.mustache` for email (a subject and at least one body), `sms.mustache` for SMS,
/// `webhook.json.mustache` for a webhook payload. HTML bodies escape the values they show; other
/// parts insert them as they are, except JSON payloads, which escape them for JSON strings. A
/// variable missing from the context is an error, not an empty string.
///
/// ```swift
/// let renderer = MessageRenderer(messagesDirectory: "Journeys/messages")
/// let content = try renderer.render("welcome", for: .email, context: TemplateContext(customer: ["first_name": "Ada"]))
/// ```
public final class MessageRenderer: Sendable {
    /// Where the templates come from: a directory, or files held in memory (a deployed revision's).
    private struct Source: Sendable {
        var directory: String
        /// `<message>/<file>` → template source, when the templates are a revision's.
        var files: [String: String]?
        var cache: [String: MessageTemplates] = [:]
    }
    private let source: Mutex<Source>

    /// The directory templates are read from, or the label of the files in use (``use(files:label:)``).
    public var messagesDirectory: String { source.withLock { $0.directory } }

    public init(messagesDirectory: String) {
        source = Mutex(Source(directory: messagesDirectory, files: nil))
    }

    /// Renders from these files from now on, not from the directory: what the service does with
    /// the templates of the revision it deploys, so a restored revision renders its own text.
    ///
    /// - Parameters:
    ///   - files: `<message>/<file>` (such as `welcome/subject.mustache`) → template source.
    ///   - label: what errors name as the messages directory (`revision 3/messages`).
    public func use(files: [String: String], label: String) {
        source.withLock { $0 = Source(directory: label, files: files) }
    }

    /// The renderer for `<journeysDirectory>/messages`.
    public convenience init(journeysDirectory: String) {
        self.init(messagesDirectory: (journeysDirectory as NSString).appendingPathComponent("messages"))
    }

    /// Renders message `name` for `channel`.
    /// - Throws: ``TemplateError`` when the message or its template for this channel does not
    ///   exist, a template does not parse, a variable is missing, a JSON payload is not valid
    ///   JSON, or the result is empty.
    public func render(_ name: String, for channel: Channel, context: TemplateContext) throws(TemplateError) -> RenderedContent {
        let templates = try load(name)
        let root = context.root
        switch channel {
        case .email:
            guard let subject = templates.subject, templates.html != nil || templates.text != nil else {
                throw TemplateError(
                    .channelNotAvailable,
                    "message `\(name)` has no email templates; add subject.mustache and body.html.mustache or body.txt.mustache",
                    file: templates.directory)
            }
            let renderedSubject = try subject.render(root)
                .split(whereSeparator: \.isNewline).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
            if renderedSubject.isEmpty {
                throw TemplateError(.emptyOutput, "the subject rendered empty", file: subject.file)
            }
            return .email(EmailContent(subject: renderedSubject, html: try templates.html?.render(root), text: try templates.text?.render(root)))
        case .sms:
            guard let sms = templates.sms else {
                throw TemplateError(.channelNotAvailable, "message `\(name)` has no SMS template; add sms.mustache", file: templates.directory)
            }
            let text = try sms.render(root).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty {
                throw TemplateError(.emptyOutput, "the SMS text rendered empty", file: sms.file)
            }
            return .sms(SMSContent(text: text))
        case .webhook:
            guard let webhook = templates.webhook else {
                throw TemplateError(
                    .channelNotAvailable, "message `\(name)` has no webhook template; add webhook.json.mustache", file: templates.directory)
            }
            let payload = Array(try webhook.render(root).utf8)
            // Strict RFC 8259 (Foundation's parsers on Linux accept trailing commas and other JSON5
            // liberties that receivers reject): the language module's parser, which the API uses too.
            do {
                _ = try JSONValueParser.parse(payload)
            } catch {
                let before = payload[..<min(error.offset, payload.count)]
                let line = before.count(where: { $0 == 0x0a }) + 1
                let column = before.count - (before.lastIndex(of: 0x0a).map { $0 + 1 } ?? 0) + 1
                throw TemplateError(
                    .invalidJSON,
                    "the rendered webhook payload is not valid JSON: \(error.message) (at line \(line), column \(column) of the output)",
                    file: webhook.file)
            }
            return .webhook(WebhookContent(payload: payload))
        }
    }

    /// The channels message `name` has templates for.
    public func channels(for name: String) throws(TemplateError) -> [Channel] {
        let templates = try load(name)
        var channels: [Channel] = []
        if templates.subject != nil, templates.html != nil || templates.text != nil { channels.append(.email) }
        if templates.sms != nil { channels.append(.sms) }
        if templates.webhook != nil { channels.append(.webhook) }
        return channels
    }

    /// The variable names message `name` reads (for checks before any customer exists).
    public func variableNames(for name: String) throws(TemplateError) -> [String] {
        let templates = try load(name)
        return [templates.subject, templates.html, templates.text, templates.sms, templates.webhook]
            .compactMap { $0?.outline.variableNames }.flatMap { $0 }
    }

    private func load(_ name: String) throws(TemplateError) -> MessageTemplates {
        let (directory, files, cached) = source.withLock { ($0.directory, $0.files, $0.cache[name]) }
        if let cached { return cached }
        let loaded = try MessageTemplates(directory: directory, name: name, files: files)
        source.withLock { s in
            if s.directory == directory { s.cache[name] = loaded }  // not if the source changed meanwhile
        }
        return loaded
    }
}

/// The parsed templates of one message folder.
private struct MessageTemplates: Sendable {
    let directory: String
    var subject: MessageTemplate?
    var html: MessageTemplate?
    var text: MessageTemplate?
    var sms: MessageTemplate?
    var webhook: MessageTemplate?

    init(directory messagesDirectory: String, name: String, files: [String: String]? = nil) throws(TemplateError) {
        let valid = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        directory = (messagesDirectory as NSString).appendingPathComponent(name)
        if let files {
            guard valid, files.keys.contains(where: { $0.hasPrefix(name + "/") }) else {
                let known = Set(files.keys.compactMap { $0.split(separator: "/").first.map(String.init) })
                let hint = TemplateOutline.closest(to: name, in: known.sorted()).map { "; did you mean `\($0)`?" } ?? ""
                throw TemplateError(.messageNotFound, "no message `\(name)` in \(messagesDirectory)\(hint)", file: directory)
            }
            func template(_ file: String, _ escaping: MessageTemplate.Escaping) throws(TemplateError) -> MessageTemplate? {
                guard let source = files["\(name)/\(file)"] else { return nil }
                return try MessageTemplate(file: (directory as NSString).appendingPathComponent(file), source: source, escaping: escaping)
            }
            subject = try template("subject.mustache", .none)
            html = try template("body.html.mustache", .html)
            text = try template("body.txt.mustache", .none)
            sms = try template("sms.mustache", .none)
            webhook = try template("webhook.json.mustache", .json)
            if subject == nil, html == nil, text == nil, sms == nil, webhook == nil {
                throw TemplateError(.messageNotFound, "message folder `\(name)` holds no templates", file: directory)
            }
            return
        }
        var isDirectory: ObjCBool = false
        guard valid, FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: messagesDirectory)) ?? []
            let hint = TemplateOutline.closest(to: name, in: known).map { "; did you mean `\($0)`?" } ?? ""
            throw TemplateError(.messageNotFound, "no message `\(name)` in \(messagesDirectory)\(hint)", file: directory)
        }
        subject = try Self.template(directory, "subject.mustache", .none)
        html = try Self.template(directory, "body.html.mustache", .html)
        text = try Self.template(directory, "body.txt.mustache", .none)
        sms = try Self.template(directory, "sms.mustache", .none)
        webhook = try Self.template(directory, "webhook.json.mustache", .json)
        if subject == nil, html == nil, text == nil, sms == nil, webhook == nil {
            throw TemplateError(.messageNotFound, "message folder `\(name)` holds no templates", file: directory)
        }
    }

    private static func template(_ directory: String, _ file: String, _ escaping: MessageTemplate.Escaping) throws(TemplateError) -> MessageTemplate?
    {
        let path = (directory as NSString).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), let source = String(data: data, encoding: .utf8) else {
            throw TemplateError(.unreadableFile, "cannot read the template as UTF-8 text", file: path)
        }
        return try MessageTemplate(file: path, source: source, escaping: escaping)
    }
}
