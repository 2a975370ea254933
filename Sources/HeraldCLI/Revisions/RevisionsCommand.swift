import ArgumentParser
import Foundation
import HeraldService
import JourneyEngine
import JourneyLanguage

/// `herald revisions`: the deployments of the journey set, one of them with its files, and a
/// rollback to one of them — against a data directory or a running server.
///
/// ```
/// herald revisions --data data
/// herald revisions show 3 --output /tmp/journeys-r3
/// HERALD_API_KEY=... herald revisions restore 3 --server http://127.0.0.1:8080 --note "roll back the new cart copy"
/// ```
struct RevisionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revisions",
        abstract: "List the deployed revisions of the journeys, show one, or restore one.",
        discussion: """
            Every deployment (start-up, reload, SIGHUP, restore) whose content differs from the current one \
            is a numbered revision with a content hash, a time, an optional note and its files. \
            See docs/changing-journeys.md.
            """,
        subcommands: [List.self, Show.self, Restore.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List revisions, newest first (the default).")

        @OptionGroup var target: HeraldTargetOptions

        @Option(help: "How many to list (1 to 500).")
        var limit: Int = 50

        func validate() throws {
            guard (1...500).contains(limit) else { throw ValidationError("--limit: expected 1 to 500, not \(limit)") }
        }

        func run() async throws {
            try await Self.reporting {
                let revisions: [JourneyRevision]
                switch try target.open() {
                case .store(let store): revisions = try await store.revisions(before: nil, limit: limit)
                case .server(let client):
                    let data = try await client.call("GET", "v1/revisions", query: ["limit": String(limit)])
                    revisions = try RevisionsCommand.revisions(fromJSON: data)
                }
                print(RevisionsCommand.table(revisions), terminator: "")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print a revision's files, or write them as a journeys directory with --output.")

        @OptionGroup var target: HeraldTargetOptions

        @Argument(help: "The revision number.")
        var number: Int64

        @Option(help: "Write the files into this directory (created if needed) instead of printing them.", completion: .directory)
        var output: String?

        func validate() throws {
            guard number > 0 else { throw ValidationError("the revision number must be 1 or more, not \(number)") }
        }

        func run() async throws {
            try await Self.reporting {
                let revision = try await RevisionsCommand.fetch(number, from: try target.open())
                if let output {
                    try JourneySetFiles.write(revision.files, to: output)
                    print("wrote \(revision.files.count) files of revision \(revision.number) to \(output)")
                    return
                }
                print(RevisionsCommand.header(revision))
                for file in revision.files {
                    print("\n==> \(file.path) <==")
                    print(file.contents, terminator: file.contents.hasSuffix("\n") ? "" : "\n")
                }
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Deploy a revision's files again, as a new revision (a rollback), on a running server.",
            discussion: """
                The server checks the files again; a revision that no longer checks is refused and \
                nothing changes. The journeys directory is not touched: the next reload (or restart) \
                deploys what it holds, so revert the files there too (herald revisions show N --output DIR).
                """)

        @OptionGroup var target: HeraldTargetOptions

        @Argument(help: "The revision number.")
        var number: Int64

        @Option(help: "A note kept with the new revision.")
        var note: String?

        func validate() throws {
            guard number > 0 else { throw ValidationError("the revision number must be 1 or more, not \(number)") }
        }

        func run() async throws {
            try await Self.reporting {
                guard case .server(let client) = try target.open() else {
                    throw CommandFailure(
                        "restore deploys on a running server: give --server URL (a stopped server deploys its journeys directory when it starts; write revision \(number) there with `herald revisions show \(number) --output DIR`)"
                    )
                }
                let body: Value = note.map { .object(["note": .string($0)]) } ?? .object([:])
                let data = try await client.call("POST", "v1/revisions/\(number)/restore", body: body)
                guard case .object(let fields) = try JSONValueParser.parse(Array(data)), case .object(let revision)? = fields["revision"],
                    case .number(let created)? = revision["number"]
                else { throw CommandFailure("the server's answer is not a deployment: \(String(decoding: data, as: UTF8.self))") }
                if case .bool(false)? = fields["revision_created"] {
                    print("revision \(number) is what revision \(Int64(created)) already deploys; nothing changed")
                } else {
                    print("restored revision \(number) as revision \(Int64(created))")
                }
            }
        }
    }

    // MARK: Shared

    static func fetch(_ number: Int64, from target: HeraldTarget) async throws -> JourneyRevision {
        switch target {
        case .store(let store):
            guard let revision = try await store.revision(number) else {
                throw CommandFailure("no revision \(number) is stored; `herald revisions` lists them")
            }
            return revision
        case .server(let client):
            let data = try await client.call("GET", "v1/revisions/\(number)")
            guard case .object(let fields) = try JSONValueParser.parse(Array(data)), var revision = revision(fields) else {
                throw CommandFailure("the server's answer is not a revision")
            }
            if case .list(let files)? = fields["files"] {
                for case .object(let file) in files {
                    if case .string(let path)? = file["path"], case .string(let contents)? = file["contents"] {
                        revision.files.append(RevisionFile(path: path, contents: contents))
                    }
                }
            }
            return revision
        }
    }

    static func revisions(fromJSON data: Data) throws -> [JourneyRevision] {
        guard case .object(let fields) = try JSONValueParser.parse(Array(data)), case .list(let list)? = fields["revisions"] else {
            throw CommandFailure("the server's answer is not a list of revisions")
        }
        return list.compactMap { if case .object(let fields) = $0 { revision(fields) } else { nil } }
    }

    /// A revision from its API resource (without files).
    static func revision(_ fields: [String: Value]) -> JourneyRevision? {
        guard case .number(let number)? = fields["number"], case .string(let hash)? = fields["content_hash"],
            case .string(let created)? = fields["created_at"], let createdAt = Value.parseTime(created),
            case .string(let source)? = fields["source"]
        else { return nil }
        var note: String?
        if case .string(let text)? = fields["note"] { note = text }
        var restoredFrom: Int64?
        if case .number(let from)? = fields["restored_from"] { restoredFrom = Int64(from) }
        return JourneyRevision(
            number: Int64(number), contentHash: hash, createdAt: createdAt, note: note, source: source, restoredFrom: restoredFrom,
            files: [])
    }

    static func header(_ revision: JourneyRevision) -> String {
        var text = "revision \(revision.number)  \(Value.formatTime(revision.createdAt))  \(revision.source)"
        if let from = revision.restoredFrom { text += " of \(from)" }
        text += "  sha256:\(revision.contentHash)"
        if let note = revision.note { text += "\n  \(note)" }
        return text
    }

    /// The listing: the newest (current) revision marked with `*`.
    static func table(_ revisions: [JourneyRevision]) -> String {
        if revisions.isEmpty { return "no revisions yet (the first deployment records revision 1)\n" }
        var rows = [["", "REVISION", "CREATED (UTC)", "SOURCE", "HASH", "NOTE"]]
        for (index, revision) in revisions.enumerated() {
            let source = revision.restoredFrom.map { "\(revision.source) of \($0)" } ?? revision.source
            rows.append([
                index == 0 ? "*" : "", String(revision.number), Value.formatTime(revision.createdAt), source,
                String(revision.contentHash.prefix(12)), revision.note ?? "",
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            var line = row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
