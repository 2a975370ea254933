import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import JourneyEngine
import JourneyLanguage
import Logging
import Synchronization

/// The HTTP API: ingestion, customers, journeys, dead letters, health and metrics.
struct HeraldAPI: Sendable {
    let store: any JourneyStore
    let registry: JourneyRegistry
    let inboxSignal: Signal
    let completions: CompletionRegistry
    let metrics: ServiceMetrics
    let timers: NearTimers
    let limits: ServiceConfiguration.Limits
    let clock: ServiceClock
    let readiness: Readiness
    let deadLetterOperations: DeadLetterOperations
    /// Inbound engagement settings (provider keys, link signing).
    var engagement = ServiceConfiguration.Engagement()

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.make(.ok, .object(["status": .string("ok")])) }
        router.get("/readyz") { _, _ in try await self.ready() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.render())))
        }
        router.post("/v1/events") { request, context in try await self.postEvents(request, context) }
        router.put("/v1/customers/:id") { request, context in try await self.putCustomer(request, context) }
        router.get("/v1/customers/:id") { request, context in try await self.getCustomer(request, context) }
        router.delete("/v1/customers/:id") { request, context in try await self.deleteCustomer(request, context) }
        router.get("/v1/journeys") { _, _ in try await self.listJourneys() }
        router.post("/v1/journeys/:name/pause") { _, context in try await self.pause(context, true) }
        router.post("/v1/journeys/:name/resume") { _, context in try await self.pause(context, false) }
        router.get("/v1/dead-letters") { request, _ in try await self.deadLetters(request) }
        router.post("/v1/dead-letters/:id/retry") { _, context in
            let sequence = try DeadLetterOperations.sequence(try context.parameters.require("id"))
            let letter = try await self.deadLetterOperations.retry(sequence, by: "api", logger: context.logger)
            return JSONResponse.make(.ok, APIResource.deadLetter(letter))
        }
        router.delete("/v1/dead-letters/:id") { _, context in
            let sequence = try DeadLetterOperations.sequence(try context.parameters.require("id"))
            let letter = try await self.deadLetterOperations.discard(sequence, by: "api", logger: context.logger)
            return JSONResponse.make(.ok, APIResource.deadLetter(letter))
        }
        registerRevisions(on: router)
        registerEngagement(on: router)
    }

    // MARK: Bodies

    private func body(_ request: Request) async throws -> Value {
        try RequestPayloads.parseJSON(try await rawBody(request))
    }

    /// The request body's bytes, within the body size limit.
    func rawBody(_ request: Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxBodyBytes {
            throw Self.tooLarge(limits.maxBodyBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Self.tooLarge(limits.maxBodyBytes)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The client stopped sending, or was cut off by the body or idle timeout: its fault, not
            // the server's (and it will not read this answer).
            throw APIError(
                .badRequest, code: "body_incomplete",
                message: "the request body ended before it was complete (the connection closed or timed out)")
        }
        return Array(buffer.readableBytesView)
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(
            .contentTooLarge, code: "body_too_large", message: "the request body is larger than \(limit) bytes",
            details: [.object(["limit": .number(Double(limit))])])
    }

    /// The customer id in the path, percent-decoded (`/v1/customers/j%C3%BCrgen%20smith%2F1` names
    /// `jürgen smith/1`), so GET, PUT and DELETE name the customer an event's `customer_id` names.
    private func customerID(_ context: BasicRequestContext) throws -> String {
        try Self.pathParameter(context, "id")
    }

    static func pathParameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        switch RequestPayloads.percentDecoded(raw) {
        case .failure(let problem):
            throw APIError.invalid([ValidationProblem(path: name, message: problem.message)])
        case .success(let value):
            if let problem = RequestPayloads.identifierProblem(value) {
                throw APIError.invalid([ValidationProblem(path: name, message: problem)])
            }
            return value
        }
    }

    // MARK: Ingestion

    func postEvents(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let now = clock.now()
        let events = try RequestPayloads.events(from: try await body(request), maxBatch: limits.maxBatchEvents, now: now)
        return try await accept(events, started: started, now: now)
    }

    /// Enqueues validated events: 202 with the accepted and duplicate counts.
    func accept(_ events: [CustomerEvent], started: ContinuousClock.Instant, now: Double) async throws -> Response {
        let items = events.map {
            InboxItem(id: $0.id, customerID: $0.customerID, payload: .event($0), acceptedAt: now)
        }
        let outcomes = try await store.enqueue(items)
        inboxSignal.notify()
        let accepted = outcomes.map { if case .accepted = $0 { true } else { false } }
        let acceptedCount = accepted.reduce(0) { $0 + ($1 ? 1 : 0) }
        metrics.eventsAccepted.increment(by: acceptedCount)
        metrics.eventsDuplicate.increment(by: outcomes.count - acceptedCount)
        metrics.ingestLatency.recordElapsed(since: started)
        return Response(
            status: .accepted, headers: [.contentType: JSONResponse.contentType],
            body: .init(byteBuffer: AcceptedEventsBody.make(ids: events.map(\.id), accepted: accepted)))
    }

    // MARK: Customers

    func putCustomer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try customerID(context)
        let profile = try RequestPayloads.profile(id: id, from: try await body(request))
        let processed = try await enqueueAndWait(customerID: id, payload: .profile(profile))
        guard processed else {
            return JSONResponse.make(.accepted, .object(["id": .string(id), "status": .string("accepted")]))
        }
        return try await customerResponse(id, status: .ok)
    }

    /// Erases a stored customer: 204 once done, 202 if it takes longer than the sync wait. A
    /// customer that is not stored is 404 and nothing is enqueued, so the answer never claims an
    /// erasure that did not happen (events accepted but not yet processed create the customer
    /// afterwards; repeat the DELETE then).
    func deleteCustomer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try customerID(context)
        guard try await store.loadCustomers([id])[id] != nil else {
            throw APIError.notFound("no customer with id \(id) is stored; nothing was erased")
        }
        let processed = try await enqueueAndWait(customerID: id, payload: .erase)
        if processed { return Response(status: .noContent) }
        return JSONResponse.make(.accepted, .object(["id": .string(id), "status": .string("accepted")]))
    }

    /// Enqueues through the inbox (so the change is ordered with the customer's events) and waits
    /// for the processor to handle it; `false` when that takes longer than the configured wait.
    private func enqueueAndWait(customerID: String, payload: InboxPayload) async throws -> Bool {
        let itemID = RequestPayloads.generatedID(prefix: payload.kind)
        completions.register(itemID)
        do {
            _ = try await store.enqueue([InboxItem(id: itemID, customerID: customerID, payload: payload, acceptedAt: clock.now())])
        } catch {
            completions.forget(itemID)
            throw error
        }
        inboxSignal.notify()
        return await completions.wait(for: itemID, timeout: limits.syncWaitSeconds)
    }

    func getCustomer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await customerResponse(try customerID(context), status: .ok)
    }

    private func customerResponse(_ id: String, status: HTTPResponse.Status) async throws -> Response {
        guard let stored = try await store.loadCustomers([id])[id] else {
            throw APIError.notFound("no customer with id \(id)")
        }
        async let log = store.customerLog(customerID: id, limit: 20)
        async let messages = store.outbox(customerID: id, limit: 20)
        return JSONResponse.make(status, APIResource.customer(stored, id: id, log: try await log, messages: try await messages))
    }

    // MARK: Journeys

    func listJourneys() async throws -> Response {
        guard let deployment = registry.current else {
            throw APIError(.serviceUnavailable, code: "not_ready", message: "no journeys are deployed yet")
        }
        let counters = try await store.journeyCounters()
        var journeys: [Value] = []
        for journey in deployment.catalog.journeys {
            var versions: [String: [String: [String: Value]]] = [:]
            for (counter, count) in counters where counter.journey == journey.name {
                versions[counter.version, default: [:]][counter.step.isEmpty ? "_journey" : counter.step, default: [:]][
                    counter.metric] = .number(Double(count))
            }
            let archived = deployment.archive.filter { $0.name == journey.name }.map { Value.string($0.version) }
            journeys.append(
                .object([
                    "name": .string(journey.name), "title": .string(journey.title), "version": .string(journey.version),
                    "priority": APIResource.integer(journey.priority), "stage": journey.stage.map { .string($0.rawValue) } ?? .null,
                    "paused": .bool(deployment.paused.contains(journey.name)),
                    "steps": .list(journey.states.map { .string($0.label) }),
                    "versions": .list(archived),
                    "counts": .object(versions.mapValues { .object($0.mapValues { .object($0) }) }),
                ]))
        }
        return JSONResponse.make(
            .ok,
            .object([
                "journeys": .list(journeys), "deployed_at": .string(Value.formatTime(deployment.deployedAt)),
                "warnings": .list(deployment.warnings.map(APIResource.diagnostic)),
            ]))
    }

    /// `POST /v1/journeys/reload?plan=true`: what the reload would do, changing nothing
    /// (`JourneyRegistry.plan()`); `nil` when the request is a plain reload.
    func planIfAsked(_ request: Request) async throws -> Response? {
        switch request.uri.queryParameters.get("plan") {
        case nil, "false": return nil
        case "true":
            let report = try await registry.plan()
            return JSONResponse.make(
                .ok,
                .object([
                    "status": .string(report.plan.refused ? "would_refuse" : "planned"), "plan": report.plan.apiValue,
                    "diagnostics": .list(report.diagnostics.map(APIResource.diagnostic)),
                ]))
        case let other?:
            throw APIError(
                .badRequest, code: "invalid_query", message: "plan must be true or false, not \"\(other)\"; nothing was reloaded")
        }
    }

    func pause(_ context: BasicRequestContext, _ paused: Bool) async throws -> Response {
        let name = try Self.pathParameter(context, "name")
        do {
            try await registry.setPaused(name, paused)
        } catch is JourneyRegistry.UnknownJourney {
            throw APIError(.notFound, code: "unknown_journey", message: "no deployed journey is named \(name)")
        }
        return JSONResponse.make(.ok, .object(["name": .string(name), "paused": .bool(paused)]))
    }

    // MARK: Dead letters

    /// A list's `limit` query parameter: 1 to 500, 50 when absent; a bad one is added to `problems`.
    static func pageLimit(_ request: Request, problems: inout [ValidationProblem]) -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        if let value = Int(text), (1...500).contains(value) { return value }
        problems.append(ValidationProblem(path: "limit", message: "must be an integer from 1 to 500"))
        return 50
    }

    func deadLetters(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var problems: [ValidationProblem] = []
        let limit = Self.pageLimit(request, problems: &problems)
        var before: Int64?
        if let text = query.get("before") {
            // Any positive integer: one beyond 64 bits is above every sequence, so it pages from the newest.
            if !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                text.contains(where: { $0 != "0" })
            {
                before = Int64(text) ?? Int64.max
            } else {
                problems.append(ValidationProblem(path: "before", message: "must be a positive integer (a next_before from the previous page)"))
            }
        }
        if !problems.isEmpty { throw APIError.invalid(problems) }
        let letters = try await store.deadLetters(before: before, limit: limit)
        return JSONResponse.make(
            .ok,
            .object([
                "dead_letters": .list(letters.map(APIResource.deadLetter)),
                "next_before": letters.count == limit ? letters.last.map { APIResource.integer($0.sequence) } ?? .null : .null,
            ]))
    }

    // MARK: Health

    /// How long `/readyz` waits for the store.
    static let readinessBound: Duration = .seconds(5)

    func ready() async throws -> Response {
        guard readiness.isReady, registry.current != nil else {
            throw APIError(.serviceUnavailable, code: "not_ready", message: "the service is starting or stopping")
        }
        // A store that does not answer within the bound is as unready as one that fails: a probe
        // must hear so in time, not wait for the database's own timeouts.
        let store = self.store
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await store.pausedJourneys()) != nil }
            group.addTask {
                try? await Task.sleep(for: Self.readinessBound)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        guard answered else {
            throw APIError(.serviceUnavailable, code: "store_unavailable", message: "the store does not answer")
        }
        return JSONResponse.make(.ok, .object(["status": .string("ready")]))
    }
}

/// Whether the service takes traffic: set once the server listens, cleared on shutdown.
final class Readiness: Sendable {
    private let flag = Atomic<Bool>(false)
    var isReady: Bool { flag.load(ordering: .relaxed) }
    func set(_ ready: Bool) { flag.store(ready, ordering: .relaxed) }
}
