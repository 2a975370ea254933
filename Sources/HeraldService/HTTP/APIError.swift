import Foundation
public import HTTPTypes
public import Hummingbird
public import JourneyLanguage

/// Every 4xx and 5xx the API sends has this shape:
/// `{"error": {"code": "invalid_request", "message": "…", "details": […]}}`.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// Stable and machine-readable (`invalid_json`, `invalid_request`, `unauthorized`, …).
    public var code: String
    public var message: String
    public var details: [Value]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [Value] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(
            status,
            .object([
                "error": .object(["code": .string(code), "message": .string(message), "details": .list(details)])
            ]))
        for field in headers { response.headers.append(field) }
        return response
    }

    static func invalid(_ problems: [ValidationProblem]) -> APIError {
        let summary = problems.prefix(3).map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        return APIError(
            .unprocessableContent, code: "invalid_request",
            message: "the request is not valid: \(summary)\(problems.count > 3 ? " (and \(problems.count - 3) more)" : "")",
            details: problems.map { .object(["path": .string($0.path), "message": .string($0.message)]) })
    }

    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: what)
    }
}

/// One thing wrong with a request body, at a JSON path (`events[3].customer_id`).
struct ValidationProblem: Sendable, Hashable {
    var path: String
    var message: String
}

enum JSONResponse {
    static let contentType = "application/json; charset=utf-8"

    static func make(_ status: HTTPResponse.Status, _ value: Value) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: encode(value))))
    }

    /// The JSON text of a response body: sorted keys, slashes unescaped.
    static func encode(_ value: Value) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
