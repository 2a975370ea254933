import Foundation
import JourneyLanguage

/// The files the server knows: the workspace root, the documents the editor has open (whose
/// text wins over the disk's), and one compiled snapshot per journeys directory.
///
/// A journeys directory (a *unit*, checked together as `herald check DIRECTORY` does) is the
/// outermost directory, inside the workspace, of an unbroken chain of directories holding
/// `.journey` files: for `Journeys/sub/a.journey` it is `Journeys/` when `Journeys/` has journey
/// files of its own.
struct Workspace {
    struct OpenDocument {
        var uri: String
        var version: Int
        var document: TextDocument
    }

    /// A message's templates: file name → text.
    struct Message {
        var name: String
        var directory: String
        var files: [String: String]

        var channels: [Channel] {
            var channels: [Channel] = []
            if files["subject.mustache"] != nil, files["body.html.mustache"] != nil || files["body.txt.mustache"] != nil { channels.append(.email) }
            if files["sms.mustache"] != nil { channels.append(.sms) }
            if files["webhook.json.mustache"] != nil { channels.append(.webhook) }
            return channels
        }

        /// The template files a send on `channel` uses (all of them when the channel is unknown).
        func templates(for channel: String) -> [String] {
            let names: [String] =
                switch channel {
                case "email": ["subject.mustache", "body.html.mustache", "body.txt.mustache"]
                case "sms": ["sms.mustache"]
                case "webhook": ["webhook.json.mustache"]
                default: files.keys.sorted()
                }
            let present = names.filter { files[$0] != nil }
            return (present.isEmpty ? files.keys.sorted() : present).map { directory + "/" + $0 }
        }
    }

    /// One journeys directory, compiled with the open documents' text.
    struct Unit {
        var directory: String
        var result: CompilationResult
        var indices: [String: JourneySourceIndex]
        var messages: [String: Message]

        var allReferences: [JourneySourceIndex.Reference] { indices.keys.sorted().flatMap { indices[$0]!.references } }

        func declarations(of kind: JourneySourceIndex.Reference.Kind, named name: String) -> [JourneySourceIndex.Reference] {
            allReferences.filter { $0.isDeclaration && $0.kind == kind && $0.name == name }
        }
    }

    /// The standardized paths of the workspace folders; empty when the editor named none (then
    /// any file is accepted).
    var roots: [String] = []
    var rootsDescription: String { roots.isEmpty ? "(none: every file is accepted)" : roots.joined(separator: ", ") }
    var documents: [String: OpenDocument] = [:]
    var units: [String: Unit] = [:]
    /// Diagnostics last published, by path.
    var published: [String: [Diagnostic]] = [:]
    private var indexCache: [String: (text: String, index: JourneySourceIndex)] = [:]

    // MARK: Paths

    static func standardized(_ path: String) -> String { (path as NSString).standardizingPath }

    static func directory(of path: String) -> String { (path as NSString).deletingLastPathComponent }

    /// The path of a `file:` URI.
    static func path(fromURI uri: String) throws(ResponseError) -> String {
        guard let url = URL(string: uri), url.scheme == "file", !url.path.isEmpty else {
            throw .invalidParams("`\(uri.prefix(200))` is not a file: URI; the journey language server works on files on disk")
        }
        return standardized(url.path)
    }

    /// The URI the editor uses for `path` (its own spelling for open documents).
    func uri(for path: String) -> String {
        documents[path]?.uri ?? URL(fileURLWithPath: path).absoluteString
    }

    func isInWorkspace(_ path: String) -> Bool {
        guard !roots.isEmpty else { return true }
        return roots.contains { root in path == root || path.hasPrefix(root == "/" ? "/" : root + "/") }
    }

    /// The path of `uri` when it is a journey file in the workspace, or the protocol error saying why not.
    func journeyPath(_ uri: String) throws(ResponseError) -> String {
        let path = try Self.path(fromURI: uri)
        guard isInWorkspace(path) else {
            throw .invalidParams("\(path) is outside the workspace (\(rootsDescription)); open its folder as the workspace to work on it")
        }
        guard path.hasSuffix(".journey") else {
            throw .invalidParams("\(path) is not a journey file: the server answers requests for `.journey` files only")
        }
        return path
    }

