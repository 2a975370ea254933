/// A credential (password, API key, webhook signing secret) whose value never shows up in logs,
/// error messages or `print` output: every textual description of it is `<redacted>`.
///
/// ```swift
/// let key = Secret("re_live_123")
/// print(key)             // <redacted>
/// key.value              // "re_live_123", read only where the credential is used
/// ```
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The credential itself. Read it only to hand it to the transport.
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension Secret: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }
}
