/// How an SMS text is encoded and how many segments (billable parts) it takes.
///
/// Texts made only of GSM 03.38 characters use the 7-bit alphabet: 160 characters in one
/// segment, 153 per segment when split (characters of the extension table, such as `€`, `[` or
/// `{`, count twice). Any other character switches the whole text to UCS-2: 70 UTF-16 units in
/// one segment, 67 per segment when split. Escape pairs and surrogate pairs are never split.
public struct SMSSegmentCount: Sendable, Hashable, CustomStringConvertible {
    public enum Encoding: String, Sendable, Hashable {
        case gsm7 = "GSM-7"
        case ucs2 = "UCS-2"
    }

    public var encoding: Encoding
    /// The number of segments the provider will send.
    public var segments: Int
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    public var units: Int

    public init(_ text: String) {
        var septets: [Int] = []
        var isGSM = true
        for scalar in text.unicodeScalars {
            if Self.basic.contains(scalar) {
                septets.append(1)
            } else if Self.extended.contains(scalar) {
                septets.append(2)
            } else {
                isGSM = false
                break
            }
        }
        if isGSM {
            encoding = .gsm7
            units = septets.reduce(0, +)
            segments = Self.count(septets, single: 160, multi: 153)
        } else {
            encoding = .ucs2
            let widths = text.unicodeScalars.map { $0.utf16.count }
            units = widths.reduce(0, +)
            segments = Self.count(widths, single: 70, multi: 67)
        }
    }

    public var description: String {
        "\(segments) segment\(segments == 1 ? "" : "s") (\(encoding.rawValue), \(units) \(encoding == .gsm7 ? "septets" : "UTF-16 units"))"
    }

    /// Packs indivisible characters of the given widths greedily into segments.
    private static func count(_ widths: [Int], single: Int, multi: Int) -> Int {
        let total = widths.reduce(0, +)
        if total == 0 { return 0 }
        if total <= single { return 1 }
        var segments = 1
        var used = 0
        for width in widths {
            if used + width > multi {
                segments += 1
                used = 0
            }
            used += width
        }
        return segments
    }

    private static let basic = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
            .unicodeScalars)
    private static let extended = Set("\u{0C}^{}\\[~]|€".unicodeScalars)
}
