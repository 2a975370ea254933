import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// Retry and discard of dead letters through the API and the console, on a real server (SQLite;
/// the store operations on every backend are in HeraldStoreConformanceTests).
struct DeadLetterOperationsTests {
    typealias Call = HTTPCall

    /// Posts an event whose message the test delivery refuses for good; returns the dead letters.
    static func deadLetters(port: Int, count: Int) async throws -> [Value] {
        #expect(
            try await TestServer.eventually {
                (try await Call.send(port: port, .get, "/v1/dead-letters").json?["dead_letters"].array.count ?? 0) == count
            }, "\(count) dead letter(s)")
        return try await Call.send(port: port, .get, "/v1/dead-letters").json?["dead_letters"].array ?? []
    }

    @Test func theAPIRetriesOnceUnderTheSameIdAndDiscards() async throws {
        try await TestServer.withServer { port, _ in
            _ = try await Call.send(port: port, .post, "/v1/events", body: #"{"customer_id": "dead-1", "name": "ping"}"#)
            let first = try #require(try await Self.deadLetters(port: port, count: 1).first)
            let sequence = try #require(first["sequence"].number.map { Int($0) })
            #expect(first["retried_at"] == .null)

            let retried = try await Call.send(port: port, .post, "/v1/dead-letters/\(sequence)/retry")
            #expect(retried.status == 200)
            #expect(retried.json?["retried_at"].string != nil)
            #expect(retried.json?["message_id"].string == first["message_id"].string)
            // The worker sends it again under the same id; the test receiver refuses it again.
            let letters = try await Self.deadLetters(port: port, count: 2)
            #expect(letters[0]["message_id"].string == first["message_id"].string)
            #expect(letters[1]["retried_at"].string != nil)
            let timeline = try await Call.send(port: port, .get, "/v1/customers/dead-1").body
            #expect(timeline.contains("dead letter \(sequence) retried"))

            let again = try await Call.send(port: port, .post, "/v1/dead-letters/\(sequence)/retry")
            #expect(again.status == 409)
            #expect(again.json?["error"]["code"].string == "already_retried")

            let discarded = try await Call.send(port: port, .delete, "/v1/dead-letters/\(sequence)")
            #expect(discarded.status == 200)
            #expect(try await Self.deadLetters(port: port, count: 1).first?["sequence"].number != Double(sequence))
            let gone = try await Call.send(port: port, .delete, "/v1/dead-letters/\(sequence)")
            #expect(gone.status == 404)
            #expect(gone.json?["error"]["code"].string == "unknown_dead_letter")
            #expect(try await Call.send(port: port, .post, "/v1/dead-letters/999999/retry").status == 404)
            for bad in ["0", "-1", "x", "1.5", "9999999999999999999"] {
                #expect(try await Call.send(port: port, .post, "/v1/dead-letters/\(bad)/retry").status == 422, "\(bad)")
                #expect(try await Call.send(port: port, .delete, "/v1/dead-letters/\(bad)").status == 422, "\(bad)")
            }
            #expect(try await Call.send(port: port, .delete, "/v1/dead-letters/1", apiKey: nil).status == 401)
            #expect(try await Call.send(port: port, .post, "/v1/dead-letters/1/retry", apiKey: nil).status == 401)
        }
    }

    @Test func theConsoleRetriesAndDiscardsWithSessionAndCSRF() async throws {
        try await TestServer.withServer { port, _ in
            _ = try await Call.send(port: port, .post, "/v1/events", body: #"{"customer_id": "dead-2", "name": "ping"}"#)
            let letter = try #require(try await Self.deadLetters(port: port, count: 1).first)
            let sequence = try #require(letter["sequence"].number.map { Int($0) })
            let session = try await ConsoleTests.signIn(port: port)
            let overview = try await ConsoleTests.call(port: port, .get, "/console", cookie: session.cookie)
            #expect(overview.body.contains(#"action="/console/dead-letters/\#(sequence)/retry""#))
            #expect(overview.body.contains(#"action="/console/dead-letters/\#(sequence)/discard""#))
            #expect(overview.body.contains("data-confirm=\"Send dead letter \(sequence) again now?\""))

            // No session, no CSRF token, a wrong one: refused, nothing changes.
            let path = "/console/dead-letters/\(sequence)/retry"
            #expect(try await ConsoleTests.call(port: port, .post, path, form: "csrf=\(session.csrf)").status == 401)
            #expect(try await ConsoleTests.call(port: port, .post, path, cookie: session.cookie, form: "").status == 403)
            #expect(try await ConsoleTests.call(port: port, .post, path, cookie: session.cookie, form: "csrf=0000").status == 403)
            let discardPath = "/console/dead-letters/\(sequence)/discard"
            #expect(try await ConsoleTests.call(port: port, .post, discardPath, cookie: session.cookie, form: "").status == 403)
            #expect(try await Self.deadLetters(port: port, count: 1).first?["retried_at"] == .null)

            let retried = try await ConsoleTests.call(port: port, .post, path, cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(retried.status == 200)
            #expect(retried.body.contains("Dead letter \(sequence) (message"))
            #expect(retried.body.contains("put back in the outbox"))
            let twice = try await ConsoleTests.call(port: port, .post, path, cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(twice.status == 409)
            #expect(twice.body.contains("was retried at"))

            let discarded = try await ConsoleTests.call(port: port, .post, discardPath, cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(discarded.status == 200)
            #expect(discarded.body.contains("discarded"))
            let unknown = try await ConsoleTests.call(port: port, .post, discardPath, cookie: session.cookie, form: "csrf=\(session.csrf)")
            #expect(unknown.status == 404)
            let customer = try await ConsoleTests.call(port: port, .get, "/console/customers?id=dead-2", cookie: session.cookie)
            #expect(customer.body.contains("dead letter \(sequence) discarded"))
        }
    }
}
