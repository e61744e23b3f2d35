import Foundation
import Hummingbird
import NIOCore

/// Reading request bodies: a size limit, and decoding errors turned into messages naming the field to fix.
enum JSONInput {
    /// Collects the body (at most `limit` bytes; more is a 413) and decodes it.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int, what: String) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        if buffer.readableBytes == 0 {
            throw DispatchError(.badRequest, "the request body is empty: send \(what) as JSON with Content-Type: application/json")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw DispatchError(.badRequest, "malformed \(what): " + describe(error))
        }
    }

    /// The body as UTF-8 text (for forms), at most `limit` bytes.
    static func text(of request: Request, limit: Int) async throws -> String {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        let text = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        return text.isEmpty ? "the top level" : "`\(text)`"
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
            return "missing field `\(key.stringValue)`\(parent)"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) should be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null; it should be \(typeName(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "the body is not valid JSON" + (underlying.map { " (\($0))" } ?? "")
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is Int64.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Dictionary") || "\(type)".contains("Location") ? "an object" : "\(type)"
        }
    }
}

/// JSON responses.
enum JSONOutput {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func raw(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

extension DispatchError {
    var status: HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        }
    }

    var httpError: HTTPError {
        var error = HTTPError(status, message: message)
        if kind == .unauthorized { error.headers[.wwwAuthenticate] = "Bearer" }
        return error
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

extension Request {
    /// The token of a request: `Authorization: Bearer <token>`, else the `api_key` query parameter.
    var apiToken: String? {
        if let header = headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        return uri.queryParameters.get("api_key")
    }

    /// The `Idempotency-Key` header.
    var idempotencyKeyHeader: String? {
        headers.first { $0.name.canonicalName == "idempotency-key" }?.value
    }
}
