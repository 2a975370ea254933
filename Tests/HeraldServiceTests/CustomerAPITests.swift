import Foundation
import HTTPTypes
import HeraldService
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// Customer ids in URL paths, validation at the door, and the designed shape of the customer
/// resource (no engine encoding shows through).
struct CustomerAPITests {
    typealias Call = HTTPCall

    @Test func pathIdsArePercentDecodedAlikeForGetPutAndDelete() async throws {
        try await TestServer.withServer { port, server in
            // Created by an event: the id has a space, a slash and a non-ASCII letter.
            let id = "jürgen smith/1"
            let path = "/v1/customers/j%C3%BCrgen%20smith%2F1"
            _ = try await Call.send(port: port, .post, "/v1/events", body: #"{"customer_id": "\#(id)", "name": "ping"}"#)
            #expect(try await TestServer.eventually { try await Call.send(port: port, .get, path).status == 200 })
            #expect(try await Call.send(port: port, .get, path).json?["id"].string == id)

            // PUT names the same customer the event did, and an encoded space is a space.
            let put = try await Call.send(port: port, .put, path, body: #"{"email": "j@example.com"}"#)
            #expect(put.status == 200)
            #expect(put.json?["profile"]["id"].string == id)
            #expect(try await Call.send(port: port, .put, "/v1/customers/a%20b", body: "{}").json?["id"].string == "a b")
            #expect(try await server.store.loadCustomers(["a b"])["a b"] != nil)
            #expect(try await server.store.loadCustomers(["a%20b"])["a%20b"] == nil, "no customer named with the escape itself")
            // A literal percent sign is %25.
            #expect(try await Call.send(port: port, .put, "/v1/customers/100%25", body: "{}").json?["id"].string == "100%")
            #expect(try await Call.send(port: port, .get, "/v1/customers/100%2525").status == 404)

            // DELETE erases exactly that customer.
            #expect(try await Call.send(port: port, .delete, path).status == 204)
            #expect(try await server.store.loadCustomers([id])[id] == nil, "the erasure happened")
            #expect(try await Call.send(port: port, .get, path).status == 404)
        }
    }

    @Test func deletingAnUnknownCustomerSaysSoAndChangesNothing() async throws {
        try await TestServer.withServer { port, server in
            let reply = try await Call.send(port: port, .delete, "/v1/customers/nobody%20here")
            #expect(reply.status == 404)
            #expect(reply.json?["error"]["code"].string == "not_found")
            #expect(reply.json?["error"]["message"].string?.contains("nothing was erased") == true)
            let statistics = try await server.store.statistics(now: Date().timeIntervalSince1970)
            #expect(statistics.pendingInbox == 0 && statistics.customers == 0)
        }
    }

    @Test(arguments: ["bad%zz", "bad%", "bad%4", "%FF%FE", "%00x"])
    func malformedPathIdsAreRefused(segment: String) async throws {
        try await TestServer.withServer { port, server in
            for method in [HTTPRequest.Method.get, .put, .delete] {
                let reply = try await Call.send(port: port, method, "/v1/customers/\(segment)", body: method == .put ? "{}" : nil)
                #expect(reply.status == 422, "\(method) \(segment) → \(reply.body)")
                #expect(reply.json?["error"]["code"].string == "invalid_request")
                #expect(reply.json?["error"]["details"].array.first?["path"].string == "id")
            }
            let statistics = try await server.store.statistics(now: Date().timeIntervalSince1970)
            #expect(statistics.pendingInbox == 0 && statistics.customers == 0)
        }
    }

    @Test func journeyNamesInPathsAreDecodedToo() async throws {
        try await TestServer.withServer { port, _ in
            #expect(try await Call.send(port: port, .post, "/v1/journeys/%77elcome/pause").json?["name"].string == "welcome")
            let bad = try await Call.send(port: port, .post, "/v1/journeys/wel%zzcome/resume")
            #expect(bad.status == 422)
            #expect(bad.json?["error"]["details"].array.first?["path"].string == "name")
        }
    }

    @Test func profilesAreValidatedAtTheDoor() async throws {
        try await TestServer.withServer { port, _ in
            for (body, field) in [
                (#"{"id": 5}"#, "id"), (#"{"id": null}"#, "id"), (#"{"email": "a@x.test,b@x.test"}"#, "email"),
                (#"{"email": "a b@x.test"}"#, "email"), (#"{"email": "<a@x.test>"}"#, "email"), (#"{"email": "a@@x.test"}"#, "email"),
                (#"{"email": "a@x..test"}"#, "email"), (#"{"email": "@x.test"}"#, "email"), (#"{"email": "a@"}"#, "email"),
                (#"{"email": "a@x.test;b@x.test"}"#, "email"), (#"{"phone": "call me"}"#, "phone"),
            ] {
                let reply = try await Call.send(port: port, .put, "/v1/customers/v1", body: body)
                #expect(reply.status == 422, "\(body) → \(reply.body)")
                #expect(reply.json?["error"]["details"].array.first?["path"].string == field, "\(body)")
            }
            #expect(try await Call.send(port: port, .get, "/v1/customers/v1").status == 404, "nothing was stored")

            for email in ["ada@example.com", "o'brien+news@mail.example.co.uk", "jürgen@exämple.de", "x@localhost"] {
                let reply = try await Call.send(port: port, .put, "/v1/customers/v2", body: #"{"email": "\#(email)"}"#)
                #expect(reply.status == 200, "\(email) → \(reply.body)")
                #expect(reply.json?["profile"]["email"].string == email)
            }
            // An empty phone or email means none, as the API document allows.
            let empty = try await Call.send(port: port, .put, "/v1/customers/v2", body: #"{"id": "v2", "phone": "", "email": ""}"#)
            #expect(empty.status == 200, "\(empty.body)")
            #expect(empty.json?["profile"]["phone"] == .null)
            #expect(empty.json?["profile"]["email"] == .null)
        }
    }

    @Test func deadLetterCursorsTakeAnyPositiveInteger() async throws {
        try await TestServer.withServer { port, _ in
            let huge = try await Call.send(port: port, .get, "/v1/dead-letters?before=1180591620717411303424")
            #expect(huge.status == 200, "a cursor beyond 64 bits is above every sequence: \(huge.body)")
            #expect(huge.json?["dead_letters"].array.isEmpty == true)
            for bad in ["0", "-1", "abc", "1.5", ""] {
                let reply = try await Call.send(port: port, .get, "/v1/dead-letters?before=\(bad)")
                #expect(reply.status == 422, "before=\(bad)")
                #expect(reply.json?["error"]["details"].array.first?["path"].string == "before")
            }
        }
    }

    /// Every key snake_case and every time RFC 3339, all the way down (attributes excepted: they are the customer's own).
    static func designProblems(_ value: Value, path: String = "$") -> [String] {
        switch value {
        case .object(let fields):
            return fields.sorted { $0.key < $1.key }.flatMap { entry -> [String] in
                let (key, child) = (entry.key, entry.value)
                var problems: [String] = []
                if key.contains(where: \.isUppercase) || key.hasPrefix("_") || key.contains("__") {
                    problems.append("\(path).\(key) is not snake_case")
                }
                if key.hasSuffix("_at") || ["since", "until", "wait_until", "goal_deadline"].contains(key) {
                    if case .string(let text) = child {
                        if Value.parseTime(text) == nil { problems.append("\(path).\(key) is not RFC 3339: \(text)") }
                    } else if child != .null {
                        problems.append("\(path).\(key) is not a time string: \(child)")
                    }
                }
                if key == "attributes" { return problems }
                return problems + designProblems(child, path: "\(path).\(key)")
            }
        case .list(let items):
            return items.enumerated().flatMap { designProblems($0.element, path: "\(path)[\($0.offset)]") }
        default:
            return []
        }
    }

    @Test func aCustomerShowsItsInstancesInTheDesignedShape() async throws {
        let start = 1_795_000_000.0
        let clock = Locked(start)
        try await TestServer.withClockedServer(clock: clock) { port, _, settle in
            let profile = #"{"email": "shape@example.com", "time_zone": "Europe/London", "attributes": {"lifetime_value": 900}}"#
            #expect(try await Call.send(port: port, .put, "/v1/customers/shape", body: profile).status == 200)
            clock.withLock { $0 = start + 60 }
            let event = #"{"id": "s1", "customer_id": "shape", "name": "cart.updated", "properties": {"items": 2}, "timestamp": \#(start + 60)}"#
            #expect(try await Call.send(port: port, .post, "/v1/events", body: event).status == 202)
            try await settle()

            let customer = try #require(try await Call.send(port: port, .get, "/v1/customers/shape").json)
            #expect(customer["state"] == .null, "the engine's aggregate is not shown")
            let instance = try #require(customer["instances"].array.first { $0["journey"].string == "cart_abandonment" })
            #expect(instance["version"].string?.isEmpty == false)
            #expect(instance["step"].string?.isEmpty == false)
            #expect(instance["status"].string == "active")
            #expect(instance["entry"].number == 1)
            #expect(instance["since"].string == Value.formatTime(start + 60))
            #expect(instance["wait_until"].string == Value.formatTime(start + 60 + 3_600), "the reminder waits an hour")
            #expect(instance["exit"] == .null)
            #expect(customer["next_wake_at"].string == Value.formatTime(start + 60 + 3_600))
            let problems = Self.designProblems(customer)
            #expect(problems.isEmpty, "\(problems)")
            let text = try #require(String(data: try JSONEncoder().encode(customer), encoding: .utf8))
            #expect(!text.contains("\"_0\""), "no enum payload keys")
            #expect(!text.contains("nextWakeAt") && !text.contains("entrySequence"), "no engine field names")

            // An hour later (and the settle window) the reminder is sent: the decision says so field by field.
            clock.withLock { $0 = start + 60 + 3_600 + 300 }
            try await settle()
            let later = try #require(try await Call.send(port: port, .get, "/v1/customers/shape").json)
            let decisions = later["recent_decisions"].array
            let sent = try #require(decisions.first { $0["outcome"].string == "sent" }, "\(decisions)")
            #expect(sent["kind"].string == "decision")
            #expect(sent["message"].string == "cart_reminder")
            #expect(sent["channel"].string == "email")
            #expect(sent["step"].string?.isEmpty == false)
            #expect(sent["journey"].string == "cart_abandonment")
            #expect(decisions.allSatisfy { $0["detail"] == .null }, "the engine's record stays inside")
            #expect(Self.designProblems(later).isEmpty, "\(Self.designProblems(later))")
        }
    }
}
