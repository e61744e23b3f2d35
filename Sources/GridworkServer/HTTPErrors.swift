import GridworkDispatch
import Hummingbird

/// The one place the dispatch domain's refusals become HTTP statuses.
extension DispatchError.Kind {
    var status: HTTPResponse.Status {
        switch self {
        case .invalidInput: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        }
    }
}

extension DispatchError {
    var status: HTTPResponse.Status { kind.status }

    /// The error the JSON API answers with: the status, the message, and `WWW-Authenticate: Bearer` on a 401.
    var httpError: HTTPError {
        var error = HTTPError(status, message: message)
        if kind == .unauthenticated { error.headers[.wwwAuthenticate] = "Bearer" }
        return error
    }
}

/// Status and message of any failure a handler throws, for answers in other formats than Hummingbird's (Open311):
/// `DispatchError`s by their kind, HTTP errors as they are, anything else a 500 (logged by the caller).
enum ErrorAnswer {
    static func of(_ error: any Error) -> (status: HTTPResponse.Status, message: String)? {
        switch error {
        case let error as DispatchError: (error.status, error.message)
        case let error as HTTPError: (error.status, error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError: (error.status, error.status.reasonPhrase)
        default: nil
        }
    }
}

/// Turns `DispatchError`s into `HTTPError`s with their message, and any other failure (SQLite, I/O) into a 500
/// that is logged with its detail.
struct DispatchErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as DispatchError {
            throw error.httpError
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw HTTPError(.internalServerError, message: "internal error; the server log has the detail")
        }
    }
}
