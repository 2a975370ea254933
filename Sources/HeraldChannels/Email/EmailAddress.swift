/// A mailbox: an address with an optional display name, as in `Ada Lovelace <ada@example.com>`.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var name: String?

    /// - Throws: ``EmailAddress/Invalid`` when `address` is not a plausible `local@domain`.
    public init(address: String, name: String? = nil) throws(Invalid) {
        let address = address.trimmed
        guard Self.isPlausible(address) else { throw Invalid(text: address) }
        self.address = address
        let name = name?.trimmed.replacingNewlines
        self.name = name?.isEmpty == true ? nil : name
    }

    /// Parses `ada@example.com`, `<ada@example.com>` or `Ada Lovelace <ada@example.com>`.
    public init(parsing text: String) throws(Invalid) {
        let text = text.trimmed
        if let open = text.lastIndex(of: "<"), text.hasSuffix(">") {
            var name = text[..<open].trimmed
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = String(name.dropFirst().dropLast())
            }
            try self.init(address: String(text[text.index(after: open)..<text.index(before: text.endIndex)]), name: name)
        } else {
            try self.init(address: text)
        }
    }

    public var description: String {
        name.map { "\($0) <\(address)>" } ?? address
    }

    /// The domain part (`example.com`).
    public var domain: String {
        address.split(separator: "@").last.map(String.init) ?? "localhost"
    }

    /// An address that cannot be used.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var text: String
        public var description: String { "`\(text)` is not a valid email address" }
    }

    private static func isPlausible(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.utf8.count <= 254 else { return false }
        let forbidden: Set<Character> = [" ", "\t", "\r", "\n", "<", ">", "(", ")", ",", ";", ":", "\\", "\"", "[", "]"]
        guard !address.contains(where: { forbidden.contains($0) || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true }) else {
            return false
        }
        let domain = parts[1]
        return !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..") && !parts[0].hasPrefix(".")
    }
}

extension StringProtocol {
    var trimmed: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }

    /// Line breaks turned into spaces, so a value cannot start a new header.
    var replacingNewlines: String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
