import Foundation
import HTTPTypes
import HeraldService
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Synchronization
import Testing

/// The HTTP API against a running server (SQLite, every service running) on a loopback port.
struct HTTPAPITests {
    typealias Call = HTTPCall

    @Test func healthIsOpenEverythingElseNeedsTheKey() async throws {
        try await TestServer.withServer { port, _ in
            #expect(try await Call.send(port: port, .get, "/healthz", apiKey: nil).status == 200)
            for path in ["/readyz", "/metrics", "/v1/journeys", "/v1/dead-letters", "/v1/customers/x"] {
                let reply = try await Call.send(port: port, .get, path, apiKey: nil)
                #expect(reply.status == 401, "\(path)")
                #expect(reply.json?["error"]["code"].string == "unauthorized")
            }
            let wrong = try await Call.send(port: port, .get, "/v1/journeys", apiKey: "test-key-0124")
            #expect(wrong.status == 401)
            #expect(try await Call.send(port: port, .get, "/readyz").status == 200)
        }
    }

    @Test func eventsAreAcknowledgedOnceAndProcessedOnce() async throws {
        try await TestServer.withServer { port, _ in
            let first = try await Call.send(
                port: port, .post, "/v1/events", body: #"{"id": "e1", "customer_id": "c1", "name": "ping"}"#)
            #expect(first.status == 202)
            #expect(first.json?["accepted"].number == 1)
            let again = try await Call.send(
                port: port, .post, "/v1/events",
                body:
                    #"{"events": [{"id": "e1", "customer_id": "c1", "name": "ping"}, {"id": "e2", "customer_id": "c1", "name": "later", "properties": {"delay": 0.2}, "timestamp": "2026-11-23T09:00:00Z"}]}"#
            )
            #expect(again.status == 202)
            #expect(again.json?["duplicates"].number == 1)
            #expect(again.json?["events"].array.first?["status"].string == "duplicate")

            let delivered = try await TestServer.eventually {
                let customer = try await Call.send(port: port, .get, "/v1/customers/c1").json
                return customer?["profile"]["attributes"]["delivered"].number == 2
            }
            #expect(delivered, "the ping and the timer's message are delivered")
            let customer = try #require(try await Call.send(port: port, .get, "/v1/customers/c1").json)
            // e1 (twice acknowledged) and e2 were each handled once.
            #expect(customer["profile"]["attributes"]["pings"].number == 1)
            #expect(customer["profile"]["attributes"]["laters"].number == 1)
            #expect(customer["messages"].array.compactMap { $0["message"].string }.sorted() == ["later", "ping"])
            #expect(customer["recent_decisions"].array.filter { $0["kind"].string == "decision" }.count == 2)
            #expect(customer["next_wake_at"] == .null)
        }
    }

    @Test func customersAreCreatedShownAndErased() async throws {
        try await TestServer.withServer { port, _ in
            let put = try await Call.send(
                port: port, .put, "/v1/customers/ada",
                body:
                    #"{"email": "ada@example.com", "phone": "+447700900123", "time_zone": "Europe/London", "subscriptions": {"sms": false}, "attributes": {"lifetime_value": 900}}"#
            )
            #expect(put.status == 200)
            #expect(put.json?["profile"]["time_zone"].string == "Europe/London")
            #expect(put.json?["profile"]["attributes"]["lifetime_value"].number == 900)
            #expect(put.json?["profile"]["subscriptions"]["sms"] == .bool(false))

            _ = try await Call.send(port: port, .post, "/v1/events", body: #"{"customer_id": "ada", "name": "ping"}"#)
            #expect(
                try await TestServer.eventually {
                    try await Call.send(port: port, .get, "/v1/customers/ada").json?["messages"].array.count == 1
                })
            #expect(try await Call.send(port: port, .delete, "/v1/customers/ada").status == 204)
            let gone = try await Call.send(port: port, .get, "/v1/customers/ada")
            #expect(gone.status == 404)
            #expect(gone.json?["error"]["code"].string == "not_found")
        }
    }

    @Test(arguments: [
        (#"{"customer_id": "#, 400, "invalid_json"),
        ("", 400, "invalid_json"),
        (#"{"customer_id": 7, "name": "x"}"#, 422, "invalid_request"),
        (#"{"name": "x"}"#, 422, "invalid_request"),
        (#"{"customer_id": "c", "name": "x", "properties": [1]}"#, 422, "invalid_request"),
        (#"{"customer_id": "c", "name": "x", "timestamp": "yesterday"}"#, 422, "invalid_request"),
        (#"{"customer_id": "c", "name": "x", "colour": "red"}"#, 422, "invalid_request"),
        (#"{"customer_id": "", "name": "x"}"#, 422, "invalid_request"),
        (#"[]"#, 422, "invalid_request"),
        (#"[{"customer_id": "c", "name": "ok"}, {"customer_id": "c"}]"#, 422, "invalid_request"),
        (#""just a string""#, 422, "invalid_request"),
    ])
    func badEventsAreRefusedAndChangeNothing(body: String, status: Int, code: String) async throws {
        try await TestServer.withServer { port, server in
            let reply = try await Call.send(port: port, .post, "/v1/events", body: body)
            #expect(reply.status == status, "\(body) → \(reply.body)")
            #expect(reply.json?["error"]["code"].string == code)
            #expect(reply.json?["error"]["message"].string?.isEmpty == false)
            let statistics = try await server.store.statistics(now: Date().timeIntervalSince1970)
            #expect(statistics.pendingInbox == 0 && statistics.customers == 0, "nothing was stored")
        }
    }

    @Test func oversizedBodiesAndBatchesAreRefused() async throws {
        try await TestServer.withServer(configure: { $0.limits.maxBodyBytes = 64 * 1024 }) { port, server in
            let event = #"{"customer_id": "c", "name": "viewed"}"#
            let tenThousand = "[" + Array(repeating: event, count: 10_000).joined(separator: ",") + "]"
            let big = try await Call.send(port: port, .post, "/v1/events", body: tenThousand)
            #expect(big.status == 413)
            #expect(big.json?["error"]["code"].string == "body_too_large")
            let thousandOne = "[" + Array(repeating: #"{"customer_id":"c","name":"v"}"#, count: 1_001).joined(separator: ",") + "]"
            let many = try await Call.send(port: port, .post, "/v1/events", body: thousandOne)
            #expect(many.status == 413)
            #expect(many.json?["error"]["code"].string == "batch_too_large")
            let statistics = try await server.store.statistics(now: Date().timeIntervalSince1970)
            #expect(statistics.pendingInbox == 0 && statistics.customers == 0)
        }
    }

    @Test func badProfilesAreRefused() async throws {
        try await TestServer.withServer { port, _ in
            for body in [
                #"{"time_zone": "Mars/Olympus_Mons"}"#, #"{"email": 5}"#, #"{"email": "not an address"}"#,
                #"{"subscriptions": {"email": "yes"}}"#, #"{"attributes": []}"#, #"[]"#, #"{"id": "someone-else"}"#,
            ] {
                let reply = try await Call.send(port: port, .put, "/v1/customers/c9", body: body)
                #expect(reply.status == 422, "\(body)")
                #expect(reply.json?["error"]["details"].array.isEmpty == false)
            }
            #expect(try await Call.send(port: port, .get, "/v1/customers/c9").status == 404)
        }
    }

    @Test func journeysReloadPauseAndRefusal() async throws {
        let journeys = FileManager.default.temporaryDirectory.appendingPathComponent("herald-journeys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: journeys) }
        @Sendable func fixture(_ journeys: [String], step: String = "exit \"done\"") -> JourneyFixture {
            var files = ["policy": "policy\n  time zone \"UTC\"\n"]
            for name in journeys { files[name] = JourneyFixture.journey(name, on: "signed_up", steps: [step]) }
            return JourneyFixture(journeys: files, webhooks: [:])
        }
        try fixture(["welcome", "winback"]).write(to: journeys)
        try await TestServer.withServer(journeys: journeys) { port, _ in
            let list = try #require(try await Call.send(port: port, .get, "/v1/journeys").json)
            #expect(list["journeys"].array.compactMap { $0["name"].string } == ["welcome", "winback"])
            let v1 = try #require(list["journeys"].array.first?["version"].string)

            #expect(try await Call.send(port: port, .post, "/v1/journeys/winback/pause").json?["paused"] == .bool(true))
            let paused = try #require(try await Call.send(port: port, .get, "/v1/journeys").json)
            #expect(paused["journeys"].array.last?["paused"] == .bool(true))
            #expect(try await Call.send(port: port, .post, "/v1/journeys/winback/resume").status == 200)
            let unknown = try await Call.send(port: port, .post, "/v1/journeys/nope/pause")
            #expect(unknown.status == 404)
            #expect(unknown.json?["error"]["code"].string == "unknown_journey")

            // A journey that does not check: the reload is refused and the running version stays.
            try "journey welcome \"welcome\"\n  trigger on event \"signed_up\"\n  entry always\n\n  send carrier_pigeon hello\n"
                .write(to: journeys.appendingPathComponent("welcome.journey"), atomically: true, encoding: .utf8)
            let refused = try await Call.send(port: port, .post, "/v1/journeys/reload")
            #expect(refused.status == 422)
            #expect(refused.json?["error"]["code"].string == "journeys_invalid")
            #expect(refused.json?["error"]["details"].array.first?["line"].number == 5)
            #expect(try await Call.send(port: port, .get, "/v1/journeys").json?["journeys"].array.count == 2)

            try FileManager.default.removeItem(at: journeys)
            try fixture(["welcome"], step: "exit \"done twice\"").write(to: journeys)
            let reloaded = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload").json)
            let statuses = Dictionary(
                uniqueKeysWithValues: reloaded["journeys"].array.map { ($0["name"].string ?? "", $0["status"].string ?? "") })
            #expect(statuses == ["welcome": "changed", "winback": "removed"])
            let after = try #require(try await Call.send(port: port, .get, "/v1/journeys").json)
            let versions = after["journeys"].array.first?["versions"].array.compactMap(\.string) ?? []
            #expect(versions.count == 2 && versions.first == v1, "both versions are kept, the first one first: \(versions)")
        }
    }

    @Test func failedDeliveriesAreRetriedOrDeadLettered() async throws {
        try await TestServer.withServer { port, _ in
            _ = try await Call.send(
                port: port, .post, "/v1/events",
                body: #"[{"customer_id": "dead-1", "name": "ping"}, {"customer_id": "flaky-1", "name": "ping"}]"#)
            #expect(
                try await TestServer.eventually {
                    let letters = try await Call.send(port: port, .get, "/v1/dead-letters").json?["dead_letters"].array ?? []
                    return letters.count == 1
                })
            let letter = try #require(try await Call.send(port: port, .get, "/v1/dead-letters?limit=10").json?["dead_letters"].array.first)
            #expect(letter["customer_id"].string == "dead-1")
            #expect(letter["reason"].string?.contains("410") == true)
            #expect(
                try await TestServer.eventually {
                    let dead = try await Call.send(port: port, .get, "/v1/customers/dead-1").json
                    let flaky = try await Call.send(port: port, .get, "/v1/customers/flaky-1").json
                    return dead?["profile"]["attributes"]["failed"].number == 1
                        && flaky?["profile"]["attributes"]["delivered"].number == 1
                }, "message.failed and message.delivered are fed back to the engine")
            #expect(try await Call.send(port: port, .get, "/v1/dead-letters?limit=0").status == 422)
        }
    }

    @Test func metricsAndErrorsForUnknownRoutes() async throws {
        try await TestServer.withServer { port, _ in
            _ = try await Call.send(port: port, .post, "/v1/events", body: #"{"customer_id": "m", "name": "ping"}"#)
            let metrics = try await Call.send(port: port, .get, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("herald_events_accepted_total 1"))
            let missing = try await Call.send(port: port, .get, "/v1/nothing")
            #expect(missing.status == 404)
            #expect(missing.json?["error"]["code"].string == "not_found")
        }
    }
}
