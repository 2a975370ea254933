import Foundation
import JourneyLanguageServer
import Testing

/// Positions: the protocol's UTF-16 code units against the checker's Unicode scalars.
struct TextDocumentTests {
    // "é" is one scalar and one UTF-16 unit; "😀" is one scalar and two UTF-16 units; "e\u{301}" is two scalars.
    let document = TextDocument("journey café \"😀\" x\n  wait 1 day\r\nsend e\u{301}x\rlast")

    @Test func linesEndAtNewlineCarriageReturnNewlineOrCarriageReturn() {
        #expect(document.lineCount == 4)
        #expect(document.line(1) == "  wait 1 day")
        #expect(document.line(3) == "last")
    }

    @Test(arguments: [
        // (column in scalars, expected UTF-16 character)
        (1, 0), (9, 8), (13, 12), (15, 14), (16, 16), (17, 17), (18, 18), (19, 19), (40, 19),
    ])
    func scalarColumnsBecomeUTF16Characters(column: Int, character: Int) {
        #expect(document.position(line: 1, column: column) == Position(line: 0, character: character))
    }

    @Test(arguments: [
        // (UTF-16 character, expected scalar column): inside the surrogate pair goes back to its start.
        (0, 1), (12, 13), (14, 15), (15, 15), (16, 16), (18, 18), (100, 19),
    ])
    func utf16CharactersBecomeScalarColumns(character: Int, column: Int) {
        #expect(document.location(of: Position(line: 0, character: character)) == (1, column))
    }

    @Test func combiningMarksCountAsTheirOwnScalars() {
        // "send e\u{301}x": x is the 8th scalar and at UTF-16 offset 7.
        #expect(document.position(line: 3, column: 8) == Position(line: 2, character: 7))
        #expect(document.location(of: Position(line: 2, character: 7)) == (3, 8))
    }

    @Test func incrementalEditsUseUTF16Ranges() {
        var edited = document
        // Replace the emoji (UTF-16 14..<16) with "ok".
        edited.apply(range: Range(start: Position(line: 0, character: 14), end: Position(line: 0, character: 16)), text: "ok")
        #expect(edited.line(0) == "journey café \"ok\" x")
        // Insert across lines, then replace everything.
        edited.apply(range: Range(start: Position(line: 0, character: 19), end: Position(line: 1, character: 2)), text: "\n    ")
        #expect(edited.text.hasPrefix("journey café \"ok\" x\n    wait 1 day"))
        // Inside a combining sequence: the edit lands between the scalars.
        edited.apply(range: Range(start: Position(line: 2, character: 6), end: Position(line: 2, character: 6)), text: "!")
        #expect(edited.line(2) == "send e!\u{301}x")
        edited.apply(range: nil, text: "new")
        #expect(edited.text == "new")
        #expect(edited.endPosition == Position(line: 0, character: 3))
    }

    @Test func rangesPastTheEndAreClamped() {
        var edited = TextDocument("ab")
        edited.apply(range: Range(start: Position(line: 0, character: 1), end: Position(line: 9, character: 9)), text: "X")
        #expect(edited.text == "aX")
    }
}

/// The base protocol's framing, fed in awkward pieces.
struct MessageFramerTests {
    @Test func framesSplitAnywhereAreReassembled() {
        let bodies = ["{\"a\":1}", "{\"b\":\"é😀\"}"].map { Data($0.utf8) }
        let stream = bodies.map(MessageFramer.frame).reduce(Data(), +)
        for size in [1, 2, 7, stream.count] {
            var framer = MessageFramer()
            var frames: [MessageFramer.Frame] = []
            var offset = 0
            while offset < stream.count {
                framer.append(stream.subdata(in: offset..<min(stream.count, offset + size)))
                offset += size
                while let frame = framer.next() { frames.append(frame) }
            }
            #expect(frames == bodies.map { .message($0) }, "chunks of \(size)")
        }
    }

    @Test(arguments: [
        ("Content-Type: application/json\r\n\r\n", "no Content-Length"),
        ("Content-Length: -4\r\n\r\n", "not a non-negative whole number"),
        ("Content-Length: many\r\n\r\n", "not a non-negative whole number"),
        ("Content-Length: 99999999999\r\n\r\n", "larger than"),
        ("garbage\r\n\r\n", "has no `:`"),
    ])
    func badHeadersAreReportedAndSkipped(header: String, problem: String) throws {
        var framer = MessageFramer()
        framer.append(Data(header.utf8) + MessageFramer.frame(Data("{}".utf8)))
        let first = framer.next()
        guard case .malformed(let message) = try #require(first) else {
            Issue.record("expected a malformed frame")
            return
        }
        #expect(message.contains(problem))
        let second = framer.next()
        #expect(second == .message(Data("{}".utf8)))
    }

    @Test func headerNamesAreCaseInsensitiveAndOtherHeadersIgnored() {
        var framer = MessageFramer()
        framer.append(Data("content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}".utf8))
        let first = framer.next()
        let second = framer.next()
        #expect(first == .message(Data("{}".utf8)))
        #expect(second == nil)
    }
}
