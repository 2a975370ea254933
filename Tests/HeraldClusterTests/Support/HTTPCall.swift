import Foundation
import HTTPTypes
import HummingbirdTesting
import JourneyLanguage
import NIOCore

/// One HTTP exchange on a fresh loopback connection (servers in these tests get killed, so no
/// connection is reused across calls).
struct HTTPCall {
    struct Reply: Sendable {
        var status: Int
        var body: String
        var json: Value? { try? JSONDecoder().decode(Value.self, from: Data(body.utf8)) }
    }

    static func send(
        port: Int, _ method: HTTPRequest.Method, _ path: String, body: String? = nil, apiKey: String? = "test-key-0123",
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        try await TestClient.withClient(
            host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(15))
        ) { client in
            var headers = extra
            if let apiKey { headers[.authorization] = "Bearer \(apiKey)" }
            if body != nil { headers[.contentType] = "application/json" }
            let request = TestClient.Request(
                path, method: method, authority: "localhost", headers: headers, body: body.map { ByteBuffer(string: $0) })
            let response = try await client.execute(request)
            return Reply(status: Int(response.head.status.code), body: response.body.map { String(buffer: $0) } ?? "")
        }
    }
}

extension Value {
    subscript(_ key: String) -> Value {
        if case .object(let fields) = self { return fields[key] ?? .null }
        return .null
    }
    var array: [Value] {
        if case .list(let items) = self { return items }
        return []
    }
    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var number: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
}
