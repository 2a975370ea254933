import Foundation
import HTTPTypes
import Hummingbird
import JourneyEngine
import JourneyLanguage

/// Revisions of the deployed journey set (`/v1/revisions`), the reload that records them, and the
/// export of the input log (`/v1/inputs/export`).
extension HeraldAPI {
    func registerRevisions(on router: Router<BasicRequestContext>) {
        router.post("/v1/journeys/reload") { request, _ in try await self.reload(request) }
        router.get("/v1/revisions") { request, _ in try await self.listRevisions(request) }
        router.get("/v1/revisions/:number") { _, context in try await self.showRevision(context) }
        router.post("/v1/revisions/:number/restore") { request, context in try await self.restoreRevision(request, context) }
        router.get("/v1/inputs/export") { request, _ in try await self.exportInputs(request) }
    }

    // MARK: Deploying

    /// `POST /v1/journeys/reload`, with an optional `{"note": "..."}` kept with the revision
    /// (`?plan=true`: the plan instead, see ``planIfAsked(_:)``).
    func reload(_ request: Request) async throws -> Response {
        if let plan = try await planIfAsked(request) { return plan }
        let note = try await self.note(request)
        do {
            return deployed(try await registry.reload(note: note, source: "reload"))
        } catch let refused as JourneyRegistry.Refused {
            throw APIError(
                .unprocessableContent, code: "journeys_invalid",
                message: "the journeys did not pass the check; the running version stays deployed",
                details: refused.diagnostics.map(APIResource.diagnostic))
        }
    }

    /// `POST /v1/revisions/{n}/restore`: deploys revision n's files as a new revision.
    func restoreRevision(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let number = try revisionNumber(context)
        let note = try await self.note(request)
        do {
            return deployed(try await registry.restore(number, note: note))
        } catch is JourneyRegistry.UnknownRevision {
            throw Self.unknownRevision(number)
        } catch let refused as JourneyRegistry.Refused {
            throw APIError(
                .unprocessableContent, code: "revision_invalid",
                message:
                    "revision \(number) no longer passes the check (this Herald reads its files differently); the running version stays deployed",
                details: refused.diagnostics.map(APIResource.diagnostic))
        }
    }

    private func deployed(_ report: JourneyRegistry.ReloadReport) -> Response {
        JSONResponse.make(
            .ok,
            .object([
                "status": .string("deployed"),
                "journeys": .list(
                    report.journeys.map {
                        .object(["name": .string($0.name), "version": .string($0.version), "status": .string($0.status)])
                    }),
                "warnings": .list(report.warnings.map(APIResource.diagnostic)),
                "revision": report.revision.map { APIResource.revision($0, current: true) } ?? .null,
                "revision_created": .bool(report.revisionCreated),
            ]))
    }

