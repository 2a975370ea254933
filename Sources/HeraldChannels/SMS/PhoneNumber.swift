/// A phone number in E.164 form: `+`, a country code not starting with 0, at most 15 digits.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// `+14155550123`.
    public let e164: String

    /// Accepts `+1 (415) 555-0123` and the like: spaces, dots, dashes and brackets are dropped
    /// before the check.
    /// - Throws: ``PhoneNumber/Invalid`` when the rest is not `+` and 2 to 15 digits.
    public init(_ text: String) throws(Invalid) {
        let compact = text.filter { !" .-()\u{00A0}".contains($0) }
        let digits = compact.dropFirst()
        guard compact.hasPrefix("+"), (2...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            digits.first != "0"
        else {
            throw Invalid(text: text)
        }
        e164 = compact
    }

    public var description: String { e164 }

    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var text: String
        public var description: String {
            "`\(text)` is not an E.164 phone number (expected + and country code, e.g. +14155550123)"
        }
    }
}
