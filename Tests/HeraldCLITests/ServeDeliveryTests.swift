import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// `herald serve` with the example journeys sending through real channels: email over SMTP to
/// aiosmtpd and SMS to an HTTP provider on loopback, and retention pruning while it runs.
struct ServeDeliveryTests {
    @Test func anOrderIsConfirmedByEmailOverSMTPAndBySMSOverHTTP() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let mails = scratch.file("mails.ndjson")
        let smtp = try await PythonServer.start("smtp_server.py", ["--out", mails])
        defer { smtp.stop() }
        let provider = try await PythonServer.start("provider_server.py")
        defer { provider.stop() }
        let channels = try scratch.write(
            "channels.yaml",
            """
            retry: { max_attempts: 10, base_delay: 0.05, max_delay: 0.5 }
            email:
              transport: smtp
              from: "Herald Shop <shop@herald.example>"
              smtp:
                url: smtp://127.0.0.1:\(smtp.port)
                security: none
            sms:
              transport: http
              from: "+14155550100"
              http:
                url: \(provider.url("/ok/sms"))
                format: json
                auth_token: test-token
            """)
        let server = try await Served.start(scratch, environment: ["HERALD_CHANNELS_CONFIG": channels])
        defer { server.process.killWithoutWaiting() }

        let put = try await server.call(
            .put, "/v1/customers/ada",
            body: #"{"email": "ada@example.com", "phone": "+14155550123", "time_zone": "Europe/London", "attributes": {"first_name": "Ada"}}"#)
        #expect([200, 202].contains(put.status), "\(put.body)")  // 202: stored, processed later (a loaded machine)
        let post = try await server.call(.post, "/v1/events", body: orderCompleted(id: "order-1", customer: "ada"))
        #expect(post.status == 202, "\(post.body)")

        // Both messages delivered, as the service records them.
        var messages: [Value] = []
        let delivered = try await eventually(timeout: 120) {
            messages = try await server.customer("ada")?["messages"].array ?? []
            return messages.count == 2 && messages.allSatisfy { $0["state"].string == "delivered" }
        }
        #expect(delivered, "messages: \(messages)\n\(server.process.log.suffix(2000))")
        #expect(Set(messages.compactMap { $0["channel"].string }) == ["email", "sms"])

        // The email, as aiosmtpd received and checked it.
        let received = try String(contentsOfFile: mails, encoding: .utf8).split(separator: "\n")
        #expect(received.count == 1)
        let mail = try #require(try JSONSerialization.jsonObject(with: Data((received.first ?? "").utf8)) as? [String: Any])
        #expect(mail["rcpt_tos"] as? [String] == ["ada@example.com"])
        #expect(mail["subject"] as? String == "Order confirmed")
        #expect((mail["problems"] as? [String])?.isEmpty == true, "\(mail["problems"] ?? "")")

        // The SMS, as the provider received it: the customer's number, the message's key.
        let requests = try await provider.received()
        #expect(requests.count == 1, "\(requests)")
        let sms = try #require(requests.first)
        #expect((sms["body"] as? String ?? "").contains("+14155550123"))
        #expect((sms["body"] as? String ?? "").contains("order confirmed"))
        let smsMessage = try #require(messages.first { $0["channel"].string == "sms" })
        #expect((sms["headers"] as? [String: String])?["idempotency-key"] == smsMessage["id"].string)
        #expect(await server.stop() == 0)
    }

    @Test func retentionPrunesWhileTheServiceRuns() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // Everything delivered or processed is old enough at once; the pruner runs every second
        // (each housekeeping round, a few seconds apart).
        let config = try scratch.write(
            "herald.yaml", "retention: { delivered_messages_days: 0, processed_events_days: 0, interval_seconds: 1 }\n")
        let server = try await Served.start(scratch, arguments: ["--config", config])
        defer { server.process.killWithoutWaiting() }

        _ = try await server.call(.put, "/v1/customers/grace", body: #"{"email": "grace@example.com", "attributes": {"first_name": "Grace"}}"#)
        let first = try await server.call(.post, "/v1/events", body: orderCompleted(id: "order-1", customer: "grace"))
        #expect(first.json?["accepted"].number == 1)
        // Delivered to the local outbox…
        let written = try await eventually(timeout: 120) {
            ((try? FileManager.default.contentsOfDirectory(atPath: scratch.file("outbox"))) ?? []).contains { $0.hasSuffix(".eml") }
        }
        #expect(written, "\(server.process.log.suffix(2000))")
        // …then its outbox row pruned, while the customer and the service stay.
        let pruned = try await eventually(timeout: 120) {
            guard let customer = try await server.customer("grace") else { return false }
            return customer["messages"].array.isEmpty
        }
        #expect(pruned, "the delivered message was not pruned:\n\(server.process.log.suffix(2000))")
        #expect(try await server.customer("grace")?["profile"]["email"].string == "grace@example.com")
        // The processed event's row is gone too, so its id is no longer recognised as a repeat
        // (retention.processed_events_days is also the duplicate window, as docs/service.md says).
        let forgotten = try await eventually(timeout: 120) {
            let again = try await server.call(.post, "/v1/events", body: orderCompleted(id: "order-1", customer: "grace"))
            return again.json?["accepted"].number == 1
        }
        #expect(forgotten)
        #expect(try await server.call(.get, "/readyz").status == 200)
        #expect(await server.stop() == 0)
    }
}
