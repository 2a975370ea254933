import ChildProcess
import Foundation
import Testing

@testable import JourneyLanguage

/// Paths inside the package, found from this file's location.
enum PackagePaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let root = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let journeys = root.appendingPathComponent("Journeys").path
    static let golden = testsDirectory.appendingPathComponent("Golden")
    static let broken = testsDirectory.appendingPathComponent("Broken").path
    static let languageReference = root.appendingPathComponent("docs/language.md").path

    static func golden(_ name: String) throws -> String {
        try String(contentsOf: golden.appendingPathComponent(name), encoding: .utf8)
    }
}

/// Compiles one in-memory file.
func compile(_ text: String, file: String = "test.journey", messages: [String: MessageTemplates] = [:]) -> CompilationResult {
    JourneyCompiler.compile(sources: [file: text], messages: messages)
}

/// The diagnostics of one in-memory file, as `line:column: severity: message [ID]` without the file.
func diagnosticLines(_ text: String) -> [String] {
    compile(text).diagnostics.map { d in
        let place = d.location.map { "\($0.line):\($0.column): " } ?? ""
        return "\(place)\(d.severity.rawValue): \(d.message) [\(d.id)]"
    }
}

/// Source text with position markers `1️⃣`, `2️⃣` … (as swift-format's `MarkedText`): the markers
/// are removed and their line/column remembered.
struct MarkedSource {
    var text: String
    var markers: [String: (line: Int, column: Int)]

    init(_ marked: String) {
        var text = ""
        var markers: [String: (line: Int, column: Int)] = [:]
        var line = 1
        var column = 1
        for character in marked {
            if let first = character.unicodeScalars.first, character.unicodeScalars.count == 3,
                character.unicodeScalars.last == "\u{20E3}", ("0"..."9").contains(first)
            {
                markers[String(first)] = (line, column)
                continue
            }
            text.append(character)
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        self.text = text
        self.markers = markers
    }
}

/// Runs an executable and captures its output.
func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// The `journey-check` executable built next to the test bundle (or in `.build/debug`).
func journeyCheckExecutable() -> String? {
    var candidates: [String] = []
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
    var directory = testBinary.deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(directory.appendingPathComponent("journey-check").path)
        directory = directory.deletingLastPathComponent()
    }
    candidates.append(PackagePaths.root.appendingPathComponent(".build/debug/journey-check").path)
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}
