/// A message template that cannot be loaded or rendered, located in its file like a compiler
/// diagnostic: `Journeys/messages/welcome/subject.mustache:1:9: error: missing variable ...`.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case messageNotFound = "message-not-found"
        case channelNotAvailable = "channel-not-available"
        case unreadableFile = "unreadable-file"
        case syntax
        case missingVariable = "missing-variable"
        case unsupportedTag = "unsupported-tag"
        case invalidJSON = "invalid-json"
        case emptyOutput = "empty-output"
    }

    /// A stable identifier for tools.
    public var code: Code
    public var message: String
    public var file: String?
    public var line: Int?
    public var column: Int?

    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        var location = file ?? ""
        if let line {
            location += ":\(line)" + (column.map { ":\($0)" } ?? "")
        }
        return (location.isEmpty ? "" : location + ": ") + "error: " + message
    }
}
