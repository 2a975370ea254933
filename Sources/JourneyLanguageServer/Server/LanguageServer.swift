public import Foundation
import JourneyLanguage

/// The journey language server: JSON-RPC requests and notifications in, responses and
/// notifications out, one message at a time. Input is a frame from ``MessageFramer``; output is
/// the list of messages to write, in order. No I/O besides reading the workspace's files: the
/// caller (``run(input:output:log:)``) owns stdin and stdout.
///
/// ```swift
/// var server = LanguageServer()
/// for message in server.handle(body: Data(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#.utf8)) {
///     FileHandle.standardOutput.write(MessageFramer.frame(message.encoded()))
/// }
/// ```
public struct LanguageServer {
    enum Lifecycle { case starting, running, shuttingDown }

    var lifecycle = Lifecycle.starting
    var workspace = Workspace()
    /// Notifications produced while handling the current message (diagnostics, log messages).
    var outbox: [JSONValue] = []
    /// Journeys directories edited since their diagnostics were last published.
    var stale: Set<String> = []
    let log: @Sendable (String) -> Void
    /// Set by the `exit` notification: 0 after `shutdown`, 1 without it.
    public private(set) var exitCode: Int32?

    /// - Parameter log: where diagnostics about the server itself go (stderr in `herald lsp`).
    public init(log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.log = log
    }

    /// Handles one frame of input.
    ///
    /// - Parameter deferDiagnostics: when more input is already waiting, leave the diagnostics of
    ///   edited files for later (``flushDiagnostics()`` or the next message), so a burst of edits
    ///   is checked once. Requests always see every edit before them.
    public mutating func handle(_ frame: MessageFramer.Frame, deferDiagnostics: Bool = false) -> [JSONValue] {
        switch frame {
        case .message(let body): return handle(body: body, deferDiagnostics: deferDiagnostics)
        case .malformed(let problem):
            log("malformed frame: \(problem)")
            let error = Self.errorResponse(id: .null, ResponseError(ResponseError.parseErrorCode, "malformed message header: \(problem)"))
            return deferDiagnostics ? [error] : flushDiagnostics() + [error]
        }
    }

    /// Handles one message body (JSON text).
    public mutating func handle(body: Data, deferDiagnostics: Bool = false) -> [JSONValue] {
        outbox = []
        let message: JSONValue
        do {
            message = try JSONValue.parse(body)
        } catch {
            log("malformed JSON: \(body.count) bytes")
            return [
                Self.errorResponse(
                    id: .null,
                    ResponseError(
                        ResponseError.parseErrorCode, "the message is not valid JSON (\(body.count) bytes); send one JSON-RPC object per frame"))
            ]
        }
        guard case .object(let members) = message else {
            return [
                Self.errorResponse(
                    id: .null, ResponseError(ResponseError.invalidRequestCode, "a JSON-RPC message must be an object, not \(Self.kind(of: message))"))
            ]
        }
        let id = members["id"]
        if let id {
            switch id {
            case .int, .string, .null: break
            default:
                return [Self.errorResponse(id: .null, ResponseError(ResponseError.invalidRequestCode, "the request id must be a number or a string"))]
            }
        }
        guard let method = members["method"]?.string else {
            // A response to a request of ours (the server sends none): nothing to do.
            if id != nil, members["result"] != nil || members["error"] != nil { return [] }
            return [Self.errorResponse(id: id ?? .null, ResponseError(ResponseError.invalidRequestCode, "the message has no `method` string"))]
        }
        let params = members["params"] ?? .null
        if let id, id != .null {
            publishStale()
            let response: JSONValue
            do {
                response = Self.response(id: id, result: try request(method, params: params))
            } catch {
                log("\(method) failed: \(error.message)")
                response = Self.errorResponse(id: id, error)
            }
            return outbox + [response]
        }
        notification(method, params: params)
        if !deferDiagnostics { publishStale() }
        return outbox
    }

    /// The diagnostics of files edited since they were last published.
    public mutating func flushDiagnostics() -> [JSONValue] {
        outbox = []
        publishStale()
        return outbox
    }

