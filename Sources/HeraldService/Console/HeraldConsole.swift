import Foundation
import HTTPTypes
import Hummingbird
import JourneyEngine
import JourneyLanguage
import Logging
import Mustache
import NIOCore
import ServiceLifecycle

/// The Herald Console at `/console`: server-rendered pages (Mustache templates compiled into the
/// binary, ``ConsoleResources``; every value escaped), a journey map drawn as SVG by ``JourneyMapLayout``, and live
/// step counts over Server-Sent Events. All figures come from the counters the store keeps as the
/// engine commits (``ConsoleCounts``), never from scanning customers.
///
/// Access: sign in with one of the server's API keys; the session lives in an HttpOnly,
/// SameSite=Strict cookie (``ConsoleSessions``) and every state change carries the session's CSRF
/// token. Pages without a session redirect to the sign-in page; data and the stream answer 401.
struct HeraldConsole: Sendable {
    let store: any JourneyStore
    let registry: JourneyRegistry
    let apiKeys: [[UInt8]]
    let clock: ServiceClock
    let logger: Logger
    let sessions: ConsoleSessions
    let library: MustacheLibrary
    let assets: [String: (type: String, body: ByteBuffer)]
    /// How often an open stream reads the counters (a change reaches the page within this).
    let streamInterval: Duration
    /// What the streams read: one store read per half interval, however many streams are open.
    let streamCounts: ConsoleCountsCache
    /// Retry and discard of dead letters (the same operations as the API's).
    let deadLetterOperations: DeadLetterOperations

    /// Loads the templates and assets compiled into the module (``ConsoleResources``).
    init(
        store: any JourneyStore, registry: JourneyRegistry, apiKeys: [String], clock: ServiceClock, logger: Logger,
        deadLetterOperations: DeadLetterOperations, sessionLifetime: Double = 8 * 3_600, streamInterval: Duration = .milliseconds(500)
    ) throws {
        self.deadLetterOperations = deadLetterOperations
        self.store = store
        self.registry = registry
        self.apiKeys = apiKeys.map { Array($0.utf8) }
        self.clock = clock
        self.logger = logger
        self.sessions = ConsoleSessions(lifetime: sessionLifetime)
        self.streamInterval = streamInterval
        self.streamCounts = ConsoleCountsCache(store: store, maxAge: streamInterval / 2)
        // Compiled in by the EmbedConsoleResources plugin (Console/Resources): no bundle to find.
        var library = MustacheLibrary()
        for name in ["head", "foot", "login", "overview", "journey", "customer", "error"] {
            guard let text = ConsoleResources.files["templates/\(name).mustache"] else {
                throw ServiceConfiguration.Invalid(description: "the console's template \(name) is missing from the build")
            }
            try library.register(text, named: name)
        }
        self.library = library
        var assets: [String: (String, ByteBuffer)] = [:]
        for (name, type) in [("console.js", "text/javascript; charset=utf-8"), ("console.css", "text/css; charset=utf-8")] {
            guard let text = ConsoleResources.files["assets/\(name)"] else {
                throw ServiceConfiguration.Invalid(description: "the console's asset \(name) is missing from the build")
            }
            assets[name] = (type, ByteBuffer(string: text))
        }
        self.assets = assets
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/console/assets/:name") { _, context in try self.asset(context) }
        router.get("/console/login") { request, _ in self.loginPage(request, error: nil, status: .ok) }
        router.post("/console/login") { request, _ in try await self.login(request) }
        router.post("/console/logout") { request, _ in try await self.logout(request) }
        router.get("/console") { request, _ in try await self.page(request) { session in try await self.overview(session) } }
        router.get("/console/journeys/:name") { request, context in
            try await self.page(request) { session in try await self.journeyPage(request, context, session) }
        }
        router.get("/console/journeys/:name/counts") { request, context in try await self.counts(request, context) }
        router.post("/console/journeys/reload") { request, _ in try await self.reload(request) }
        router.post("/console/journeys/:name/pause") { request, context in try await self.pause(request, context, true) }
        router.post("/console/journeys/:name/resume") { request, context in try await self.pause(request, context, false) }
        router.get("/console/customers") { request, _ in
            try await self.page(request) { session in try await self.customerPage(request, session) }
        }
        router.get("/console/stream") { request, _ in try await self.stream(request) }
        router.post("/console/dead-letters/:id/retry") { request, context in try await self.resolveDeadLetter(request, context, retry: true) }
        router.post("/console/dead-letters/:id/discard") { request, context in
            try await self.resolveDeadLetter(request, context, retry: false)
        }
    }

