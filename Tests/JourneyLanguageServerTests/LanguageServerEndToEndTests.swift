import Foundation
import JourneyLanguage
import JourneyLanguageServer
import Testing

/// The real `herald lsp` over pipes, as an editor runs it: every capability, and the bad inputs.
struct LanguageServerEndToEndTests {
    /// Starts a server on a fresh fixture workspace, runs `body`, then checks that it shuts down
    /// cleanly and wrote nothing but protocol messages on stdout.
    func withServer(_ body: (LanguageServerProcess, WorkspaceFixture) async throws -> Void) async throws {
        let fixture = try WorkspaceFixture()
        defer { fixture.remove() }
        let (server, _) = try await LanguageServerProcess.start(root: fixture.root)
        try await body(server, fixture)
        #expect(try await server.stop() == 0)
        #expect(server.stdoutProblems.isEmpty)
    }

    @Test func initializeAdvertisesTheImplementedCapabilitiesOnly() async throws {
        let fixture = try WorkspaceFixture()
        defer { fixture.remove() }
        let (server, response) = try await LanguageServerProcess.start(root: fixture.root)
        let capabilities = try #require(response["result"]["capabilities"].object)
        #expect(
            Set(capabilities.keys) == [
                "positionEncoding", "textDocumentSync", "completionProvider", "hoverProvider", "definitionProvider", "documentSymbolProvider",
                "documentFormattingProvider", "renameProvider", "codeActionProvider",
            ])
        #expect(capabilities["positionEncoding"] == "utf-16")
        #expect(capabilities["textDocumentSync"]?["change"] == 2)
        #expect(capabilities["codeActionProvider"]?["codeActionKinds"] == ["quickfix"])
        #expect(try await server.stop() == 0)
        #expect(server.stdoutProblems.isEmpty)
    }

    @Test func diagnosticsOnOpenAndOnEveryChangeCountUTF16CodeUnits() async throws {
        try await withServer { server, fixture in
            let uri = fixture.uri("Journeys/cart.journey")
            #expect(try await server.open(fixture.url("Journeys/cart.journey")) == [])

            // An unknown attribute after an emoji (one scalar, two UTF-16 code units) on the same line.
            let broken = WorkspaceFixture.cart.replacingOccurrences(of: "lifetime_value > 100", with: "lifetime_valu > 100")
            var mark = server.messageCount
            server.notify(
                "textDocument/didChange",
                ["textDocument": ["uri": .string(uri), "version": 2], "contentChanges": [["text": .string(broken)]]])
            let diagnostics = try await server.diagnostics(for: uri, after: mark)
            let diagnostic = try #require(diagnostics.first)
            #expect(diagnostics.count == 1)
            #expect(diagnostic["code"] == "E020-unknown-attribute")
            #expect(diagnostic["severity"] == 1)
            #expect(diagnostic["source"] == "herald")
            #expect(diagnostic["message"].string?.contains("did you mean `lifetime_value`?") == true)
            #expect(diagnostic["range"] == range(of: "lifetime_valu", in: broken))
            // The checker counts scalars: the UTF-16 column is one more, because of the emoji.
            let line = try #require(broken.split(separator: "\n").first { $0.contains("lifetime_valu ") })
            #expect(
                diagnostic["range"]["start"]["character"].int == line.unicodeScalars.distance(
                    from: line.startIndex, to: line.range(of: "lifetime_valu")!.lowerBound) + 1)

            // An incremental change at a UTF-16 position after the emoji fixes it.
            mark = server.messageCount
            let at = position(of: "lifetime_valu", in: broken, offset: 13)
            server.notify(
                "textDocument/didChange",
                ["textDocument": ["uri": .string(uri), "version": 3], "contentChanges": [["range": ["start": at, "end": at], "text": "e"]]])
            #expect(try await server.diagnostics(for: uri, after: mark) == [])
        }
    }

    @Test func diagnosticsCoverTheWholeWorkspaceIncludingTemplates() async throws {
        try await withServer { server, fixture in
            let cart = fixture.uri("Journeys/cart.journey")
            let welcome = fixture.uri("Journeys/welcome.journey")
            try await server.open(fixture.url("Journeys/cart.journey"))

            // Renaming the segment in its own file breaks both journeys that use it, open or not.
            var mark = server.messageCount
            let segments = WorkspaceFixture.files["Journeys/segments.journey"]!.replacingOccurrences(of: "big_spenders", with: "big_spender")
            let segmentDiagnostics = try await server.open(fixture.url("Journeys/segments.journey"), text: segments)
            #expect(segmentDiagnostics == [])
            let cartDiagnostics = try await server.diagnostics(for: cart, after: mark)
            #expect(cartDiagnostics.map { $0["code"] } == ["E022-unknown-segment"])
            #expect(cartDiagnostics.first?["range"] == range(of: "big_spenders", in: WorkspaceFixture.cart))
            #expect(try await server.diagnostics(for: welcome, after: mark).map { $0["code"] } == ["E022-unknown-segment"])

            // Closing the edited file goes back to the disk's text: the journeys are clean again.
            mark = server.messageCount
            server.notify("textDocument/didClose", ["textDocument": ["uri": .string(fixture.uri("Journeys/segments.journey"))]])
            #expect(try await server.diagnostics(for: cart, after: mark) == [])
            #expect(try await server.diagnostics(for: welcome, after: mark) == [])

            // A template using an attribute the schema does not declare: W103 on the template.
            let template = fixture.url("Journeys/messages/cart_reminder/body.txt.mustache")
            let templateDiagnostics = try await server.open(template, text: "Hi {{customer.nickname}} 😀\n")
            #expect(templateDiagnostics.map { $0["code"] } == ["W103-template-unknown-variable"])
            #expect(templateDiagnostics.first?["severity"] == 2)
        }
    }

    @Test func filesChangedOnDiskAreCheckedAgainWhenTheEditorSaysSo() async throws {
        try await withServer { server, fixture in
            let cart = fixture.uri("Journeys/cart.journey")
            try await server.open(fixture.url("Journeys/cart.journey"))
            let segments = WorkspaceFixture.files["Journeys/segments.journey"]!.replacingOccurrences(of: "big_spenders", with: "big_spender")
            try segments.write(to: fixture.url("Journeys/segments.journey"), atomically: true, encoding: .utf8)
            let mark = server.messageCount
            server.notify("workspace/didChangeWatchedFiles", ["changes": [["uri": .string(fixture.uri("Journeys/segments.journey")), "type": 2]]])
            #expect(try await server.diagnostics(for: cart, after: mark).map { $0["code"] } == ["E022-unknown-segment"])
        }
    }

    @Test func fixItsAreOfferedAsQuickFixes() async throws {
        try await withServer { server, fixture in
            let uri = fixture.uri("Journeys/cart.journey")
            let broken = WorkspaceFixture.cart.replacingOccurrences(of: "lifetime_value > 100", with: "lifetime_valu > 100")
            let diagnostics = try await server.open(fixture.url("Journeys/cart.journey"), text: broken)
            let diagnostic = try #require(diagnostics.first)
            let response = try await server.request(
                "textDocument/codeAction",
                ["textDocument": ["uri": .string(uri)], "range": diagnostic["range"], "context": ["diagnostics": [diagnostic]]])
            let actions = try #require(response["result"].array)
            let action = try #require(actions.first)
            #expect(actions.count == 1)
            #expect(action["kind"] == "quickfix")
            #expect(action["title"] == "Replace `lifetime_valu` with `lifetime_value`")
            #expect(action["diagnostics"][0]["code"] == "E020-unknown-attribute")
            let edits = try #require(action["edit"]["changes"][uri].array)
            #expect(edits == [["range": range(of: "lifetime_valu", in: broken), "newText": "lifetime_value"]])

            // Applying the edit clears the diagnostic.
            let mark = server.messageCount
            server.notify(
                "textDocument/didChange",
                [
                    "textDocument": ["uri": .string(uri), "version": 2],
                    "contentChanges": [["range": edits[0]["range"], "text": edits[0]["newText"]]],
                ])
            #expect(try await server.diagnostics(for: uri, after: mark) == [])

            // Elsewhere in the file there is nothing to fix.
            let none = try await server.request(
                "textDocument/codeAction",
                [
                    "textDocument": ["uri": .string(uri)], "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 3]],
                    "context": ["diagnostics": []],
                ])
            #expect(none["result"] == [])
        }
    }

    /// (text inserted before the cursor at the end of line `after`, labels expected, labels not expected)
    static let completionCases: [(String, String, [String], [String])] = [
        ("  wait 1 hour", "  send email ", ["cart_reminder", "welcome"], ["cart_nudge"]),
        ("  wait 1 hour", "  send sms ", ["cart_nudge"], ["welcome"]),
        ("  wait 1 hour", "  send ", ["email", "sms", "webhook"], []),
        ("  wait 1 hour", "  if customer.", ["first_name", "lifetime_value", "vip", "email"], ["items"]),
        ("  wait 1 hour", "  if customer in segment ", ["big_spenders"], []),
        ("  wait 1 hour", "  wait for event \"", ["cart.updated", "order.completed", "signed_up"], []),
        ("  wait 1 hour", "  stage ", ["awareness", "purchase", "advocacy"], []),
        ("  wait 1 hour", "  ", ["wait", "send", "if", "split", "trigger", "goal"], ["journey"]),
        ("  wait 1 hour", "  time zone \"Europe/", ["Europe/Paris", "America/New_York"], []),
        ("  wait 1 hour", "  send email welcome ", ["transactional", "fallback", "when capped", "at best time within"], []),
        ("  wait 1 hour", "  send email welcome at best ", ["time within"], ["transactional"]),
        ("  wait 1 hour", "  send email welcome at best time within ", ["24 hours"], []),
        ("  wait 1 hour", "  if coun", ["count(event", "customer.", "lower"], []),
        ("  wait 1 hour", "  send email cart_reminder  # send ", [], ["email", "sms", "transactional"]),
        ("  wait 1 hour", "  exit \"a \\\" # \" and customer.", ["first_name"], []),
        ("  trigger on event \"cart.updated\" where event.items > 0", " and event.", ["items", "total", "name"], ["source"]),
    ]

    @Test(arguments: completionCases)
    func completionOffersWhatIsValidAtTheCursor(after: String, typed: String, expected: [String], unexpected: [String]) async throws {
        try await withServer { server, fixture in
            let uri = fixture.uri("Journeys/cart.journey")
            let lines = WorkspaceFixture.cart.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let index = try #require(lines.firstIndex(of: after))
            var edited = lines
            if typed.hasPrefix(" and") {
                edited[index] += typed
            } else {
                edited.insert(typed, at: index + 1)
            }
            let text = edited.joined(separator: "\n")
            try await server.open(fixture.url("Journeys/cart.journey"), text: text)
            let line = typed.hasPrefix(" and") ? index : index + 1
            let response = try await server.request(
                "textDocument/completion",
                ["textDocument": ["uri": .string(uri)], "position": ["line": .int(line), "character": .int(edited[line].utf16.count)]])
            let labels = Set((response["result"]["items"].array ?? []).compactMap { $0["label"].string })
            for label in expected { #expect(labels.contains(label), "\(typed): \(label) missing from \(labels.sorted().prefix(30))") }
            for label in unexpected { #expect(!labels.contains(label), "\(typed): \(label) should not be offered") }
        }
    }

    @Test func completionReplacesThePartialWordAfterNonASCIIText() async throws {
        try await withServer { server, fixture in
            let uri = fixture.uri("Journeys/cart.journey")
            let text = WorkspaceFixture.cart.replacingOccurrences(of: "customer.lifetime_value > 100", with: "customer.life")
            try await server.open(fixture.url("Journeys/cart.journey"), text: text)
            let end = position(of: "customer.life", in: text, offset: 13)
            let response = try await server.request("textDocument/completion", ["textDocument": ["uri": .string(uri)], "position": end])
            let item = try #require(response["result"]["items"].array?.first { $0["label"] == "lifetime_value" })
            #expect(item["detail"] == "number")
            #expect(item["textEdit"]["range"] == ["start": position(of: "life", in: text, occurrence: 1), "end": end])
        }
    }

    @Test func hoverExplainsKeywordsTypesMessagesAndSegments() async throws {
        try await withServer { server, fixture in
            let uri = fixture.uri("Journeys/cart.journey")
            let text = WorkspaceFixture.cart
            try await server.open(fixture.url("Journeys/cart.journey"))
            func hover(_ needle: String, offset: Int = 1) async throws -> JSONValue {
                try await server.request(
                    "textDocument/hover", ["textDocument": ["uri": .string(uri)], "position": position(of: needle, in: text, offset: offset)])[
                        "result"]
            }
            #expect(try await hover("wait")["contents"]["value"].string?.contains("wait for event") == true)
            let attribute = try await hover("lifetime_value")
            #expect(attribute["contents"]["value"] == "`customer.lifetime_value`: `number` (declared in the schema)")
            #expect(attribute["range"] == range(of: "lifetime_value", in: text))
            #expect(try await hover("items")["contents"]["value"] == "`event.items`: `number` (a property of event \"cart.updated\")")
            let message = try #require(try await hover("cart_reminder")["contents"]["value"].string)
            #expect(message.contains("Your cart misses you") && message.contains("email"))
            let segment = try #require(try await hover("big_spenders")["contents"]["value"].string)
            #expect(segment.contains("Spent over 500") && segment.contains("where customer.lifetime_value > 500"))
            #expect(try await hover("cart.updated")["contents"]["value"].string?.contains("`event.total`: `number`") == true)
            // Blank space: nothing.
            let blank = try await server.request(
                "textDocument/hover", ["textDocument": ["uri": .string(uri)], "position": ["line": 4, "character": 0]])
            #expect(blank["result"] == .null)
        }
    }

    @Test func definitionJumpsToTemplatesSegmentsAndTheSchema() async throws {
        try await withServer { server, fixture in
            let uri = fixture.uri("Journeys/cart.journey")
            let text = WorkspaceFixture.cart
            try await server.open(fixture.url("Journeys/cart.journey"))
            func definition(_ needle: String, occurrence: Int = 1) async throws -> [JSONValue] {
                try await server.request(
                    "textDocument/definition",
                    ["textDocument": ["uri": .string(uri)], "position": position(of: needle, in: text, occurrence: occurrence, offset: 2)])["result"]
                    .array ?? []
            }
            #expect(
                Set(try await definition("cart_reminder").compactMap { $0["uri"].string }) == [
                    fixture.uri("Journeys/messages/cart_reminder/subject.mustache"), fixture.uri("Journeys/messages/cart_reminder/body.txt.mustache"),
                ])
            #expect(try await definition("cart_nudge").map { $0["uri"] } == [.string(fixture.uri("Journeys/messages/cart_nudge/sms.mustache"))])
            let segments = WorkspaceFixture.files["Journeys/segments.journey"]!
            #expect(
                try await definition("big_spenders") == [
                    ["uri": .string(fixture.uri("Journeys/segments.journey")), "range": range(of: "big_spenders", in: segments)]
                ])
            let schema = WorkspaceFixture.files["Journeys/schema.journey"]!
            let schemaURI = JSONValue.string(fixture.uri("Journeys/schema.journey"))
            #expect(try await definition("cart.updated") == [["uri": schemaURI, "range": range(of: "cart.updated", in: schema)]])
            #expect(try await definition("first_name") == [["uri": schemaURI, "range": range(of: "first_name", in: schema)]])
            #expect(try await definition("items") == [["uri": schemaURI, "range": range(of: "items", in: schema)]])
            #expect(try await definition("Relance") == [])
        }
    }

    @Test func documentSymbolsOutlineJourneysAndNestedSteps() async throws {
        try await withServer { server, fixture in
            try await server.open(fixture.url("Journeys/cart.journey"))
            let response = try await server.request(
                "textDocument/documentSymbol", ["textDocument": ["uri": .string(fixture.uri("Journeys/cart.journey"))]])
            let journey = try #require(response["result"].array?.first)
            #expect(response["result"].array?.count == 1)
            #expect(journey["name"] == "cart")
            #expect(journey["detail"] == "Relance du panier 🛒 café")
            #expect(journey["range"]["start"] == ["line": 1, "character": 0])
            #expect(journey["range"]["end"]["line"] == 10)
            let steps = try #require(journey["children"].array)
            #expect(
                steps.map { $0["name"] } == [
                    "wait 1 hour", "reminder", "if customer.first_name != \"Zoë 😀\" and customer.lifetime_value > 100",
                    "if customer in segment big_spenders",
                ])
            #expect(steps[1]["detail"] == "send email cart_reminder")
            #expect(steps[1]["selectionRange"] == range(of: "reminder", in: WorkspaceFixture.cart))
            #expect(steps[2]["children"].array?.map { $0["name"] } == ["send sms cart_nudge"])
            #expect(steps[3]["children"].array?.map { $0["name"] } == ["vip_note"])

            let schema = try await server.request(
                "textDocument/documentSymbol", ["textDocument": ["uri": .string(fixture.uri("Journeys/schema.journey"))]])
            let blocks = try #require(schema["result"][0]["children"].array)
            #expect(blocks.map { $0["name"] } == ["customer", "signed_up", "cart.updated", "order.completed"])
            #expect(blocks[0]["children"].array?.map { $0["detail"] } == ["string", "number", "bool"])
        }
    }

    @Test func formattingMatchesHeraldFmtAndRefusesBrokenFiles() async throws {
        try await withServer { server, fixture in
            let uri = fixture.uri("Journeys/cart.journey")
            let messy = WorkspaceFixture.cart.replacingOccurrences(of: "  wait 1 hour", with: "  wait   1    hour  ")
            try await server.open(fixture.url("Journeys/cart.journey"), text: messy)
            let response = try await server.request(
                "textDocument/formatting", ["textDocument": ["uri": .string(uri)], "options": ["tabSize": 2, "insertSpaces": true]])
            let edits = try #require(response["result"].array)
            #expect(edits.count == 1)
            let expected = try #require(JourneyFormatter.format(messy).formatted)
            #expect(edits.first?["newText"].string == expected)
            #expect(expected.contains("  wait 1 hour\n"))
            let lines = messy.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(edits.first?["range"] == ["start": ["line": 0, "character": 0], "end": ["line": .int(lines.count - 1), "character": 0]])

            // Already formatted: no edits.
            server.notify(
                "textDocument/didChange", ["textDocument": ["uri": .string(uri), "version": 2], "contentChanges": [["text": .string(expected)]]])
            let clean = try await server.request(
                "textDocument/formatting", ["textDocument": ["uri": .string(uri)], "options": ["tabSize": 2, "insertSpaces": true]])
            #expect(clean["result"] == [])

            // A syntax error: a clear error, nothing changed.
            server.notify(
                "textDocument/didChange",
                ["textDocument": ["uri": .string(uri), "version": 3], "contentChanges": [["text": "journey broken \"x\n"]]])
            let broken = try await server.request(
                "textDocument/formatting", ["textDocument": ["uri": .string(uri)], "options": ["tabSize": 2, "insertSpaces": true]])
            #expect(broken["error"]["code"] == -32803)
            #expect(broken["error"]["message"].string?.contains("syntax errors") == true)
        }
    }

    @Test func renameASegmentAcrossTheWorkspaceAndAStepLabel() async throws {
        try await withServer { server, fixture in
            let cart = fixture.uri("Journeys/cart.journey")
            let text = WorkspaceFixture.cart
            try await server.open(fixture.url("Journeys/cart.journey"))
            let at = position(of: "big_spenders", in: text, offset: 3)
            let prepare = try await server.request("textDocument/prepareRename", ["textDocument": ["uri": .string(cart)], "position": at])
            #expect(prepare["result"] == ["range": range(of: "big_spenders", in: text), "placeholder": "big_spenders"])

            let rename = try await server.request(
                "textDocument/rename", ["textDocument": ["uri": .string(cart)], "position": at, "newName": "high_value"])
            let changes = try #require(rename["result"]["changes"].object)
            #expect(Set(changes.keys) == [cart, fixture.uri("Journeys/segments.journey"), fixture.uri("Journeys/welcome.journey")])
            #expect(changes[cart] == [["range": range(of: "big_spenders", in: text), "newText": "high_value"]])
            #expect(
                changes[fixture.uri("Journeys/segments.journey")] == [
                    ["range": range(of: "big_spenders", in: WorkspaceFixture.files["Journeys/segments.journey"]!), "newText": "high_value"]
                ])

            // A step label, on a line with nothing else renamed.
            let label = try await server.request(
                "textDocument/rename",
                ["textDocument": ["uri": .string(cart)], "position": position(of: "vip_note", in: text), "newName": "vip_reminder"])
            #expect(label["result"]["changes"] == [cart: [["range": range(of: "vip_note", in: text), "newText": "vip_reminder"]]])

            // Refused: an invalid name, a name taken, something that cannot be renamed.
            let invalid = try await server.request(
                "textDocument/rename", ["textDocument": ["uri": .string(cart)], "position": at, "newName": "2 big"])
            #expect(invalid["error"]["code"] == -32602)
            #expect(invalid["error"]["message"].string?.contains("not a valid name") == true)
            let taken = try await server.request(
                "textDocument/rename",
                ["textDocument": ["uri": .string(cart)], "position": position(of: "vip_note", in: text), "newName": "reminder"])
            #expect(taken["error"]["message"].string?.contains("already exists") == true)
            let keyword = try await server.request(
                "textDocument/prepareRename", ["textDocument": ["uri": .string(cart)], "position": position(of: "trigger", in: text)])
            #expect(keyword["error"]["code"] == -32803)
        }
    }

    @Test func badInputGetsProtocolErrorsAndTheServerCarriesOn() async throws {
        let fixture = try WorkspaceFixture()
        defer { fixture.remove() }
        let server = try LanguageServerProcess(root: fixture.root)

        // Before initialize: requests are refused.
        let early = try await server.request(
            "textDocument/hover", ["textDocument": ["uri": "file:///x.journey"], "position": ["line": 0, "character": 0]])
        #expect(early["error"]["code"] == -32002)
        _ = try await server.request("initialize", ["rootUri": .string(fixture.root.absoluteString), "capabilities": [:]])
        server.notify("initialized", [:])

        // Malformed JSON, a non-object, a missing method, a header without Content-Length.
        var mark = server.messageCount
        server.sendRaw(MessageFramer.frame(Data("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": ".utf8)))
        #expect(try await server.waitFor("a parse error", after: mark) { $0["error"]["code"] == -32700 }["id"] == .null)
        mark = server.messageCount
        server.sendRaw(MessageFramer.frame(Data("[1, 2]".utf8)))
        #expect(try await server.waitFor("an invalid request", after: mark) { $0["error"]["code"] == -32600 }["id"] == .null)
        mark = server.messageCount
        server.send(["jsonrpc": "2.0", "id": 1008])
        #expect(try await server.waitFor("an invalid request", after: mark) { $0["error"]["code"] == -32600 }["id"] == 1008)
        mark = server.messageCount
        server.sendRaw(Data("Content-Type: application/json\r\n\r\n".utf8))
        #expect(
            try await server.waitFor("a header error", after: mark) { $0["error"]["code"] == -32700 }["error"]["message"].string?.contains(
                "Content-Length") == true)
        // The same frame split in two writes still works afterwards.
        let hoverRequest: JSONValue = [
            "jsonrpc": "2.0", "id": 1009, "method": "textDocument/hover",
            "params": ["textDocument": ["uri": .string(fixture.uri("Journeys/cart.journey"))], "position": ["line": 2, "character": 4]],
        ]
        let hover = MessageFramer.frame(hoverRequest.encoded())
        server.sendRaw(hover.prefix(10))
        try await Task.sleep(for: .milliseconds(50))
        server.sendRaw(hover.dropFirst(10))
        #expect(try await server.waitFor("the hover") { $0["id"] == 1009 }["result"]["contents"]["value"].string?.contains("trigger") == true)

        // Unknown methods, files outside the workspace, documents that are not journeys, bad params.
        let unknown = try await server.request("textDocument/inlayHint", ["textDocument": ["uri": .string(fixture.uri("Journeys/cart.journey"))]])
        #expect(unknown["error"]["code"] == -32601)
        let outside = try await server.request("textDocument/documentSymbol", ["textDocument": ["uri": "file:///etc/outside.journey"]])
        #expect(outside["error"]["code"] == -32602)
        #expect(outside["error"]["message"].string?.contains("outside the workspace") == true)
        let notJourney = try await server.request("textDocument/documentSymbol", ["textDocument": ["uri": .string(fixture.uri("notes.txt"))]])
        #expect(notJourney["error"]["message"].string?.contains("not a journey file") == true)
        let notFile = try await server.request("textDocument/documentSymbol", ["textDocument": ["uri": "untitled:Untitled-1"]])
        #expect(notFile["error"]["code"] == -32602)
        let missing = try await server.request("textDocument/hover", ["textDocument": ["uri": .string(fixture.uri("Journeys/cart.journey"))]])
        #expect(missing["error"]["code"] == -32602)
        #expect(missing["error"]["message"].string?.contains("position") == true)
        let twice = try await server.request("initialize", ["rootUri": .string(fixture.root.absoluteString), "capabilities": [:]])
        #expect(twice["error"]["code"] == -32600)

        // A notification for a file outside the workspace is logged to the editor, not answered.
        mark = server.messageCount
        server.notify(
            "textDocument/didOpen", ["textDocument": ["uri": "file:///etc/x.journey", "languageId": "journey", "version": 1, "text": "journey x\n"]])
        #expect(
            try await server.waitFor("a log message", after: mark) { $0["method"] == "window/logMessage" }["params"]["message"].string?.contains(
                "outside the workspace") == true)

        // Still alive and well.
        let symbols = try await server.request(
            "textDocument/documentSymbol", ["textDocument": ["uri": .string(fixture.uri("Journeys/cart.journey"))]])
        #expect(symbols["result"][0]["name"] == "cart")
        #expect(try await server.stop() == 0)
        #expect(server.stdoutProblems.isEmpty)
        #expect(server.stderr.contains("malformed"))
        // After shutdown, stdout held nothing but protocol messages: every byte parsed as a frame.
    }

    @Test func everyWorkspaceFolderCountsAndNoFolderAcceptsAnyFile() async throws {
        let fixture = try WorkspaceFixture()
        let other = try WorkspaceFixture()
        let third = try WorkspaceFixture()
        defer {
            fixture.remove()
            other.remove()
            third.remove()
        }
        let server = try LanguageServerProcess(root: fixture.root)
        let folders: JSONValue = [
            ["uri": .string(fixture.root.absoluteString), "name": "a"], ["uri": .string(other.root.absoluteString), "name": "b"],
        ]
        _ = try await server.request("initialize", ["rootUri": .null, "workspaceFolders": folders, "capabilities": [:]])
        func symbols(_ workspace: WorkspaceFixture) async throws -> JSONValue {
            try await server.request("textDocument/documentSymbol", ["textDocument": ["uri": .string(workspace.uri("Journeys/cart.journey"))]])
        }
        #expect(try await symbols(fixture)["result"][0]["name"] == "cart")
        #expect(try await symbols(other)["result"][0]["name"] == "cart")
        #expect(try await symbols(third)["error"]["code"] == -32602)
        #expect(try await server.stop() == 0)

        let single = try LanguageServerProcess(root: fixture.root)
        _ = try await single.request("initialize", ["rootUri": .null, "capabilities": [:]])
        let anywhere = try await single.request("textDocument/documentSymbol", ["textDocument": ["uri": .string(third.uri("Journeys/cart.journey"))]])
        #expect(anywhere["result"][0]["name"] == "cart")
        #expect(try await single.stop() == 0)
    }

    @Test func exitWithoutShutdownOrAtEndOfInputIsStatusOne() async throws {
        let fixture = try WorkspaceFixture()
        defer { fixture.remove() }
        let (first, _) = try await LanguageServerProcess.start(root: fixture.root)
        first.notify("exit", .null)
        #expect(try await first.waitForExit() == 1)
        let (second, _) = try await LanguageServerProcess.start(root: fixture.root)
        second.closeInput()
        #expect(try await second.waitForExit() == 1)
        let (third, _) = try await LanguageServerProcess.start(root: fixture.root)
        let afterShutdown = try await third.request("shutdown", .null)
        #expect(afterShutdown["result"] == .null)
        let refused = try await third.request("textDocument/documentSymbol", ["textDocument": ["uri": .string(fixture.uri("Journeys/cart.journey"))]])
        #expect(refused["error"]["code"] == -32600)
        third.closeInput()
        #expect(try await third.waitForExit() == 0)
    }
}