    mutating func publishStale() {
        for directory in stale.sorted() { publish(workspace.recompile(directory: directory)) }
        stale = []
    }

    mutating func markStale(_ path: String) { stale.insert(workspace.unitDirectory(for: path)) }

    // MARK: Requests

    static let methods = [
        "initialize", "shutdown", "textDocument/completion", "textDocument/hover", "textDocument/definition", "textDocument/documentSymbol",
        "textDocument/formatting", "textDocument/rename", "textDocument/prepareRename", "textDocument/codeAction",
    ]

    mutating func request(_ method: String, params: JSONValue) throws(ResponseError) -> JSONValue {
        switch (lifecycle, method) {
        case (.starting, "initialize"): return try initialize(params)
        case (.starting, _):
            throw ResponseError(ResponseError.serverNotInitializedCode, "the server is not initialized: send `initialize` first")
        case (.running, "initialize"):
            throw ResponseError(ResponseError.invalidRequestCode, "the server is already initialized; `initialize` may be sent once")
        case (.shuttingDown, _):
            throw ResponseError(ResponseError.invalidRequestCode, "the server is shutting down (after `shutdown`); only `exit` is accepted")
        case (.running, "shutdown"):
            lifecycle = .shuttingDown
            return .null
        case (.running, "textDocument/completion"): return try completion(params)
        case (.running, "textDocument/hover"): return try hover(params)
        case (.running, "textDocument/definition"): return try definition(params)
        case (.running, "textDocument/documentSymbol"): return try documentSymbols(params)
        case (.running, "textDocument/formatting"): return try formatting(params)
        case (.running, "textDocument/prepareRename"): return try prepareRename(params)
        case (.running, "textDocument/rename"): return try rename(params)
        case (.running, "textDocument/codeAction"): return try codeActions(params)
        case (.running, _):
            throw ResponseError(
                ResponseError.methodNotFoundCode, "unknown method `\(method)`; this server implements \(Self.methods.joined(separator: ", "))")
        }
    }

    mutating func initialize(_ params: JSONValue) throws(ResponseError) -> JSONValue {
        // Every workspace folder counts; older clients send only rootUri (or rootPath).
        var rootURIs = (params["workspaceFolders"].array ?? []).compactMap { $0["uri"].string }
        if rootURIs.isEmpty, let rootURI = params["rootUri"].string { rootURIs = [rootURI] }
        for uri in rootURIs { workspace.roots.append(try Workspace.path(fromURI: uri)) }
        if rootURIs.isEmpty, let rootPath = params["rootPath"].string { workspace.roots = [Workspace.standardized(rootPath)] }
        lifecycle = .running
        log("initialized; workspace \(workspace.rootsDescription)")
        return [
            "capabilities": [
                "positionEncoding": "utf-16",
                "textDocumentSync": ["openClose": true, "change": 2, "save": ["includeText": false]],
                "completionProvider": ["triggerCharacters": [".", "\"", " "]],
                "hoverProvider": true,
                "definitionProvider": true,
                "documentSymbolProvider": true,
                "documentFormattingProvider": true,
                "renameProvider": ["prepareProvider": true],
                "codeActionProvider": ["codeActionKinds": ["quickfix"]],
            ],
            "serverInfo": ["name": "herald"],
        ]
    }

    // MARK: Notifications

    mutating func notification(_ method: String, params: JSONValue) {
        if method == "exit" {
            exitCode = lifecycle == .shuttingDown ? 0 : 1
            return
        }
        guard lifecycle == .running else {
            log("ignored `\(method)`: the server is \(lifecycle == .starting ? "not initialized" : "shutting down")")
            return
        }
        do {
            switch method {
            case "initialized", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration": break
            case "textDocument/didOpen": try didOpen(params)
            case "textDocument/didChange": try didChange(params)
            case "textDocument/didClose": try didClose(params)
            case "textDocument/didSave": try didSave(params)
            case "workspace/didChangeWatchedFiles":
                stale.formUnion(workspace.units.keys)
            default: log("ignored unknown notification `\(method)`")
            }
        } catch {
            // Notifications have no answer: tell the user through the editor's log.
            log("\(method): \(error.message)")
            outbox.append(Self.notification("window/logMessage", ["type": 2, "message": .string("herald: \(method): \(error.message)")]))
        }
    }