    // MARK: Sessions

    private func session(_ request: Request) -> ConsoleSessions.Session? {
        sessions.session(request.cookies[ConsoleSessions.cookieName]?.value, now: clock.now())
    }

    /// A page: rendered for a signed-in session, else a redirect to the sign-in page.
    private func page(_ request: Request, _ render: (ConsoleSessions.Session) async throws -> Response) async throws -> Response {
        guard let session = session(request) else { return Response.redirect(to: "/console/login", type: .found) }
        do {
            return try await render(session)
        } catch let error as APIError {
            // As a page, not the API's JSON: the message (which may quote the request) escaped.
            let data = base("Error", session).merging(
                ["heading": error.status.reasonPhrase, "message": error.message], uniquingKeysWith: { $1 })
            return html(error.status, self.render("error", data))
        }
    }

    /// Data and streams without a session: 401.
    private func requireSession(_ request: Request) throws -> ConsoleSessions.Session {
        guard let session = session(request) else {
            throw APIError(.unauthorized, code: "unauthorized", message: "sign in to the console first (POST /console/login)")
        }
        return session
    }

    /// A state change: needs the session and its CSRF token in the form.
    private func requireChange(_ request: Request) async throws -> (ConsoleSessions.Session, [String: String]) {
        let session = try requireSession(request)
        let form = try await Self.form(request)
        guard let token = form["csrf"], BearerAuthMiddleware<BasicRequestContext>.constantTimeEqual(Array(token.utf8), Array(session.csrf.utf8))
        else {
            throw APIError(.forbidden, code: "csrf", message: "the form's CSRF token is missing or wrong: reload the page and try again")
        }
        return (session, form)
    }

    func login(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let presented = Array((form["api_key"] ?? "").utf8)
        var matched = false
        for key in apiKeys { matched = BearerAuthMiddleware<BasicRequestContext>.constantTimeEqual(presented, key) || matched }
        guard matched, !presented.isEmpty else {
            logger.notice("console: sign-in refused")
            return loginPage(request, error: "That API key is not valid.", status: .unauthorized)
        }
        let (token, _) = sessions.start(now: clock.now())
        logger.notice("console: signed in")
        var response = Response.redirect(to: "/console", type: .normal)
        response.headers[.setCookie] = sessions.cookie(token)
        return response
    }

    func logout(_ request: Request) async throws -> Response {
        _ = try await requireChange(request)
        if let token = request.cookies[ConsoleSessions.cookieName]?.value { sessions.end(token) }
        var response = Response.redirect(to: "/console/login", type: .normal)
        response.headers[.setCookie] = sessions.cookie(nil)
        return response
    }

    func loginPage(_ request: Request, error: String?, status: HTTPResponse.Status) -> Response {
        var data: [String: Any] = ["title": "Sign in", "signedIn": false]
        if let error { data["error"] = error }
        return html(status, render("login", data))
    }

    // MARK: Pages

