import Foundation
import JourneyLanguageServer
import Testing

/// Whatever arrives, the server answers every request (a result or an error) and keeps going.
struct LanguageServerRobustnessTests {
    static let methods = [
        "textDocument/completion", "textDocument/hover", "textDocument/definition", "textDocument/documentSymbol", "textDocument/formatting",
        "textDocument/prepareRename", "textDocument/rename", "textDocument/codeAction", "textDocument/didOpen", "textDocument/didChange",
        "textDocument/didClose", "textDocument/didSave", "workspace/didChangeWatchedFiles", "$/cancelRequest", "textDocument/unknown",
    ]

    static func values(_ fixture: WorkspaceFixture) -> (uris: [JSONValue], positions: [JSONValue], odd: [JSONValue]) {
        let uris: [JSONValue] = [
            .string(fixture.uri("Journeys/cart.journey")), .string(fixture.uri("Journeys/missing.journey")), .string(fixture.uri("Journeys")),
            .string(fixture.uri("Journeys/messages/cart_nudge/sms.mustache")), "file://", "file:///", "http://example.com/a.journey", "", 42, .null,
        ]
        let positions: [JSONValue] = [
            ["line": 0, "character": 0], ["line": 7, "character": 33], ["line": 7, "character": 31], ["line": -1, "character": 3],
            ["line": .int(Int.max), "character": .int(Int.max)], ["line": .double(1.5), "character": 2], ["line": "1"], "here", .null,
        ]
        let odd: [JSONValue] = [.null, 0, "x", [], [:], [[:]], ["text": 3], .double(1e300), .bool(true)]
        return (uris, positions, odd)
    }

    @Test func everyMethodWithOddParametersGetsAnAnswerAndTheServerLives() throws {
        let fixture = try WorkspaceFixture()
        defer { fixture.remove() }
        var server = LanguageServer()
        _ = server.handle(body: Data(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"rootUri":"\#(fixture.root.absoluteString)"}}"#.utf8))
        let (uris, positions, odd) = Self.values(fixture)
        var id = 1
        var generator = SystemRandomNumberGenerator()
        for method in Self.methods {
            for uri in uris {
                for position in positions {
                    let change: JSONValue = odd.randomElement(using: &generator)!
                    let params: JSONValue = [
                        "textDocument": ["uri": uri, "version": 2, "text": "journey x\n  send 😀 é\n"],
                        "position": position,
                        "range": ["start": position, "end": ["line": 0, "character": 0]],
                        "contentChanges": [["range": ["start": position, "end": position], "text": "😀\n"], change],
                        "newName": odd.randomElement(using: &generator)!,
                        "context": ["diagnostics": odd.randomElement(using: &generator)!],
                    ]
                    id += 1
                    let request: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
                    let replies = server.handle(body: request.encoded())
                    #expect(replies.contains { $0["id"] == .int(id) }, "\(method) got no answer")
                    for reply in replies { _ = reply.encoded() }
                    // The same as a notification (didOpen, didChange, … are notifications).
                    let notification: JSONValue = ["jsonrpc": "2.0", "method": .string(method), "params": params]
                    for reply in server.handle(body: notification.encoded()) { _ = reply.encoded() }
                }
            }
            for params in odd {
                id += 1
                let request: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
                #expect(server.handle(body: request.encoded()).contains { $0["id"] == .int(id) })
                _ = server.handle(body: (["jsonrpc": "2.0", "method": .string(method), "params": params] as JSONValue).encoded())
            }
        }
        // Still serving.
        let last = server.handle(body: Data(#"{"jsonrpc":"2.0","id":"end","method":"shutdown"}"#.utf8))
        #expect(last.last?["result"] == .null && last.last?["id"] == "end")
    }

    @Test func randomBytesAreAnsweredWithErrorsAndTheNextRequestStillWorks() async throws {
        let fixture = try WorkspaceFixture()
        defer { fixture.remove() }
        let (server, _) = try await LanguageServerProcess.start(root: fixture.root)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let length = Int.random(in: 1...2000, using: &generator)
            let body = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            server.sendRaw(MessageFramer.frame(body))
        }
        // Unframed garbage with a header end in it, then a valid request.
        server.sendRaw(Data("\u{0}\u{1}garbage: yes\r\n\r\n".utf8))
        let symbols = try await server.request(
            "textDocument/documentSymbol", ["textDocument": ["uri": .string(fixture.uri("Journeys/cart.journey"))]])
        #expect(symbols["result"][0]["name"] == "cart")
        #expect(try await server.stop() == 0)
        #expect(server.stdoutProblems.isEmpty)
    }
}