    /// The optional body of a reload or restore: nothing, or `{"note": "..."}`.
    private func note(_ request: Request) async throws -> String? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Self.tooLarge(limits.maxBodyBytes)
        }
        let bytes = Array(buffer.readableBytesView)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        guard case .object(let fields) = try RequestPayloads.parseJSON(bytes) else {
            throw APIError.invalid([ValidationProblem(path: "$", message: "must be an object such as {\"note\": \"why\"}, or empty")])
        }
        var problems: [ValidationProblem] = []
        for key in fields.keys.sorted() where key != "note" {
            problems.append(ValidationProblem(path: key, message: "unknown field (expected note)"))
        }
        var note: String?
        switch fields["note"] {
        case nil, .null?: break
        case .string(let text)? where text.utf8.count <= 1_000: note = text.isEmpty ? nil : text
        case .string?: problems.append(ValidationProblem(path: "note", message: "must be at most 1000 bytes"))
        default: problems.append(ValidationProblem(path: "note", message: "must be a string"))
        }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        return note
    }

    // MARK: Revisions

    /// `GET /v1/revisions?limit=&before=`: newest first, without files.
    func listRevisions(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var problems: [ValidationProblem] = []
        let limit = Self.pageLimit(request, problems: &problems)
        var before: Int64?
        if let text = query.get("before") {
            if let value = Self.positiveInteger(text) {
                before = value
            } else {
                problems.append(ValidationProblem(path: "before", message: "must be a positive integer (a next_before from the previous page)"))
            }
        }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        let current = try await store.currentRevisionNumber()
        let revisions = try await store.revisions(before: before, limit: limit)
        return JSONResponse.make(
            .ok,
            .object([
                "revisions": .list(revisions.map { APIResource.revision($0, current: $0.number == current) }),
                "current": current.map(APIResource.integer) ?? .null,
                "deployed": registry.current?.revision.map { APIResource.integer($0.number) } ?? .null,
                "next_before": revisions.count == limit ? revisions.last.map { APIResource.integer($0.number) } ?? .null : .null,
            ]))
    }

    /// `GET /v1/revisions/{n}`: one revision with its files.
    func showRevision(_ context: BasicRequestContext) async throws -> Response {
        let number = try revisionNumber(context)
        guard let revision = try await store.revision(number) else { throw Self.unknownRevision(number) }
        let current = try await store.currentRevisionNumber()
        guard case .object(var fields) = APIResource.revision(revision, current: revision.number == current) else {
            return JSONResponse.make(.internalServerError, .null)
        }
        fields["files"] = .list(revision.files.map { .object(["path": .string($0.path), "contents": .string($0.contents)]) })
        return JSONResponse.make(.ok, .object(fields))
    }

    private func revisionNumber(_ context: BasicRequestContext) throws -> Int64 {
        let text = try context.parameters.require("number")
        guard let number = Self.positiveInteger(text) else {
            throw APIError.invalid([
                ValidationProblem(
                    path: "number", message: "must be a revision number (1, 2, …); \"\(text)\" is not one; GET /v1/revisions lists them")
            ])
        }
        return number
    }

    private static func positiveInteger(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = Int64(text), value > 0
        else { return nil }
        return value
    }

    private static func unknownRevision(_ number: Int64) -> APIError {
        APIError(.notFound, code: "unknown_revision", message: "no revision \(number) is stored; GET /v1/revisions lists them")
    }

    // MARK: Input log

    /// `GET /v1/inputs/export?since=&until=`: the input log as NDJSON, streamed page by page.
    func exportInputs(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var problems: [ValidationProblem] = []
        func bound(_ name: String) -> Double? {
            guard let text = query.get(name) else { return nil }
            if let seconds = InputLogFormat.parseBound(text) { return seconds }
            problems.append(
                ValidationProblem(
                    path: name, message: "must be an RFC 3339 time such as 2026-12-01T09:00:00Z or seconds since 1970 such as 1764579600"))
            return nil
        }
        let since = bound("since")
        let until = bound("until")
        if let since, let until, until < since {
            problems.append(ValidationProblem(path: "until", message: "is before since; give until at or after since"))
        }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        // The first page is read before answering, so a store failure is a clean 5xx, not a cut stream.
        let store = self.store
        let first = try await store.inputLog(since: since, until: until, after: nil, limit: 1)
        return Response(
            status: .ok, headers: [.contentType: InputLogFormat.mediaType],
            body: ResponseBody { writer in
                if !first.isEmpty {
                    try await InputLogFormat.export(from: store, since: since, until: until) { chunk in
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                }
                try await writer.finish(nil)
            })
    }
}

extension APIResource {
    /// One revision, without its files.
    static func revision(_ revision: JourneyRevision, current: Bool) -> Value {
        .object([
            "number": integer(revision.number),
            "content_hash": .string(revision.contentHash),
            "created_at": time(revision.createdAt),
            "note": string(revision.note),
            "source": .string(revision.source),
            "restored_from": revision.restoredFrom.map(integer) ?? .null,
            "current": .bool(current),
        ])
    }
}