    func overview(_ session: ConsoleSessions.Session, flash: String? = nil) async throws -> Response {
        guard let deployment = registry.current else {
            throw APIError(.serviceUnavailable, code: "not_ready", message: "no journeys are deployed yet")
        }
        let now = clock.now()
        let counts = ConsoleCounts(try await store.journeyCounters())
        var journeys: [[String: Any]] = []
        var decisions: [String: Int64] = [:]
        for program in deployment.catalog.journeys.sorted(by: { $0.name < $1.name }) {
            let name = program.name
            func total(_ metric: String) -> Int64 { counts.total(name, metric) }
            for metric in ["sent", "skipped", "deferred", "fell_back", "cancelled", "held"] { decisions[metric, default: 0] += total(metric) }
            journeys.append([
                "name": name, "path": Self.pathComponent(name), "title": program.title, "stage": program.stage?.rawValue ?? "",
                "priority": program.priority, "version": program.version, "shortVersion": String(program.version.prefix(12)),
                "live": counts.liveVersions(name).map { ["short": String($0.prefix(12)), "full": $0] },
                "paused": deployment.paused.contains(name),
                "entered": total("entered"), "enteredToday": counts.recent(name, "entered", days: 1, now: now),
                "entered7": counts.recent(name, "entered", days: 7, now: now), "active": total("waiting"),
                "converted": total("converted"), "convertedToday": counts.recent(name, "converted", days: 1, now: now),
                "converted7": counts.recent(name, "converted", days: 7, now: now),
                "medianToConvert": ConvertTimeHistogram.medianText(counts.convertTimes(name)),
                "sent": total("sent"), "skipped": total("skipped"), "deferred": total("deferred"), "fellBack": total("fell_back"),
            ])
        }
        let channels = Channel.allCases.map { channel -> [String: Any] in
            ["channel": channel.rawValue, "sent": counts.journeys.keys.reduce(Int64(0)) { $0 + counts.total($1, "sent:\(channel.rawValue)") }]
        }
        let decisionRows: [[String: Any]] = ["sent", "skipped", "deferred", "fell_back", "cancelled", "held"].map {
            ["kind": $0.replacingOccurrences(of: "_", with: " "), "count": decisions[$0] ?? 0]
        }

        // Health, from bounded index reads (no row counts): the store answers (and how fast), the
        // oldest queued event, the most overdue timer and the oldest due message are not old, and
        // the channels' recent dead letters (the newest 50) are few.
        var health: [[String: Any]] = []
        let everyShard = ShardOwnership(owner: "console", leases: [:], ownsAll: true)
        let started = ContinuousClock.now
        var letters: [DeadLetter] = []
        var oldestEvent: Double?
        var overdueTimer: Double?
        var dueMessage: Double?
        var storeAnswers = true
        do {
            async let queued = store.pendingInbox(after: 0, limit: 1, ownership: everyShard)
            async let timers = store.dueWakeUps(until: now, after: nil, limit: 1, ownership: everyShard)
            async let outbox = store.nextOutboxAttempt(ownership: everyShard)
            async let recent = store.deadLetters(before: nil, limit: 50)
            oldestEvent = try await queued.first?.item.acceptedAt
            overdueTimer = try await timers.first?.at
            dueMessage = try await outbox
            letters = try await recent
            let elapsed = ContinuousClock.now - started
            health.append([
                "part": "store", "status": "ok",
                "detail": "answered in \(Int((Self.seconds(elapsed) * 1000).rounded())) ms"
                    + (oldestEvent.map { " · oldest queued event \(Self.age(now - $0)) old" } ?? " · no event queued"),
            ])
        } catch {
            storeAnswers = false
            health.append(["part": "store", "status": "down", "detail": "the store does not answer: \(error)"])
        }
        let late = overdueTimer.map { now - $0 } ?? 0
        health.append([
            "part": "timer scheduler", "status": !storeAnswers ? "unknown" : late > Self.lateAfter ? "late" : "ok",
            "detail": overdueTimer == nil ? "no timer overdue" : "the most overdue timer is \(Self.age(late)) late",
        ])
        let dayAgo = now - 86_400
        let waiting = dueMessage.map { max(0, now - $0) }
        for channel in Channel.allCases {
            let recent = letters.filter { $0.message.channel == channel && $0.at >= dayAgo }.count
            health.append([
                "part": "channel \(channel.rawValue)", "status": !storeAnswers ? "unknown" : recent > 0 ? "degraded" : "ok",
                "detail": "\(recent)\(letters.count == 50 ? "+" : "") dead letters in the last 24 h · "
                    + (waiting.map { $0 > 0 ? "oldest due message (all channels) waits \(Self.age($0))" : "no message overdue" } ?? "outbox empty"),
            ])
        }
        let recentLetters: [[String: Any]] = letters.prefix(10).map {
            [
                "at": Value.formatTime($0.at), "customer": $0.message.customerID, "customerQuery": Self.queryValue($0.message.customerID),
                "channel": $0.message.channel.rawValue, "reason": $0.reason, "sequence": $0.sequence,
                "retried": $0.retriedAt != nil, "retriedAt": $0.retriedAt.map(Value.formatTime) ?? "",
            ]
        }
        let warnings = deployment.warnings.map { "\($0.file):\($0.line):\($0.column): \($0.severity): \($0.message)" }
        return html(
            .ok,
            render(
                "overview",
                base("Overview", session).merging(
                    [
                        "journeys": journeys, "channels": channels, "decisions": decisionRows, "health": health,
                        "deadLetters": counts.journeys[""]?[""]?.value(step: "", metric: JourneyCounter.openDeadLetters.metric) ?? 0,
                        "recentDeadLetters": recentLetters, "warnings": warnings,
                        "hasWarnings": !warnings.isEmpty, "deployedAt": Value.formatTime(deployment.deployedAt), "now": Value.formatTime(now),
                        "flash": flash ?? "",
                    ], uniquingKeysWith: { $1 })))
    }

