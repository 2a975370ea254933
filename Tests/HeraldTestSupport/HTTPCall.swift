import Foundation
public import HTTPTypes
import HummingbirdTesting
public import JourneyLanguage
import NIOCore

/// Shared by the service and cluster tests (a small testing library, like HummingbirdTesting).
///
/// One HTTP exchange on a fresh loopback connection (servers in these tests get killed, so no
/// connection is reused across calls).
public struct HTTPCall {
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var headers: HTTPFields = [:]
        public var json: Value? { try? JSONDecoder().decode(Value.self, from: Data(body.utf8)) }
    }

    public static func send(
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
            return Reply(
                status: Int(response.head.status.code), body: response.body.map { String(buffer: $0) } ?? "",
                headers: response.head.headerFields)
        }
    }
}

extension Value {
    public subscript(_ key: String) -> Value {
        if case .object(let fields) = self { return fields[key] ?? .null }
        return .null
    }
    public var array: [Value] {
        if case .list(let items) = self { return items }
        return []
    }
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var number: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
}
