import Foundation
import HTTPTypes
import HeraldService
import HeraldTestSupport
import HummingbirdTesting
import JourneyEngine
import JourneyLanguage
import NIOCore
import Testing

/// The console in a real server: sign-in, the pages with their counts, live counts over
/// Server-Sent Events, CSRF-checked operations, and escaping of what customers send in.
struct ConsoleTests {
    static let start = 1_795_000_000.0  // Wed 2026-11-18 11:06:40 UTC

    /// One console request; returns status, headers and body.
    struct Page {
        var status: Int
        var headers: HTTPFields
        var body: String
    }

    static func call(
        port: Int, _ method: HTTPRequest.Method, _ path: String, cookie: String? = nil, form: String? = nil
    ) async throws -> Page {
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30))) { client in
            var headers: HTTPFields = [:]
            if let cookie { headers[.cookie] = cookie }
            if form != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
            let response = try await client.execute(
                TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: form.map { ByteBuffer(string: $0) }))
            return Page(
                status: Int(response.head.status.code), headers: response.head.headerFields, body: response.body.map { String(buffer: $0) } ?? "")
        }
    }

    /// Signs in with the test API key; returns the session cookie (`name=value`) and the CSRF token.
    static func signIn(port: Int) async throws -> (cookie: String, csrf: String) {
        let reply = try await call(port: port, .post, "/console/login", form: "api_key=\(TestServer.apiKey)")
        #expect(reply.status == 303)
        let setCookie = try #require(reply.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Max-Age="))
        let cookie = String(try #require(setCookie.split(separator: ";").first))
        let overview = try await call(port: port, .get, "/console", cookie: cookie)
        #expect(overview.status == 200)
        let csrf = try #require(overview.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
        return (cookie, String(csrf))
    }

    @Test func everyRouteAndTheStreamRefuseARequestWithoutASession() async throws {
        try await TestServer.withServer { port, _ in
            for path in ["/console", "/console/journeys/pings", "/console/customers?id=x"] {
                let page = try await Self.call(port: port, .get, path)
                #expect(page.status == 302, "\(path) redirects to sign-in")
                #expect(page.headers[.location] == "/console/login")
            }
            for path in ["/console/journeys/pings/counts", "/console/stream?journey=pings"] {
                #expect(try await Self.call(port: port, .get, path).status == 401, "\(path) needs a session")
                #expect(try await Self.call(port: port, .get, path, cookie: "herald_console=forged").status == 401)
            }
            #expect(try await Self.call(port: port, .post, "/console/journeys/pings/pause", form: "csrf=x").status == 401)
            // The API's bearer key is no session, and the console's paths do not open the API.
            let bearer = try await HTTPCall.send(port: port, .get, "/console/journeys/pings/counts")
            #expect(bearer.status == 401)
            #expect(try await HTTPCall.send(port: port, .get, "/v1/journeys", apiKey: nil).status == 401)
            // A wrong key is refused with the sign-in page again, and no cookie.
            let wrong = try await Self.call(port: port, .post, "/console/login", form: "api_key=nope")
            #expect(wrong.status == 401)
            #expect(wrong.headers[.setCookie] == nil)
            #expect(wrong.body.contains("That API key is not valid."))
            // The assets carry no data: open.
            #expect(try await Self.call(port: port, .get, "/console/assets/console.js").body.contains("EventSource"))
            // Signed out: the session no longer opens anything.
            let session = try await Self.signIn(port: port)
            #expect(try await Self.call(port: port, .post, "/console/logout", cookie: session.cookie, form: "csrf=\(session.csrf)").status == 303)
            #expect(try await Self.call(port: port, .get, "/console", cookie: session.cookie).status == 302)
        }
    }

    /// The console's templates, script and style sheet are compiled into the binary (the
    /// EmbedConsoleResources plugin): every file under Console/Resources is embedded as it is, and
    /// the server serves the assets byte for byte, with no resource bundle to find beside `herald`.
    @Test func theEmbeddedResourcesAreTheSourceFilesAndAreServedAsTheyAre() async throws {
        let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/HeraldService/Console/Resources")
        var sources: [String: String] = [:]
        let enumerator = try #require(FileManager.default.enumerator(at: resources, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let relative = String(url.standardizedFileURL.path.dropFirst(resources.standardizedFileURL.path.count + 1))
            sources[relative] = try String(contentsOf: url, encoding: .utf8)
        }
        #expect(sources.count >= 9, "\(sources.keys.sorted())")
        #expect(Set(ConsoleResources.files.keys) == Set(sources.keys))
        for (name, text) in sources { #expect(ConsoleResources.files[name] == text, "\(name) is embedded as it is") }
        #expect(try JourneyMap.styleSheet() == sources["assets/console.css"])
        let assets = sources
        try await TestServer.withServer { port, _ in
            for name in ["console.js", "console.css"] {
                let served = try await Self.call(port: port, .get, "/console/assets/\(name)")
                #expect(served.status == 200)
                #expect(served.body == assets["assets/\(name)"], "/console/assets/\(name) is the source file")
            }
            #expect(try await Self.call(port: port, .get, "/console/assets/nope.js").status == 404)
        }
    }

    @Test func aStateChangeWithoutTheCSRFTokenIsRefusedAndChangesNothing() async throws {
        try await TestServer.withServer { port, server in
            let session = try await Self.signIn(port: port)
            let missing = try await Self.call(port: port, .post, "/console/journeys/pings/pause", cookie: session.cookie, form: "")
            #expect(missing.status == 403)
            let wrong = try await Self.call(port: port, .post, "/console/journeys/pings/pause", cookie: session.cookie, form: "csrf=0000")
            #expect(wrong.status == 403)
            #expect(server.registry.current?.paused.isEmpty == true, "nothing was paused")
            let paused = try await Self.call(port: port, .post, "/console/journeys/pings/pause", cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(paused.status == 303)
            #expect(server.registry.current?.paused == ["pings"])
            let map = try await Self.call(port: port, .get, "/console/journeys/pings", cookie: session.cookie)
            #expect(map.body.contains(#"<span class="paused">paused</span>"#))
            let unknown = try await Self.call(
                port: port, .post, "/console/journeys/nope/resume", cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(unknown.status == 404)
        }
    }

    @Test func reloadFromTheConsoleDeploysOrShowsTheDiagnostics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-console-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try JourneyFixture.service.write(to: directory)
        try await TestServer.withServer(journeys: directory) { port, server in
            let session = try await Self.signIn(port: port)
            #expect(try await Self.call(port: port, .post, "/console/journeys/reload", cookie: session.cookie, form: "").status == 403)
            let same = try await Self.call(port: port, .post, "/console/journeys/reload", cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(same.status == 200)
            #expect(same.body.contains("Journeys reloaded: no journey changed."))
            try "journey broken \"<b>Broken</b>\"\n  trigger on event \"x\"\n  send email nope_missing\n".write(
                to: directory.appendingPathComponent("broken.journey"), atomically: true, encoding: .utf8)
            let refused = try await Self.call(port: port, .post, "/console/journeys/reload", cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(refused.status == 422)
            #expect(refused.body.contains("the running version stays deployed"))
            #expect(refused.body.contains("broken.journey:"), "the diagnostics are listed: \(refused.body)")
            #expect(server.registry.current?.catalog.journeys.contains { $0.name == "broken" } == false)
        }
    }

    @Test func overviewMapAndCustomerPageShowTheCountsAndReasons() async throws {
        let clock = Locked(Self.start)
        try await TestServer.withClockedServer(clock: clock) { port, server, settle in
            let session = try await Self.signIn(port: port)
            #expect(
                try await HTTPCall.send(port: port, .put, "/v1/customers/c1", body: #"{"email": "c1@example.com", "time_zone": "Europe/London"}"#)
                    .status == 200)
            let event = #"{"id": "e1", "customer_id": "c1", "name": "cart.updated", "properties": {"items": 2}, "timestamp": \#(Self.start)}"#
            #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: event).status == 202)
            try await settle()

            let overview = try await Self.call(port: port, .get, "/console", cookie: session.cookie)
            #expect(overview.status == 200)
            for name in ["cart_abandonment", "welcome_series", "win_back", "store", "timer scheduler", "channel email"] {
                #expect(overview.body.contains(name), "the overview shows \(name)")
            }
            let row = try #require(overview.body.firstMatch(of: /<tr data-journey="cart_abandonment">(?s:.*?)<\/tr>/)?.0)
            let numbers = row.matches(of: /<td class="n">(\d+)<\/td>/).map { Int($0.1)! }
            // entered, today, 7 days, active, converted, today, 7 days, sent, skipped, deferred, fell back
            #expect(numbers == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], "\(numbers)")

            let map = try await Self.call(port: port, .get, "/console/journeys/cart_abandonment", cookie: session.cookie)
            #expect(map.status == 200)
            #expect(map.body.contains("<svg"))
            #expect(map.body.contains("send email cart_reminder"))
            #expect(map.body.contains("goal event"), "the journey's rules are shown")
            let program = try #require(server.registry.current?.catalog.journeys.first { $0.name == "cart_abandonment" })
            let customer = try #require(try await server.store.loadCustomers(["c1"])["c1"])
            let step = try #require(customer.state.instances.first?.step)
            #expect(map.body.contains(#"data-step="\#(step)" data-metric="waiting">1</tspan>"#), "one customer waits at \(step)")
            let counts = try #require(
                try JSONDecoder().decode(
                    Value.self,
                    from: Data(try await Self.call(port: port, .get, "/console/journeys/cart_abandonment/counts", cookie: session.cookie).body.utf8)))
            #expect(counts["steps"][step]["waiting"].number == 1)
            #expect(counts["steps"][""]["entered"].number == 1)
            #expect(map.body.contains(#"option value="\#(program.version)" selected"#))

            // The timer fires: the waiting gauge moves with the customer, it does not grow.
            clock.withLock { $0 = Self.start + 3_601 }
            try await settle()
            let moved = try #require(try await server.store.loadCustomers(["c1"])["c1"]?.state.instances.first?.step)
            #expect(moved != step)
            let after = ConsoleCountsProbe(try await server.store.journeyCounters(), journey: "cart_abandonment", version: program.version)
            #expect(after.waiting(step) == 0)
            #expect(after.waiting(moved) == 1)
            #expect(after.totalWaiting == 1)

            let page = try await Self.call(port: port, .get, "/console/customers?id=c1", cookie: session.cookie)
            #expect(page.status == 200)
            #expect(page.body.contains("entered cart_abandonment on event cart.updated"), "the timeline says why")
            #expect(page.body.contains(moved))
            // The instance links to its place on the map, which marks the step.
            let link = try #require(page.body.firstMatch(of: /href="(\/console\/journeys\/cart_abandonment\?version=[^"]+)"/)?.1)
            let placed = try await Self.call(port: port, .get, String(link).replacingOccurrences(of: "&amp;", with: "&"), cookie: session.cookie)
            #expect(placed.body.contains(#"class="node kind-wait highlight" data-node="#), "the customer's step is marked")
            #expect(placed.body.components(separatedBy: " highlight\"").count == 2, "one step is marked")
            let missing = try await Self.call(port: port, .get, "/console/customers?id=nobody", cookie: session.cookie)
            #expect(missing.status == 404)
            #expect(missing.body.contains("No customer with id"))

            // The goal an hour later: the median time to convert comes from the histogram's bucket.
            let goal = #"{"id": "e2", "customer_id": "c1", "name": "order.completed", "timestamp": \#(Self.start + 3_700)}"#
            clock.withLock { $0 = Self.start + 3_700 }
            #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: goal).status == 202)
            try await settle()
            let converted = try await Self.call(port: port, .get, "/console/journeys/cart_abandonment", cookie: session.cookie)
            #expect(converted.body.contains("1h 1m 40s mean time to convert"))
            // 3 700 s falls in [2896, 4096): one conversion, so the middle of that bucket.
            #expect(converted.body.contains("≈ 58m 16s median time to convert (from buckets)"))
            let overviewAfter = try await Self.call(port: port, .get, "/console", cookie: session.cookie)
            #expect(overviewAfter.body.contains(#"<td class="n">≈ 58m 16s</td>"#))
        }
    }

    @Test func userControlledStringsAreEscaped() async throws {
        let clock = Locked(Self.start)
        try await TestServer.withClockedServer(clock: clock) { port, _, settle in
            let session = try await Self.signIn(port: port)
            let id = "<script>alert(1)</script>"
            let path = "/v1/customers/" + id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let profile = #"{"email": "x@example.com", "attributes": {"name": "<img src=x onerror=alert(2)>"}}"#
            #expect(try await HTTPCall.send(port: port, .put, path, body: profile).status == 200)
            try await settle()
            let query = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let page = try await Self.call(port: port, .get, "/console/customers?id=\(query)", cookie: session.cookie)
            #expect(page.status == 200)
            #expect(!page.body.contains("<script>alert"), "the id is escaped")
            #expect(!page.body.contains("<img src=x"), "the attribute is escaped")
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            let unknown = try await Self.call(port: port, .get, "/console/journeys/%3Cscript%3E", cookie: session.cookie)
            #expect(unknown.status == 404)
            #expect(!unknown.body.contains("<script>"))
            #expect(unknown.body.contains("no deployed journey is named &lt;script&gt;"))
        }
    }

    @Test func theStreamDeliversNewCountsAfterAnEventIsPosted() async throws {
        let clock = Locked(Self.start)
        try await TestServer.withClockedServer(clock: clock) { port, _, settle in
            let session = try await Self.signIn(port: port)
            let connection = try RawConnection(port: port)
            #expect(
                await connection.send(
                    "GET /console/stream?journey=cart_abandonment HTTP/1.1\r\nHost: localhost\r\nCookie: \(session.cookie)\r\n\r\n"))
            @Sendable func events() -> [String] {
                connection.poll()
                return connection.text.components(separatedBy: "\n\n").filter { $0.contains("event: counts") }
            }
            #expect(try await TestServer.eventually { events().count == 1 }, "the first counts arrive at once: \(connection.text)")
            #expect(connection.text.contains("text/event-stream"))
            #expect(events().first?.contains(#""entered":1"#) == false)
            #expect(try await HTTPCall.send(port: port, .put, "/v1/customers/s1", body: #"{"email": "s1@example.com"}"#).status == 200)
            let event = #"{"id": "s-e1", "customer_id": "s1", "name": "cart.updated", "properties": {"items": 1}, "timestamp": \#(Self.start)}"#
            #expect(try await HTTPCall.send(port: port, .post, "/v1/events", body: event).status == 202)
            try await settle()
            #expect(
                try await TestServer.eventually { events().contains { $0.contains(#""entered":1"#) } },
                "an update with the entry arrives without a new request: \(connection.text)")
        }
    }
}

/// The `waiting` gauge of one journey version, read from the store's counters.
struct ConsoleCountsProbe {
    var waiting: [String: Int64] = [:]
    init(_ counters: [JourneyCounter: Int64], journey: String, version: String) {
        for (counter, count) in counters where counter.journey == journey && counter.version == version && counter.metric == "waiting" {
            waiting[counter.step, default: 0] += count
        }
    }
    func waiting(_ step: String) -> Int64 { waiting[step] ?? 0 }
    var totalWaiting: Int64 { waiting.values.reduce(0, +) }
}