    /// The program of `name` at `version` (the current one when `nil`), from the deployment or its archive.
    private func program(_ name: String, version: String?) throws -> (JourneyProgram, JourneyRegistry.Deployment) {
        guard let deployment = registry.current else {
            throw APIError(.serviceUnavailable, code: "not_ready", message: "no journeys are deployed yet")
        }
        guard let current = deployment.catalog.journeys.first(where: { $0.name == name }) else {
            throw APIError(.notFound, code: "unknown_journey", message: "no deployed journey is named \(name)")
        }
        guard let version, version != current.version else { return (current, deployment) }
        guard let old = deployment.archive.first(where: { $0.name == name && $0.version == version }) else {
            throw APIError(.notFound, code: "unknown_version", message: "journey \(name) has no version \(version)")
        }
        return (old, deployment)
    }

    func journeyPage(_ request: Request, _ context: BasicRequestContext, _ session: ConsoleSessions.Session) async throws -> Response {
        let name = try HeraldAPI.pathParameter(context, "name")
        let (program, deployment) = try program(name, version: request.uri.queryParameters.get("version"))
        let counts = ConsoleCounts(try await store.journeyCounters())
        let shown = counts.version(name, program.version)
        let layout = JourneyMapLayout(program, winners: deployment.winners)
        var versions: [String] = deployment.archive.filter { $0.name == name }.map(\.version)
        let current = deployment.catalog.journeys.first { $0.name == name }?.version ?? program.version
        if !versions.contains(current) { versions.append(current) }
        let entered = shown.value(step: "", metric: "entered")
        let converted = shown.value(step: "", metric: "converted")
        let rate = entered > 0 ? String(format: "%.1f%%", Double(converted) * 100 / Double(entered)) : "–"
        let mean = converted > 0 ? DurationText.format(Double(shown.value(step: "", metric: "convert_seconds")) / Double(converted)) : "–"
        let data: [String: Any] = [
            "name": name, "path": Self.pathComponent(name), "title": program.title, "header": JourneyGraph.header(program),
            "paused": deployment.paused.contains(name),
            "versions": versions.map { v -> [String: Any] in
                [
                    "version": v, "shortVersion": String(v.prefix(12)), "selected": v == program.version, "current": v == current,
                    "waiting": counts.version(name, v).total("waiting"),
                ]
            },
            "entered": entered, "converted": converted, "conversionRate": rate, "meanTimeToConvert": mean,
            "medianTimeToConvert": ConvertTimeHistogram.medianText(ConvertTimeHistogram.buckets(shown.steps[""] ?? [:])),
            "rules": layout.rules, "hasRules": !layout.rules.isEmpty,
            "streamURL": "/console/stream?journey=\(Self.queryValue(name))&version=\(Self.queryValue(program.version))",
            "svg": JourneyMapSVG.render(layout, counts: shown, highlight: request.uri.queryParameters.get("step")),
        ]
        return html(.ok, render("journey", base(name, session).merging(data, uniquingKeysWith: { $1 })))
    }

