import Foundation
public import JourneyEngine
import JourneyLanguage

/// The files of a journey set, as a revision keeps them: every `*.journey` file the compiler reads
/// (journeys, policy, schema, segments) and every message template under `messages/`, by path
/// relative to the journeys directory.
public enum JourneySetFiles {
    /// Reads the journey set in `directory`. Files that are not UTF-8 text are left for the
    /// compiler to report (it refuses them).
    public static func read(directory: String) -> [RevisionFile] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        func relative(_ path: String) -> String { path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path }
        var files: [RevisionFile] = []
        for path in JourneyDirectory.journeyFiles(in: directory) {
            if case .success(let text) = JourneyDirectory.readText(path) {
                files.append(RevisionFile(path: relative(path), contents: text))
            }
        }
        let manager = FileManager.default
        let messages = (directory as NSString).appendingPathComponent("messages")
        for name in ((try? manager.contentsOfDirectory(atPath: messages)) ?? []).sorted() where !name.hasPrefix(".") {
            let folder = (messages as NSString).appendingPathComponent(name)
            for file in ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).sorted() where file.hasSuffix(".mustache") {
                guard let data = manager.contents(atPath: (folder as NSString).appendingPathComponent(file)) else { continue }
                files.append(RevisionFile(path: "messages/\(name)/\(file)", contents: String(decoding: data, as: UTF8.self)))
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Writes `files` into `directory` (created if needed) as a journeys directory. Refuses paths
    /// that would leave it (absolute, or with `..`).
    public static func write(_ files: [RevisionFile], to directory: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in files {
            let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0.isEmpty }) else {
                throw UnsafePath(path: file.path)
            }
            let target = (directory as NSString).appendingPathComponent(file.path)
            try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: URL(fileURLWithPath: target))
        }
    }

    /// A stored file path that would be written outside the target directory.
    public struct UnsafePath: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "the revision holds a file path that leaves its directory: \(path)" }
    }
}
