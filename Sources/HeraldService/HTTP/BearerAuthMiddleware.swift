import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <key>` with one of the configured keys on every path except the
/// open ones (`/healthz`) and those under an own-auth prefix (`/console`, which signs in with the
/// same keys and keeps a session cookie). Keys are compared in constant time.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: [[UInt8]]
    let openPaths: Set<String>
    /// Path prefixes whose routes check access themselves (`/console` and `/console/...`).
    let ownAuthPrefixes: [String]

    init(keys: [String], openPaths: Set<String> = ["/healthz"], ownAuthPrefixes: [String] = []) {
        self.keys = keys.map { Array($0.utf8) }
        self.openPaths = openPaths
        self.ownAuthPrefixes = ownAuthPrefixes
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let path = request.uri.path
        if openPaths.contains(path) { return try await next(request, context) }
        if ownAuthPrefixes.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("missing Authorization header: send `Authorization: Bearer <api key>`")
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else {
            throw Self.unauthorized("the Authorization header must use the Bearer scheme")
        }
        let presented = Array(header.dropFirst(prefix.count).utf8)
        // Check every key, always, so timing does not reveal which (or whether one) matched.
        var matched = false
        for key in keys { matched = Self.constantTimeEqual(presented, key) || matched }
        guard matched else { throw Self.unauthorized("the API key is not valid") }
        return try await next(request, context)
    }

    /// Compares in time that depends only on the lengths, never on where the bytes differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { difference |= 1 }
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }

    static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, code: "unauthorized", message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}
