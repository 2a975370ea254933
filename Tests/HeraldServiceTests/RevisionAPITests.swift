import Foundation
import HTTPTypes
import HeraldService
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// `/v1/revisions`, the reload that records them, and `/v1/inputs/export`, against a running
/// server on SQLite.
struct RevisionAPITests {
    typealias Call = HTTPCall

    @Test func deploymentsAreRevisionsThatCanBeListedShownAndRestored() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("herald-revision-api-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let journeys = root.appendingPathComponent("journeys")
        try JourneyFixture.service.write(to: journeys)
        try await TestServer.withServer(journeys: journeys) { port, _ in
            let first = try #require(try await Call.send(port: port, .get, "/v1/revisions").json)
            #expect(first["revisions"].array.count == 1)
            #expect(first["revisions"].array.first?["source"].string == "startup")
            #expect(first["current"].number == 1 && first["deployed"].number == 1)
            let v1 = try #require(
                try await Call.send(port: port, .get, "/v1/journeys").json?["journeys"].array.first { $0["name"].string == "pings" }?["version"]
                    .string)

            // The same files again: no new revision.
            let same = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload").json)
            #expect(same["revision_created"] == .bool(false))
            #expect(same["revision"]["number"].number == 1)

            // A change, with a note.
            try JourneyFixture.journey("pings", on: "ping", steps: ["increment customer.pings by 2", "send webhook ping transactional"])
                .write(to: journeys.appendingPathComponent("pings.journey"), atomically: true, encoding: .utf8)
            let changed = try #require(try await Call.send(port: port, .post, "/v1/journeys/reload", body: #"{"note": "count twice"}"#).json)
            #expect(changed["revision_created"] == .bool(true))
            #expect(changed["revision"]["number"].number == 2)
            #expect(changed["revision"]["note"].string == "count twice")

            let list = try #require(try await Call.send(port: port, .get, "/v1/revisions").json)
            #expect(list["revisions"].array.compactMap { $0["number"].number } == [2, 1])
            #expect(list["revisions"].array.first?["current"] == .bool(true))
            #expect(list["revisions"].array.first?["files"] == .null, "listings leave the files out")
            let paged = try #require(try await Call.send(port: port, .get, "/v1/revisions?limit=1").json)
            #expect(paged["next_before"].number == 2)
            #expect(try await Call.send(port: port, .get, "/v1/revisions?before=2").json?["revisions"].array.count == 1)

            let shown = try #require(try await Call.send(port: port, .get, "/v1/revisions/1").json)
            let files = Dictionary(uniqueKeysWithValues: shown["files"].array.map { ($0["path"].string ?? "", $0["contents"].string ?? "") })
            #expect(files["pings.journey"]?.contains("increment customer.pings by 1") == true)
            #expect(files["messages/ping/webhook.json.mustache"]?.contains("\"message\": \"ping\"") == true)
            #expect(shown["content_hash"].string?.count == 64)

            // Rollback: revision 1's files become revision 3.
            let restored = try #require(try await Call.send(port: port, .post, "/v1/revisions/1/restore", body: #"{"note": "undo"}"#).json)
            #expect(restored["revision"]["number"].number == 3)
            #expect(restored["revision"]["restored_from"].number == 1)
            #expect(restored["revision"]["content_hash"] == shown["content_hash"])
            #expect(restored["journeys"].array.first { $0["name"].string == "pings" }?["status"].string == "changed")
            let after = try #require(try await Call.send(port: port, .get, "/v1/journeys").json)
            #expect(after["journeys"].array.first { $0["name"].string == "pings" }?["version"].string == v1)
            // Restoring the current content again makes no new revision.
            #expect(try await Call.send(port: port, .post, "/v1/revisions/3/restore").json?["revision_created"] == .bool(false))
        }
    }

    @Test func revisionFailuresAreClearAndChangeNothing() async throws {
        try await TestServer.withServer { port, server in
            let unknown = try await Call.send(port: port, .get, "/v1/revisions/9")
            #expect(unknown.status == 404)
            #expect(unknown.json?["error"]["code"].string == "unknown_revision")
            let restoreUnknown = try await Call.send(port: port, .post, "/v1/revisions/9/restore")
            #expect(restoreUnknown.status == 404)
            for bad in ["0", "-1", "abc", "1.5", "99999999999999999999"] {
                let reply = try await Call.send(port: port, .get, "/v1/revisions/\(bad)")
                #expect(reply.status == 422, "\(bad)")
                #expect(reply.json?["error"]["details"].array.first?["path"].string == "number")
            }
            #expect(try await Call.send(port: port, .get, "/v1/revisions?limit=0").status == 422)
            #expect(try await Call.send(port: port, .get, "/v1/revisions?before=x").status == 422)
            for path in ["/v1/revisions", "/v1/revisions/1", "/v1/inputs/export"] {
                #expect(try await Call.send(port: port, .get, path, apiKey: nil).status == 401, "\(path)")
            }
            #expect(try await Call.send(port: port, .post, "/v1/revisions/1/restore", apiKey: "wrong").status == 401)

            // Bad reload bodies.
            #expect(try await Call.send(port: port, .post, "/v1/journeys/reload", body: "{").status == 400)
            let wrongNote = try await Call.send(port: port, .post, "/v1/journeys/reload", body: #"{"note": 3, "why": "x"}"#)
            #expect(wrongNote.status == 422)
            #expect(Set(wrongNote.json?["error"]["details"].array.compactMap { $0["path"].string } ?? []) == ["note", "why"])

            // A stored revision this build refuses: restoring it is refused, nothing is deployed.
            let broken = try await server.store.recordRevision(
                RevisionDraft(
                    files: [
                        RevisionFile(path: "pings.journey", contents: "journey pings \"p\"\n  trigger on event \"ping\"\n  send carrier_pigeon hi\n")
                    ],
                    note: nil, source: "reload"),
                at: Date().timeIntervalSince1970)
            let refused = try await Call.send(port: port, .post, "/v1/revisions/\(broken.revision.number)/restore")
            #expect(refused.status == 422)
            #expect(refused.json?["error"]["code"].string == "revision_invalid")
            #expect(refused.json?["error"]["details"].array.first?["file"].string == "revision 2/pings.journey")
            #expect(server.registry.current?.revision?.number == 1)
            #expect(try await Call.send(port: port, .get, "/v1/journeys").json?["journeys"].array.count == 4)
        }
    }

    @Test func theInputLogIsExportedAsNDJSONWithErasuresApplied() async throws {
        try await TestServer.withServer { port, _ in
            #expect(try await Call.send(port: port, .get, "/v1/inputs/export").body.isEmpty)
            _ = try await Call.send(
                port: port, .post, "/v1/events",
                body:
                    #"[{"id": "e1", "customer_id": "c1", "name": "ping", "properties": {"n": 1}, "timestamp": "2026-11-23T09:00:00Z"}, {"id": "e2", "customer_id": "c2", "name": "ping"}]"#
            )
            #expect(
                try await Call.send(
                    port: port, .put, "/v1/customers/c1",
                    body: #"{"email": "ada@example.com", "phone": null, "attributes": {"plan": "pro"}, "subscriptions": {"email": true}}"#
                ).status == 200)
            // Duplicates are acknowledged but were not accepted again: not logged.
            _ = try await Call.send(port: port, .post, "/v1/events", body: #"{"id": "e1", "customer_id": "c1", "name": "ping"}"#)

            let export = try await Call.send(port: port, .get, "/v1/inputs/export")
            #expect(export.status == 200)
            let lines = export.body.split(separator: "\n").map { try? JSONValueParser.parse(Array($0.utf8)) }
            #expect(lines.count == 3)
            let event = try #require(lines[0])
            #expect(event["kind"].string == "event")
            #expect(event["event"]["id"].string == "e1" && event["event"]["customer_id"].string == "c1")
            #expect(event["event"]["properties"]["n"].number == 1)
            #expect(event["event"]["timestamp"].string == "2026-11-23T09:00:00Z")
            #expect(event["accepted_at"].string?.hasSuffix("Z") == true && event["accepted_at"].string?.contains(".") == true)
            let profile = try #require(lines[2])
            #expect(profile["kind"].string == "profile" && profile["customer_id"].string == "c1")
            #expect(profile["profile"]["email"].string == "ada@example.com")
            #expect(profile["profile"]["phone"] == .null)
            #expect(profile["profile"]["attributes"]["plan"].string == "pro")

            // Each line is what the API accepts: the event object posts as it is.
            let eventText = try #require(export.body.split(separator: "\n").first.map(String.init))
            let reposted = try JSONValueParser.parse(Array(eventText.utf8))["event"]
            let encoded = String(decoding: try JSONEncoder().encode(reposted), as: UTF8.self)
            #expect(try await Call.send(port: port, .post, "/v1/events", body: encoded).json?["duplicates"].number == 1)

            // An erasure leaves only itself of c1's inputs.
            #expect(try await Call.send(port: port, .delete, "/v1/customers/c1").status == 204)
            let erased = try await Call.send(port: port, .get, "/v1/inputs/export").body.split(separator: "\n")
                .compactMap { try? JSONValueParser.parse(Array($0.utf8)) }
            #expect(erased.map { $0["kind"].string ?? "" } == ["event", "erasure"])
            #expect(erased[0]["event"]["customer_id"].string == "c2")
            #expect(erased[1]["customer_id"].string == "erased-" + SHA256.hex("c1"))

            // Bounds: RFC 3339 or epoch seconds; until is exclusive.
            #expect(try await Call.send(port: port, .get, "/v1/inputs/export?since=4102444800").body.isEmpty)
            #expect(try await Call.send(port: port, .get, "/v1/inputs/export?until=2000-01-01T00:00:00Z").body.isEmpty)
            #expect(try await Call.send(port: port, .get, "/v1/inputs/export?since=0&until=4102444800").body.split(separator: "\n").count == 2)
            for bad in ["since=yesterday", "until=2026-13-01T00:00:00Z", "since=10&until=5", "since=2026-12-01"] {
                let reply = try await Call.send(port: port, .get, "/v1/inputs/export?\(bad)")
                #expect(reply.status == 422, "\(bad)")
            }
        }
    }
}
