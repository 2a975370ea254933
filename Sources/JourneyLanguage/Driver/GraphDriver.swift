import Foundation

/// What `herald graph` does: compile the journeys around `path` and draw the selected ones.
public enum GraphDriver {
    public struct Outcome: Sendable {
        /// The drawing; `nil` when compilation failed or nothing matched.
        public var output: String?
        public var diagnostics: [Diagnostic]
        public var sources: [String: String]
        /// A problem with the request itself (no such path, no such journey).
        public var usageError: String?

        public var exitCode: Int32 { usageError != nil ? 2 : output == nil ? 1 : 0 }
    }

    /// Draws every journey declared in `path` (a `.journey` file, compiled with its directory), or
    /// every journey of a directory; `journey` picks one by name.
    public static func render(path: String, format: JourneyGraph.Format, journey: String? = nil) -> Outcome {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return Outcome(output: nil, diagnostics: [], sources: [:], usageError: "no such file or directory: \(path)")
        }
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let result = JourneyCompiler.compile(directory: directory.isEmpty ? "." : directory)
        guard let catalog = result.catalog else {
            return Outcome(output: nil, diagnostics: result.diagnostics, sources: result.sources, usageError: nil)
        }
        var programs = catalog.journeys
        if !isDirectory.boolValue {
            programs = programs.filter {
                CheckerDriver.samePath($0.location.file, path)
                    || ($0.location.file as NSString).lastPathComponent == (path as NSString).lastPathComponent
            }
        }
        if let journey {
            programs = programs.filter { $0.name == journey }
            if programs.isEmpty {
                let hint = Suggestions.didYouMean(journey, in: catalog.journeys.map(\.name)).text
                return Outcome(
                    output: nil, diagnostics: result.diagnostics, sources: result.sources,
                    usageError: "no journey named `\(journey)` in \(path)\(hint)")
            }
        }
        if programs.isEmpty {
            return Outcome(output: nil, diagnostics: result.diagnostics, sources: result.sources, usageError: "no journey in \(path)")
        }
        // Several journeys make one graph (one digraph or flowchart): a stream of several would
        // render only its first.
        let output = JourneyGraph.render(programs, format: format)
        return Outcome(output: output, diagnostics: result.diagnostics, sources: result.sources, usageError: nil)
    }
}
