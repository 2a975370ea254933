import JourneyLanguage

/// JSON given on the command line (`send-test --customer '{...}'`), checked with the language's
/// JSON parser, whose errors say what is wrong and where in words.
enum JSONArgument {
    /// `nil` when `text` is valid JSON; otherwise what is wrong and at which byte (1-based).
    static func problem(in text: String) -> String? {
        do {
            _ = try JSONValueParser.parse(Array(text.utf8))
            return nil
        } catch {
            return "\(error.message) at byte \(error.offset + 1)"
        }
    }
}