    /// The journeys directory `path` belongs to.
    func unitDirectory(for path: String) -> String {
        var directory = Self.directory(of: path)
        // A message template belongs to the directory holding `messages/`.
        let components = (path as NSString).pathComponents
        if path.hasSuffix(".mustache"), components.count >= 4, components[components.count - 3] == "messages" {
            return Self.directory(of: Self.directory(of: directory))
        }
        guard !roots.isEmpty else { return directory }
        while true {
            let parent = Self.directory(of: directory)
            let name = (directory as NSString).lastPathComponent
            guard parent != directory, isInWorkspace(parent), !["messages", "samples"].contains(name), !name.hasPrefix("."),
                Self.holdsJourneyFiles(parent)
            else { break }
            directory = parent
        }
        return directory
    }

    static func holdsJourneyFiles(_ directory: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).contains { $0.hasSuffix(".journey") }
    }

    // MARK: Text

    /// The current text of a file: the editor's when open, else the compiled snapshot's, else the disk's.
    func document(for path: String) -> TextDocument? {
        if let open = documents[path] { return open.document }
        for unit in units.values {
            if let text = unit.result.sources[path] { return TextDocument(text) }
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return TextDocument(String(decoding: data, as: UTF8.self))
    }

    func unit(for path: String) -> Unit? { units[unitDirectory(for: path)] }

    // MARK: Compiling

    /// Compiles the journeys directory `directory` with the open documents' text and returns the
    /// diagnostics to publish: path → diagnostics, for every file that has some now or had some before.
    mutating func recompile(directory: String) -> [String: [Diagnostic]] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var overlays: [String: String] = [:]
        for (openPath, open) in documents where openPath.hasPrefix(prefix) { overlays[openPath] = open.document.text }
        let result = JourneyCompiler.compile(directory: directory, overlays: overlays, versions: false)

        var indices: [String: JourneySourceIndex] = [:]
        for (file, text) in result.sources {
            if let cached = indexCache[file], cached.text == text {
                indices[file] = cached.index
            } else {
                let index = JourneySourceIndex(file: file, text: text)
                indexCache[file] = (text, index)
                indices[file] = index
            }
        }
        let unit = Unit(directory: directory, result: result, indices: indices, messages: loadMessages(in: directory))
        let previous = units[directory]
        units[directory] = unit

        var byFile: [String: [Diagnostic]] = [:]
        let fallbackFile = result.sources.keys.sorted().first ?? directory
        for diagnostic in result.diagnostics {
            byFile[diagnostic.location?.file ?? fallbackFile, default: []].append(diagnostic)
        }
        var files = Set(byFile.keys)
        // Files that had diagnostics from this unit before get an empty list, which clears them.
        for (file, diagnostics) in published where !diagnostics.isEmpty && (file.hasPrefix(prefix) || previous?.result.sources[file] != nil) {
            files.insert(file)
        }
        for file in documents.keys where file.hasPrefix(prefix) { files.insert(file) }
        var publish: [String: [Diagnostic]] = [:]
        for file in files {
            let diagnostics = byFile[file] ?? []
            publish[file] = diagnostics
            published[file] = diagnostics
        }
        return publish
    }

    /// The messages in `directory/messages/`, with open templates' text.
    func loadMessages(in directory: String) -> [String: Message] {
        let manager = FileManager.default
        let messagesDirectory = directory + "/messages"
        var messages: [String: Message] = [:]
        for name in ((try? manager.contentsOfDirectory(atPath: messagesDirectory)) ?? []).sorted() where !name.hasPrefix(".") {
            let messageDirectory = messagesDirectory + "/" + name
            var files: [String: String] = [:]
            for file in (try? manager.contentsOfDirectory(atPath: messageDirectory)) ?? [] where file.hasSuffix(".mustache") {
                let path = messageDirectory + "/" + file
                files[file] = documents[path]?.document.text ?? String(decoding: manager.contents(atPath: path) ?? Data(), as: UTF8.self)
            }
            guard !files.isEmpty else { continue }
            messages[name] = Message(name: name, directory: messageDirectory, files: files)
        }
        return messages
    }
}
