import Foundation

/// Reads a journeys directory: the `*.journey` files and the message templates under `messages/`.
public enum JourneyDirectory {
    public struct Contents: Sendable {
        /// File path (as `directory/relative/path`) → text.
        public var sources: [String: String]
        var messages: [String: MessageSource]
        /// Unreadable, binary or non-UTF-8 files.
        public var diagnostics: [Diagnostic]
    }

    /// Directories skipped when looking for journey files.
    static let skippedDirectories: Set<String> = ["messages", "samples", ".build", ".git"]

    /// The journey files under `directory`, sorted.
    public static func journeyFiles(in directory: String) -> [String] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            var isDirectory: ObjCBool = false
            let full = join(directory, relative)
            _ = manager.fileExists(atPath: full, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                if skippedDirectories.contains(name) || name.hasPrefix(".") { enumerator.skipDescendants() }
                continue
            }
            if name.hasSuffix(".journey") { files.append(full) }
        }
        return files.sorted()
    }

    static func join(_ directory: String, _ relative: String) -> String {
        if directory.isEmpty || directory == "." { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    public static func load(_ directory: String) -> Contents {
        var contents = Contents(sources: [:], messages: [:], diagnostics: [])
        for path in journeyFiles(in: directory) {
            switch readText(path) {
            case .success(let text): contents.sources[path] = text
            case .failure(let diagnostic): contents.diagnostics.append(diagnostic)
            }
        }
        contents.messages = loadMessages(in: join(directory, "messages"))
        return contents
    }

    /// Message templates in `messagesDirectory/<name>/*.mustache`.
    static func loadMessages(in messagesDirectory: String) -> [String: MessageSource] {
        let manager = FileManager.default
        var messages: [String: MessageSource] = [:]
        guard let names = try? manager.contentsOfDirectory(atPath: messagesDirectory) else { return [:] }
        for name in names.sorted() where !name.hasPrefix(".") {
            let directory = join(messagesDirectory, name)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            var files: [String: String] = [:]
            for file in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".mustache") {
                let data = manager.contents(atPath: join(directory, file)) ?? Data()
                files[file] = String(decoding: data, as: UTF8.self)
            }
            messages[name] = MessageSource(name: name, directory: "messages/\(name)", files: files, displayDirectory: directory)
        }
        return messages
    }

    /// Reads a file as UTF-8 text, with a diagnostic for unreadable, binary or non-UTF-8 files.
    public static func readText(_ path: String) -> Result<String, Diagnostic> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.error(.unreadableFile, at: SourceLocation(file: path, line: 1, column: 1), "cannot read file"))
        }
        return decode(data, path: path)
    }

    /// Decodes file bytes, rejecting binary data and invalid UTF-8 with the position of the first bad byte.
    static func decode(_ data: Data, path: String) -> Result<String, Diagnostic> {
        let bytes = [UInt8](data)
        var line = 1
        var column = 1
        var index = 0
        // A UTF-8 byte-order mark is allowed and dropped.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 {
                return .failure(
                    .error(
                        .invalidEncoding, at: SourceLocation(file: path, line: line, column: column),
                        "this is a binary file, not journey text (a NUL byte at line \(line), column \(column))"))
            }
            var width = 1
            if byte >= 0x80 {
                width = byte >= 0xF0 && byte <= 0xF4 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC2 && byte <= 0xDF ? 2 : 0
                var valid = width > 0 && index + width <= bytes.count
                if valid { for k in 1..<width where bytes[index + k] & 0xC0 != 0x80 { valid = false } }
                if valid, String(validating: bytes[index..<(index + width)], as: UTF8.self) == nil { valid = false }
                if !valid {
                    let hex = String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
                    return .failure(
                        .error(
                            .invalidEncoding, at: SourceLocation(file: path, line: line, column: column),
                            "the file is not valid UTF-8 (byte 0x\(hex) at line \(line), column \(column)); save it as UTF-8"))
                }
            }
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += width
        }
        return .success(String(decoding: bytes[start...], as: UTF8.self))
    }
}