    /// The path of a document the editor opened, changed or closed, when the server tracks it:
    /// journey files and message templates in the workspace.
    func trackedPath(_ params: JSONValue) throws(ResponseError) -> String {
        guard let uri = params["textDocument"]["uri"].string else { throw .invalidParams("textDocument.uri: expected a string") }
        let path = try Workspace.path(fromURI: uri)
        guard workspace.isInWorkspace(path) else {
            throw .invalidParams("\(path) is outside the workspace (\(workspace.rootsDescription)); its diagnostics are not computed")
        }
        guard path.hasSuffix(".journey") || path.hasSuffix(".mustache") else {
            throw .invalidParams("\(path) is not a journey file or a message template; the server ignores it")
        }
        return path
    }

    mutating func didOpen(_ params: JSONValue) throws(ResponseError) {
        let path = try trackedPath(params)
        guard let uri = params["textDocument"]["uri"].string, let text = params["textDocument"]["text"].string else {
            throw .invalidParams("textDocument.text: expected a string")
        }
        workspace.documents[path] = Workspace.OpenDocument(
            uri: uri, version: params["textDocument"]["version"].int ?? 0, document: TextDocument(text))
        markStale(path)
    }

    mutating func didChange(_ params: JSONValue) throws(ResponseError) {
        let path = try trackedPath(params)
        guard var open = workspace.documents[path] else { throw .invalidParams("\(path) changed but was never opened (send didOpen first)") }
        guard let changes = params["contentChanges"].array else { throw .invalidParams("contentChanges: expected an array") }
        for (number, change) in changes.enumerated() {
            guard let text = change["text"].string else { throw .invalidParams("contentChanges[\(number)].text: expected a string") }
            if change["range"].isNull {
                open.document.apply(range: nil, text: text)
            } else {
                guard let range = Range(change["range"]) else {
                    throw .invalidParams("contentChanges[\(number)].range: expected {start, end} positions with end not before start")
                }
                open.document.apply(range: range, text: text)
            }
        }
        open.version = params["textDocument"]["version"].int ?? open.version
        workspace.documents[path] = open
        markStale(path)
    }

    mutating func didClose(_ params: JSONValue) throws(ResponseError) {
        let path = try trackedPath(params)
        workspace.documents[path] = nil
        markStale(path)
    }

    mutating func didSave(_ params: JSONValue) throws(ResponseError) {
        markStale(try trackedPath(params))
    }

    // MARK: Requests on journey files

    /// The journey file a request is about, its text and its compiled unit.
    mutating func target(_ params: JSONValue) throws(ResponseError) -> (path: String, document: TextDocument, unit: Workspace.Unit) {
        guard let uri = params["textDocument"]["uri"].string else { throw .invalidParams("textDocument.uri: expected a string") }
        let path = try workspace.journeyPath(uri)
        guard let document = workspace.document(for: path) else {
            throw .invalidParams("\(path) is neither open nor readable on disk")
        }
        if workspace.unit(for: path)?.result.sources[path] == nil { publish(workspace.recompile(directory: workspace.unitDirectory(for: path))) }
        guard let unit = workspace.unit(for: path) else { throw .requestFailed("\(path) could not be compiled") }
        return (path, document, unit)
    }

    func position(_ params: JSONValue) throws(ResponseError) -> Position {
        guard let position = Position(params["position"]) else {
            throw .invalidParams("position: expected {line, character} with non-negative whole numbers")
        }
        return position
    }

    // MARK: Messages

    static func response(id: JSONValue, result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    static func errorResponse(id: JSONValue, _ error: ResponseError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": error.json]
    }

    static func notification(_ method: String, _ params: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array (batches are not supported)"
        case .object: "an object"
        }
    }
}
