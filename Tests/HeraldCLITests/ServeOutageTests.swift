import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// `herald serve` on PostgreSQL while PostgreSQL stops and starts again under it. The server is
/// the test's own (`scripts/postgres-test-cluster.sh start/halt/resume`), not the shared test
/// cluster, which other suites use at the same time; so this runs wherever PostgreSQL's server
/// binaries are installed (`make deps` installs them), with or without HERALD_TEST_POSTGRES_URL.
@Suite(
    .serialized,
    .enabled(if: PostgresTestCluster.serverInstalled || TestDatabase.isCI, Comment(rawValue: PostgresTestCluster.skipReason)))
struct ServeOutageTests {
    @Test func postgresStopsAndRestartsUnderARunningService() async throws {
        let cluster = try await PostgresTestCluster.start()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let server: Served
        do {
            server = try await Served.start(scratch, environment: ["HERALD_STORAGE": "postgres", "HERALD_POSTGRES_URL": cluster.url])
        } catch {
            await cluster.destroy()
            throw error
        }
        var acknowledged: [String] = []  // customer ids, one event each
        do {
            // Before: events are acknowledged and processed.
            for i in 0..<5 {
                let reply = try await server.call(.post, "/v1/events", body: orderCompleted(id: "before-\(i)", customer: "before-\(i)"))
                #expect(reply.status == 202, "\(reply.body)")
                if reply.status == 202 { acknowledged.append("before-\(i)") }
            }
            let processedBefore = try await eventually(timeout: 120) {
                for id in acknowledged where try await server.customer(id) == nil { return false }
                return true
            }
            #expect(processedBefore)

            // PostgreSQL stops. The API must not acknowledge what it cannot store; it says so within
            // its connection wait (5 s; the client gives up after 15): 503 `store_unavailable` with
            // Retry-After — for the first request too, before the pool has given up on the database.
            try await cluster.halt()
            var outageAnswers: [String] = []
            for i in 0..<3 {
                let answer = await Self.answer {
                    try await server.call(.post, "/v1/events", body: orderCompleted(id: "during-\(i)", customer: "during-\(i)"))
                }
                outageAnswers.append(answer.text)
                #expect(answer.status != 202, "acknowledged while PostgreSQL was down: \(answer.text)")
                if answer.status == 202 { acknowledged.append("during-\(i)") }
                #expect(answer.status == 503, "answered \(answer.text) while PostgreSQL was down")
                #expect(answer.text.contains("store_unavailable"), "\(answer.text)")
                #expect(answer.retryAfter == "5", "a 503 says when to try again: \(answer.text)")
            }
            // A customer's profile update is refused the same way, and nothing is stored.
            let put = await Self.answer {
                try await server.call(.put, "/v1/customers/during-put", body: #"{"attributes":{"plan":"pro"}}"#)
            }
            #expect(put.status == 503 && put.text.contains("store_unavailable"), "PUT while PostgreSQL was down: \(put.text)")
            let health = await Self.answer { try await server.call(.get, "/healthz") }
            #expect(health.status == 200, "the process answers /healthz: \(health.text)")
            let readiness = await Self.answer { try await server.call(.get, "/readyz") }
            #expect(readiness.status == 503, "not ready without its store: \(readiness.text)")
            #expect(server.process.isRunning, "the service survived the outage:\n\(server.process.log.suffix(3000))")
            print("PostgreSQL outage: POST /v1/events answered \(outageAnswers); /readyz \(readiness.text)")

            // PostgreSQL is back: the service takes events again without a restart…
            try await cluster.resume()
            for i in 0..<5 {
                var reply: HTTPCall.Reply?
                let accepted = try await eventually(timeout: 120) {
                    reply = try? await server.call(.post, "/v1/events", body: orderCompleted(id: "after-\(i)", customer: "after-\(i)"))
                    return reply?.status == 202
                }
                #expect(accepted, "not accepted after PostgreSQL came back: \(reply?.status ?? 0) \(reply?.body ?? "")")
                if accepted { acknowledged.append("after-\(i)") }
            }
            // …and nothing it acknowledged is lost: every acknowledged event is processed.
            var missing: [String] = []
            let processed = try await eventually(timeout: 180) {
                missing = []
                for id in acknowledged where try await server.customer(id) == nil { missing.append(id) }
                return missing.isEmpty
            }
            #expect(processed, "acknowledged but never processed: \(missing)\n\(server.process.log.suffix(3000))")
            #expect(try await server.call(.get, "/readyz").status == 200)
            #expect(await server.stop() == 0, "graceful shutdown after the outage")
        } catch {
            await server.stop()
            await cluster.destroy()
            throw error
        }
        await cluster.destroy()
    }

    static let callTimeout = 15

    /// One call's outcome: its status, or none when it got no answer (HTTPCall gives up after 15 s).
    static func answer(_ call: () async throws -> HTTPCall.Reply) async -> (status: Int?, text: String, retryAfter: String?) {
        do {
            let reply = try await call()
            return (reply.status, "\(reply.status) \(reply.body.prefix(300))", reply.headers[.retryAfter])
        } catch {
            return (nil, "no answer (\(error))", nil)
        }
    }
}
