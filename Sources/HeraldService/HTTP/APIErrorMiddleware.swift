import HTTPTypes
import Hummingbird
import JourneyEngine
import JourneyLanguage
import Logging

/// Turns every error into the API's JSON error shape: the router's own 404/405, body-size errors,
/// and anything unexpected (a 500 whose details stay in the log, not in the response).
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let status = error.status
            let code: String
            let message: String
            switch status {
            case .notFound:
                code = "not_found"
                message = "no such endpoint: \(request.method) \(request.uri.path)"
            case .methodNotAllowed:
                code = "method_not_allowed"
                message = "\(request.method) is not allowed on \(request.uri.path)"
            case .contentTooLarge:
                code = "body_too_large"
                message = "the request body is larger than the limit"
            default:
                code = status.code < 500 ? "bad_request" : "internal_error"
                message = status.reasonPhrase
            }
            return try APIError(status, code: code, message: message).response(from: request, context: context)
        } catch JourneyStoreError.unavailable(let reason) {
            // Nothing was stored; the client repeats the request (same ids) once the store is back.
            context.logger.warning("store unavailable", metadata: ["reason": "\(reason)", "path": "\(request.uri.path)"])
            var response = try APIError(
                .serviceUnavailable, code: "store_unavailable", message: "the store does not answer; nothing was stored, try again"
            )
            .response(from: request, context: context)
            response.headers[.retryAfter] = "5"
            return response
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try APIError(.internalServerError, code: "internal_error", message: "an internal error occurred")
                .response(from: request, context: context)
        }
    }
}
