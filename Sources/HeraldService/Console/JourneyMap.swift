import Foundation
public import JourneyEngine
public import JourneyLanguage

/// The console's journey map for other renderers (the dry-run's HTML report): the same layout and
/// drawing the console serves, as a self-contained SVG string.
///
/// ```swift
/// let svg = JourneyMap.svg(program, counts: ["wait_1_hour": ["waiting": 3, "reached": 10]])
/// ```
public enum JourneyMap {
    /// The map of `program` with `counts` (step label → metric → count; `""` for journey-wide
    /// counts such as `entered`) drawn on its steps. Every text from the journey is escaped.
    /// `winners`: decided split winners, shown on their splits.
    public static func svg(_ program: JourneyProgram, counts: [String: [String: Int64]], winners: [SplitWinner] = []) -> String {
        JourneyMapSVG.render(JourneyMapLayout(program, winners: winners), counts: ConsoleCounts.Version(steps: counts))
    }

    /// The console's style sheet (what the map's classes look like), for inlining.
    public static func styleSheet() throws -> String {
        ConsoleResources.files["assets/console.css"] ?? ""
    }

    /// Escapes text for HTML text and attribute values.
    public static func escapeHTML(_ text: String) -> String { HTMLEscaping.escape(text) }
}