    func customerPage(_ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
        let id = request.uri.queryParameters.get("id").map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        var data = base("Customer", session)
        data["customerQuery"] = id
        guard !id.isEmpty else { return html(.ok, render("customer", data.merging(["found": false], uniquingKeysWith: { $1 }))) }
        data["id"] = id
        guard let stored = try await store.loadCustomers([id])[id] else {
            return html(.notFound, render("customer", data.merging(["found": false], uniquingKeysWith: { $1 })))
        }
        async let log = store.customerLog(customerID: id, limit: 200)
        async let messages = store.outbox(customerID: id, limit: 100)
        let profile = stored.state.profile
        func text(_ value: Value) -> String {
            if case .string(let s) = value { return s }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        data["found"] = true
        data["email"] = profile.email ?? "–"
        data["phone"] = profile.phone ?? "–"
        data["timeZone"] = profile.timeZone ?? "–"
        data["subscriptions"] = profile.subscriptions.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value ? "yes" : "no"] }
        data["attributes"] = profile.attributes.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": text($0.value)] }
        data["instances"] = stored.state.instances.map { instance -> [String: Any] in
            let status: String
            switch instance.status {
            case .active: status = instance.heldSince == nil ? "waiting" : "held (journey paused)"
            case .finished(let reason, let at): status = "left at \(Value.formatTime(at)): \(reason)"
            }
            return [
                "journey": instance.journey, "path": Self.pathComponent(instance.journey), "version": instance.version,
                "versionQuery": Self.queryValue(instance.version), "step": instance.step, "stepQuery": Self.queryValue(instance.step),
                "status": status,
                "enteredAt": Value.formatTime(instance.enteredAt),
            ]
        }
        data["timeline"] = try await log.sorted { $0.at > $1.at }.map { entry -> [String: Any] in
            ["at": Value.formatTime(entry.at), "kind": entry.kind, "journey": entry.journey ?? "", "summary": entry.summary]
        }
        data["messages"] = try await messages.map { status -> [String: Any] in
            [
                "at": Value.formatTime(status.message.at), "journey": status.message.journey, "step": status.message.step,
                "channel": status.message.channel.rawValue, "message": status.message.message, "state": status.state.rawValue,
                "attempts": status.attempts, "lastError": status.lastError ?? "",
            ]
        }
        return html(.ok, render("customer", data))
    }

    // MARK: Data, stream, operations

    func counts(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        _ = try requireSession(request)
        let name = try HeraldAPI.pathParameter(context, "name")
        let (program, _) = try program(name, version: request.uri.queryParameters.get("version"))
        return JSONResponse.make(.ok, ConsoleCounts(try await store.journeyCounters()).version(name, program.version).json)
    }

    /// `text/event-stream` of a journey version's counts: an event `counts` at once and whenever
    /// a counter changes, a comment every few seconds so a closed connection is noticed, and an
    /// end after `maxStream` (the browser reconnects) or on graceful shutdown.
    func stream(_ request: Request) async throws -> Response {
        _ = try requireSession(request)
        let query = request.uri.queryParameters
        guard let name = query.get("journey") else {
            throw APIError.invalid([ValidationProblem(path: "journey", message: "name the journey: ?journey=<name>")])
        }
        let (program, _) = try program(name, version: query.get("version"))
        let version = program.version
        let shared = streamCounts
        let interval = streamInterval
        let heartbeatEvery = max(1, Int((3.0 / Self.seconds(interval)).rounded()))
        let (events, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(8))
        // An unstructured task keeps the request's task-locals, so it ends on graceful shutdown too;
        // it ends when the client goes away (the body stops being read and the stream terminates).
        let producer = Task {
            try? await cancelWhenGracefulShutdown {
                var last: ConsoleCounts.Version?
                var quiet = 0
                let started = ContinuousClock.now
                continuation.yield(ByteBuffer(string: "retry: 1000\n\n"))
                while ContinuousClock.now - started < .seconds(300), !Task.isCancelled {
                    let counts = ConsoleCounts(try await shared.counters()).version(name, version)
                    if counts != last {
                        continuation.yield(ByteBuffer(string: "event: counts\ndata: \(Self.json(counts.json))\n\n"))
                        last = counts
                        quiet = 0
                    } else {
                        quiet += 1
                        if quiet >= heartbeatEvery {
                            continuation.yield(ByteBuffer(string: ": keep-alive\n\n"))
                            quiet = 0
                        }
                    }
                    try await Task.sleep(for: interval)
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        let body = ResponseBody(asyncSequence: events)
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"], body: body)
    }

    func pause(_ request: Request, _ context: BasicRequestContext, _ paused: Bool) async throws -> Response {
        _ = try await requireChange(request)
        let name = try HeraldAPI.pathParameter(context, "name")
        do {
            try await registry.setPaused(name, paused)
        } catch is JourneyRegistry.UnknownJourney {
            throw APIError(.notFound, code: "unknown_journey", message: "no deployed journey is named \(name)")
        }
        logger.notice("console: journey \(paused ? "paused" : "resumed")", metadata: ["journey": "\(name)"])
        return Response.redirect(to: "/console/journeys/\(Self.pathComponent(name))", type: .normal)
    }

    /// Checks and deploys the journeys directory again (as `POST /v1/journeys/reload`); a refusal
    /// shows the diagnostics and keeps the running version.
    func reload(_ request: Request) async throws -> Response {
        let (session, _) = try await requireChange(request)
        do {
            let report = try await registry.reload()
            let changed = report.journeys.filter { $0.status != "unchanged" }.map { "\($0.name) \($0.status)" }
            logger.notice("console: journeys reloaded", metadata: ["changes": "\(changed.joined(separator: ", "))"])
            let summary = changed.isEmpty ? "no journey changed" : changed.joined(separator: ", ")
            return try await overview(session, flash: "Journeys reloaded: \(summary).")
        } catch let refused as JourneyRegistry.Refused {
            logger.notice("console: journeys reload refused", metadata: ["errors": "\(refused.diagnostics.count)"])
            let data = base("Reload refused", session).merging(
                [
                    "heading": "Reload refused",
                    "message": "The journeys did not pass the check; the running version stays deployed.",
                    "diagnostics": refused.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.severity): \($0.message)" },
                ], uniquingKeysWith: { $1 })
            return html(.unprocessableContent, render("error", data))
        }
    }

    /// Retries or discards a dead letter (confirmed in the browser, CSRF-checked, logged): the
    /// overview again with what was done, or the error as a page (unknown 404, already retried 409).
    func resolveDeadLetter(_ request: Request, _ context: BasicRequestContext, retry: Bool) async throws -> Response {
        let (session, _) = try await requireChange(request)
        do {
            let sequence = try DeadLetterOperations.sequence(try context.parameters.require("id"))
            let letter =
                retry
                ? try await deadLetterOperations.retry(sequence, by: "console", logger: logger)
                : try await deadLetterOperations.discard(sequence, by: "console", logger: logger)
            let done = retry ? "put back in the outbox, due now" : "discarded"
            return try await overview(
                session, flash: "Dead letter \(sequence) (message \(letter.message.id) to \(letter.message.customerID)) \(done).")
        } catch let error as APIError {
            let data = base("Error", session).merging(
                ["heading": error.status.reasonPhrase, "message": error.message], uniquingKeysWith: { $1 })
            return html(error.status, render("error", data))
        }
    }

    func asset(_ context: BasicRequestContext) throws -> Response {
        let name = try context.parameters.require("name")
        guard let asset = assets[name] else { throw APIError.notFound("no console asset named \(name)") }
        return Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: "max-age=300"], body: .init(byteBuffer: asset.body))
    }

    // MARK: Rendering

    private func base(_ title: String, _ session: ConsoleSessions.Session) -> [String: Any] {
        ["title": title, "signedIn": true, "csrf": session.csrf]
    }

    private func render(_ template: String, _ data: [String: Any]) -> String {
        library.render(data, withTemplate: template) ?? ""
    }

    private func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A timer later than this is "late" on the overview.
    static let lateAfter = 30.0

    /// `42 s`, `3 min`, `2 h 5 min` (whole seconds).
    static func age(_ seconds: Double) -> String {
        seconds < 60 ? "\(Int(max(0, seconds).rounded())) s" : DurationText.format(seconds.rounded())
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func json(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// A journey name as one path segment.
    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? text
    }

    /// A query parameter value.
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// An `application/x-www-form-urlencoded` body (at most 16 KiB).
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 16_384)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
