import ArgumentParser
import Foundation
import HeraldService
import Synchronization

/// `herald export`: the input log (accepted profile updates, events and erasures) as NDJSON, the
/// format `herald replay --log` reads (docs/service.md, "Input log").
///
/// ```
/// herald export --data data --since 2026-11-01T00:00:00Z --output inputs.ndjson
/// HERALD_API_KEY=... herald export --server http://127.0.0.1:8080 --since 1764547200 > inputs.ndjson
/// ```
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the input log (accepted profile updates, events, erasures) as NDJSON.",
        discussion: """
            One JSON object per line, in accepted order. The log keeps retention.inputs_days (30 by \
            default) of inputs; an erasure leaves only an erasure line for its customer.
            """
    )

    @OptionGroup var target: HeraldTargetOptions

    @Option(help: "Inputs accepted at or after this time (RFC 3339, or seconds since 1970).")
    var since: String?

    @Option(help: "Inputs accepted before this time (RFC 3339, or seconds since 1970).")
    var until: String?

    @Option(help: "Write to this file instead of standard output.", completion: .file(extensions: ["ndjson"]))
    var output: String?

    func validate() throws {
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, InputLogFormat.parseBound(value) == nil {
                throw ValidationError("\(name): expected an RFC 3339 time such as 2026-12-01T09:00:00Z or seconds since 1970, not `\(value)`")
            }
        }
        if let since = since.flatMap(InputLogFormat.parseBound), let until = until.flatMap(InputLogFormat.parseBound), until < since {
            throw ValidationError("--until is before --since")
        }
    }

    func run() async throws {
        try await Self.reporting {
            let target = try target.open()
            let handle: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil) else {
                    throw CommandFailure("cannot create \(output)")
                }
                handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            } else {
                handle = FileHandle.standardOutput
            }
            defer { if output != nil { try? handle.close() } }
            var lines = 0
            switch target {
            case .store(let store):
                lines = try await InputLogFormat.export(
                    from: store, since: since.flatMap(InputLogFormat.parseBound), until: until.flatMap(InputLogFormat.parseBound)
                ) { chunk in handle.write(chunk) }
            case .server(let client):
                var query: [String: String] = [:]
                if let since { query["since"] = since }
                if let until { query["until"] = until }
                let counted = Mutex(0)
                _ = try await client.download("v1/inputs/export", query: query) { chunk in
                    handle.write(chunk)
                    counted.withLock { $0 += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
                }
                lines = counted.withLock { $0 }
            }
            if output != nil { FileHandle.standardError.write(Data("exported \(lines) inputs to \(output!)\n".utf8)) }
        }
    }
}
