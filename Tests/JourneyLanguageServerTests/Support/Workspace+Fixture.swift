import Foundation
import JourneyLanguageServer

/// A journeys workspace in a fresh temporary directory: schema, segments, policy, a journey with
/// non-ASCII text (accents, an emoji: two UTF-16 code units, one Unicode scalar) and templates.
struct WorkspaceFixture {
    let root: URL
    var journeys: URL { root.appendingPathComponent("Journeys") }

    static let cart = """
        # Paniers abandonnés — relance 🛒
        journey cart "Relance du panier 🛒 café"
          trigger on event "cart.updated" where event.items > 0
          exit on event "order.completed"

          wait 1 hour
          step reminder: send email cart_reminder
          if customer.first_name != "Zoë 😀" and customer.lifetime_value > 100
            send sms cart_nudge
          if customer in segment big_spenders
            step vip_note: send email cart_reminder

        """

    static let files: [String: String] = [
        "Journeys/schema.journey": """
        schema
          customer
            first_name string
            lifetime_value number
            vip bool

          event "signed_up"
            source string
          event "cart.updated"
            items number
            total number
          event "order.completed"
            total number

        """,
        "Journeys/segments.journey": """
        segment big_spenders "Spent over 500"
          where customer.lifetime_value > 500

        """,
        "Journeys/policy.journey": """
        policy
          time zone "UTC"
          cap marketing 3 per day

        """,
        "Journeys/cart.journey": cart,
        "Journeys/welcome.journey": """
        journey welcome
          trigger on event "signed_up"
          send email welcome
          if customer in segment big_spenders
            exit "big"

        """,
        "Journeys/messages/cart_reminder/subject.mustache": "Your cart misses you\n",
        "Journeys/messages/cart_reminder/body.txt.mustache": "Hi {{customer.first_name}}, your cart is waiting.\n",
        "Journeys/messages/cart_nudge/sms.mustache": "Your cart is waiting 🛒\n",
        "Journeys/messages/welcome/subject.mustache": "Welcome aboard\n",
        "Journeys/messages/welcome/body.html.mustache": "<p>Hello <b>{{customer.first_name}}</b>!</p>\n",
        "notes.txt": "not a journey\n",
    ]

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lsp-\(UUID().uuidString)")
        for (path, text) in Self.files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }
    func uri(_ path: String) -> String { url(path).absoluteString }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// The protocol position (0-based line, UTF-16 character) of the `occurrence`-th `needle` in `text`, plus `offset` code units.
func position(of needle: String, in text: String, occurrence: Int = 1, offset: Int = 0) -> JSONValue {
    var seen = 0
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var search = line.startIndex
        while let found = line[search...].range(of: needle) {
            seen += 1
            if seen == occurrence {
                return ["line": .int(number), "character": .int(line.utf16.distance(from: line.startIndex, to: found.lowerBound) + offset)]
            }
            search = found.upperBound
        }
    }
    return ["line": -1, "character": -1]
}

func range(of needle: String, in text: String, occurrence: Int = 1) -> JSONValue {
    let start = position(of: needle, in: text, occurrence: occurrence)
    return ["start": start, "end": ["line": start["line"], "character": .int(start["character"].int! + needle.utf16.count)]]
}
