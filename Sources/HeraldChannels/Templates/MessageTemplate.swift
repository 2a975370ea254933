import Foundation
import JourneyLanguage
import Mustache

/// One template file of a message (`subject.mustache`, `body.html.mustache`, …), parsed once.
struct MessageTemplate: Sendable {
    /// How rendered values are escaped.
    enum Escaping: Sendable {
        /// HTML bodies: `<`, `>`, `&`, `"` and `'` escaped (Mustache's default).
        case html
        /// Subjects, plain-text bodies and SMS: values inserted as they are.
        case none
        /// JSON payloads: values escaped for the inside of a JSON string.
        case json
    }

    let file: String
    let outline: TemplateOutline
    private let template: MustacheTemplate

    init(file: String, source: String, escaping: Escaping) throws(TemplateError) {
        self.file = file
        do {
            outline = try TemplateOutline(source: source)
        } catch {
            throw TemplateError(.syntax, error.message, file: file, line: error.position.line, column: error.position.column)
        }
        // The pragma stands on a line of its own, which Mustache drops entirely (newline
        // included), so the template's own lines keep their numbers less one.
        let pragma: String? =
            switch escaping {
            case .html: nil
            case .none: "{{% CONTENT_TYPE: TEXT}}\n"
            case .json: "{{% CONTENT_TYPE: \(JSONStringContentType.name)}}\n"
            }
        if escaping == .json { JSONStringContentType.registerOnce() }
        do {
            template = try MustacheTemplate(string: (pragma ?? "") + source)
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber - (pragma == nil ? 0 : 1)
            throw TemplateError(.syntax, "\(error.error)", file: file, line: line, column: error.context.columnNumber)
        } catch {
            throw TemplateError(.syntax, "\(error)", file: file)
        }
    }

    /// Renders, after checking that every variable the template shows exists in `context`.
    func render(_ context: Value) throws(TemplateError) -> String {
        if let missing = outline.firstMissingVariable(in: context) {
            let hint =
                missing.suggestion.map { "; did you mean `\($0)`?" }
                ?? "; add it to the data or guard it with {{#\(missing.name)}}…{{/\(missing.name)}}"
            throw TemplateError(
                .missingVariable, "missing variable `\(missing.name)`\(hint)",
                file: file, line: missing.position.line, column: missing.position.column)
        }
        return template.render(context.mustacheValue ?? [String: Any]())
    }
}

/// Escapes values for the inside of a JSON string literal.
private struct JSONStringContentType: MustacheContentType {
    static let name = "HERALD_JSON"
    private static let registration: Void = {
        MustacheContentTypes.register(JSONStringContentType(), named: name)
    }()

    static func registerOnce() {
        _ = registration
    }

    func escapeText(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20:
                escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
