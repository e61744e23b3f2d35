import Foundation
import GridStore
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

/// Answers of the HTTP layer itself, with the message every answer carries.
enum HTTPErrors {
    /// A body over the limit: 413 stating it (`body is larger than 64 KiB`).
    static func tooLarge(limit: Int) -> HTTPError {
        HTTPError(.contentTooLarge, message: "body is larger than \(MediaLimits.size(limit)) (the server's --max-body-bytes)")
    }

    /// A `multipart/form-data` body over the upload limit: 413 stating it and what it is made of.
    static func uploadTooLarge(_ limits: ServerLimits) -> HTTPError {
        HTTPError(.contentTooLarge, message: "multipart body is larger than \(MediaLimits.size(limits.maxUploadBytes)) "
            + "(at most \(limits.media.maxCount) photos of \(MediaLimits.size(limits.media.maxBytes)) each, "
            + "plus \(MediaLimits.size(limits.maxBodyBytes)) of fields)")
    }

    /// What an unmatched request gets: 405 with `Allow` when the path has routes for other methods, else 404.
    static func unmatched(_ request: Request, routes: [(HTTPRequest.Method, String)]) -> HTTPError {
        let path = request.uri.path
        let allowed = routes.filter { matches(path, $0.1) }.map(\.0.rawValue)
        guard allowed.isEmpty else {
            let list = Array(Set(allowed)).sorted().joined(separator: ", ")
            return HTTPError(.methodNotAllowed, headers: [.allow: list],
                             message: "\(request.method) is not allowed on \(path); allowed: \(list)")
        }
        return HTTPError(.notFound, message: "no route \(request.method) \(path); docs/api.md lists the routes")
    }

    /// Seconds a client is asked to wait (`Retry-After`) when the disk refuses writes.
    static let storageRetrySeconds = 30

    /// What a failure of the disk under the database becomes: 503 with `Retry-After`, saying nothing was stored, so a
    /// client keeps the report and sends it again (the server keeps running and answers reads meanwhile; docs/reliability.md).
    /// A damaged file is a 500 naming `PRAGMA integrity_check`. Nil for any other failure.
    static func storage(_ error: any Error) -> HTTPError? {
        if let failure = error as? SQLiteError {
            if failure.isCorrupt {
                return HTTPError(.internalServerError, message: "the database file is damaged (database disk image is malformed; "
                    + "数据库文件损坏): the administrator checks it with `PRAGMA integrity_check` and restores the last backup")
            }
            guard failure.isStorageFailure else { return nil }
            let cause = switch failure.code {
            case 13: "the disk holding the database is full (磁盘已满)"  // SQLITE_FULL
            case 8: "the database file is read-only (数据库只读)"  // SQLITE_READONLY
            default: "the disk refused to write the database (磁盘写入失败: full, a file-size limit or a read-only or failing disk)"
            }
            return unavailable(cause)
        }
        if let failure = error as? CocoaError,
           [.fileWriteOutOfSpace, .fileWriteVolumeReadOnly, .fileWriteNoPermission].contains(failure.code) {
            return unavailable("the disk refused to store a file (磁盘已满或只读)")
        }
        return nil
    }

    private static func unavailable(_ cause: String) -> HTTPError {
        HTTPError(.serviceUnavailable, headers: [.retryAfter: String(storageRetrySeconds)],
                  message: "\(cause): nothing of this request was stored; keep it and send it again later "
                    + "(reading still works; the administrator is told in the server log)")
    }

    /// Whether a path fits a route pattern (`/api/v1/incidents/:id`: `:name` is any one segment).
    static func matches(_ path: String, _ pattern: String) -> Bool {
        let parts = path.split(separator: "/"), want = pattern.split(separator: "/")
        return parts.count == want.count && zip(parts, want).allSatisfy { $1.hasPrefix(":") || $0 == $1 }
    }
}

/// Turns every failure into an answer with a message: `DispatchError`s into `HTTPError`s with theirs, the router's
/// bare 404 into 404 or 405 saying what exists, a 413 into one stating the limit, a full or read-only disk into a 503
/// (`HTTPErrors.storage`), any other failure (SQLite, I/O) into a 500; both logged with their detail. Under
/// `/open311/` the answer is Open311's error array instead of `{"error": {"message"}}` (`<errors>` for a `.xml` path).
struct DispatchErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes served (method, pattern), to tell 405 from 404.
    var routes: [(HTTPRequest.Method, String)] = []
    /// The body limit, stated in a 413 (`ServerLimits.maxBodyBytes`).
    var maxBodyBytes = ServerLimits().maxBodyBytes
    /// The header limit, stated in a 431 (`ServerLimits.maxHeaderBytes`).
    var maxHeaderBytes = ServerLimits().maxHeaderBytes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let error: HTTPError
        do {
            if let size = request.headers[HeaderLimitHandler.marker] {
                // `HeaderLimitHandler` replaced headers over the limit by this marker.
                throw HTTPError(.requestHeaderFieldsTooLarge, message: HeaderLimitHandler.message(size: Int(size), limit: maxHeaderBytes))
            }
            return try await next(request, context)
        } catch let failure as DispatchError {
            error = failure.httpError
        } catch let failure as HTTPError where failure.body != nil {
            error = failure
        } catch let failure as any HTTPResponseError {
            // Hummingbird's own answers without a message: the router's 404, NIO's too-many-bytes 413, ...
            error = switch failure.status {
            case .notFound: HTTPErrors.unmatched(request, routes: routes)
            case .contentTooLarge: HTTPErrors.tooLarge(limit: maxBodyBytes)
            default: HTTPError(failure.status, message: failure.status.reasonPhrase)
            }
        } catch let failure {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(failure)")
            guard let storage = HTTPErrors.storage(failure) else {
                throw HTTPError(.internalServerError, message: "internal error; the server log has the detail")
            }
            error = storage
        }
        guard request.uri.path.hasPrefix("/open311/") else { throw error }
        let format = Open311Format.of(request.uri.path) ?? .json
        var response = format.error(error.status, error.body ?? error.status.reasonPhrase)
        response.headers.append(contentsOf: error.headers)
        return response
    }
}
