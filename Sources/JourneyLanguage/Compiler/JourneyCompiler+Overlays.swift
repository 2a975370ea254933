extension JourneyCompiler {
    /// Compiles `directory` as ``compile(directory:)`` does, with the text of some of its files
    /// replaced: an editor's unsaved buffers. Keys are paths as the directory's files are named
    /// (`directory/relative/path`): journey files (also ones not yet on disk) and message templates
    /// (`directory/messages/<name>/<file>.mustache`). Other paths are ignored. With `versions`
    /// false the journeys get no version (an empty string): the content hash is most of the cost
    /// of compiling, and an editor checking as the user types does not need it.
    ///
    /// ```swift
    /// let result = JourneyCompiler.compile(directory: "/repo/Journeys",
    ///                                      overlays: ["/repo/Journeys/cart.journey": editedText])
    /// ```
    public static func compile(directory: String, overlays: [String: String], versions: Bool = true) -> CompilationResult {
        var loaded = JourneyDirectory.load(directory)
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        for (path, text) in overlays where path.hasPrefix(prefix) {
            let components = path.dropFirst(prefix.count).split(separator: "/").map(String.init)
            if path.hasSuffix(".journey"),
                !components.dropLast().contains(where: { JourneyDirectory.skippedDirectories.contains($0) || $0.hasPrefix(".") })
            {
                loaded.sources[path] = text
                loaded.diagnostics.removeAll { $0.location?.file == path }
            } else if components.count == 3, components[0] == "messages", components[2].hasSuffix(".mustache"),
                var message = loaded.messages[components[1]]
            {
                message.files[components[2]] = text
                loaded.messages[components[1]] = message
            }
        }
        var result = compile(files: loaded.sources, messages: loaded.messages, versions: versions)
        result.diagnostics = DiagnosticsFormatter.sorted(loaded.diagnostics + result.diagnostics)
        if result.hasErrors { result.catalog = nil }
        return result
    }
}
