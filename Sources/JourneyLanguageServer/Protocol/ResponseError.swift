/// A JSON-RPC error answer: a code from the protocol and a message saying what was wrong and how
/// to put it right.
public struct ResponseError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String

    public init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    // JSON-RPC 2.0.
    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    // The Language Server Protocol.
    public static let serverNotInitializedCode = -32002
    public static let requestFailedCode = -32803

    public static func invalidParams(_ message: String) -> ResponseError { ResponseError(invalidParamsCode, message) }
    public static func requestFailed(_ message: String) -> ResponseError { ResponseError(requestFailedCode, message) }

    var json: JSONValue { ["code": .int(code), "message": .string(message)] }
}
