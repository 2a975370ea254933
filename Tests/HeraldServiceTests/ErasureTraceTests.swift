import Foundation
import HTTPTypes
import HeraldTestSupport
import JourneyLanguage
import Testing

/// Right to be forgotten, checked where it matters: the bytes on disk. A real `herald serve` on the
/// example journeys stores a customer (profile, events, messages, decisions), erases it through the
/// API and shuts down; once the erasure is answered (the service still running) and again after the
/// shutdown, no database file — main file, WAL or shared memory — may still contain the erased email,
/// name, phone or customer id, while another customer's values are still found.
@Suite struct ErasureTraceTests {
    static let apiKey = "test-key-0123"

    static var repositoryJourneys: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Journeys").path
    }

    /// The files of the data directory that contain `needle` (as UTF-8 bytes).
    static func files(in directory: URL, containing needle: String) throws -> [String] {
        let bytes = Data(needle.utf8)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil).compactMap { file in
            let contents = try Data(contentsOf: file)
            return contents.range(of: bytes) == nil ? nil : file.lastPathComponent
        }
    }

    static func customer(email: String, name: String, phone: String) -> String {
        #"{"email": "\#(email)", "phone": "\#(phone)", "time_zone": "UTC", "attributes": {"name": "\#(name)", "lifetime_value": 900}}"#
    }

    @Test func anErasedCustomerLeavesNoBytesInTheDatabaseFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-erase-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        let server = HeraldProcess(
            arguments: [
                "serve", "--port", "0", "--data", data.path, "--journeys", Self.repositoryJourneys, "--outbox",
                directory.appendingPathComponent("outbox").path,
            ],
            environment: ["HERALD_API_KEY": Self.apiKey, "HERALD_LOG_LEVEL": "warning"],
            logFile: directory.appendingPathComponent("server.log"))
        try await server.start()
        let port = server.port

        let erased = (email: "zebulon.erasable@example.com", name: "Zebulon Quetzalwhistle", phone: "+14155550142")
        let kept = (email: "ada.keepable@example.com", name: "Ada Keepsake", phone: "+14155550177")
        for (id, person) in [("erase-me", erased), ("keep-me", kept)] {
            let put = try await HTTPCall.send(
                port: port, .put, "/v1/customers/\(id)", body: Self.customer(email: person.email, name: person.name, phone: person.phone),
                apiKey: Self.apiKey)
            #expect(put.status == 200, "PUT \(id): \(put.status)")
            // Events that start journeys, send messages and write decisions with the profile in them;
            // the profile is updated a few times, so earlier versions of its row exist too.
            for (index, name) in ["signed_up", "order.completed", "cart.updated"].enumerated() {
                let event =
                    #"{"id": "\#(id)-ev-\#(index)", "customer_id": "\#(id)", "name": "\#(name)", "properties": {"order_id": "o-\#(index)", "total": 42, "items": 2, "note": "\#(person.name)"}}"#
                let reply = try await HTTPCall.send(port: port, .post, "/v1/events", body: event, apiKey: Self.apiKey)
                #expect(reply.status == 202)
                let again = try await HTTPCall.send(
                    port: port, .put, "/v1/customers/\(id)",
                    body: Self.customer(email: person.email, name: person.name, phone: person.phone), apiKey: Self.apiKey)
                #expect(again.status == 200)
            }
        }
        // Every event handled: the customer's messages are in the outbox.
        let handled = try await DeliveryWorkerTests.eventually(within: 90) {
            let reply = try await HTTPCall.send(port: port, .get, "/v1/customers/erase-me", apiKey: Self.apiKey)
            return (reply.json?["messages"].array.count ?? 0) > 0
        }
        #expect(handled, "the customer to erase never had a message")
        #expect(try Self.files(in: data, containing: erased.email).isEmpty == false, "the search finds stored values")

        let delete = try await HTTPCall.send(port: port, .delete, "/v1/customers/erase-me", apiKey: Self.apiKey)
        #expect(delete.status == 204)
        let gone = try await HTTPCall.send(port: port, .get, "/v1/customers/erase-me", apiKey: Self.apiKey)
        #expect(gone.status == 404)
        // Once the erasure is answered, the files are clean while the service runs (a crash now would
        // leave them as they are) …
        for value in [erased.email, erased.name, erased.phone, "erase-me"] {
            let found = try Self.files(in: data, containing: value)
            #expect(found.isEmpty, "\(value) is still in \(found) after the erasure, the service running")
        }
        // … and after shutdown.
        #expect(await server.terminate() == 0, "graceful shutdown on SIGTERM")
        for value in [erased.email, erased.name, erased.phone, "erase-me"] {
            let found = try Self.files(in: data, containing: value)
            #expect(found.isEmpty, "\(value) is still in \(found) after the erasure and shutdown")
        }
        // The other customer is untouched (and the search would have seen the values).
        #expect(!(try Self.files(in: data, containing: kept.email)).isEmpty)
    }
}
