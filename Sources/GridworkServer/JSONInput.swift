import Foundation
import GridworkDispatch
import Hummingbird
import NIOCore

/// The one JSON casing policy of the HTTP API: snake_case keys out and in (`grid_id`, `reported_at`), as the
/// GeoJSON properties and Open311 already write them. Swift types keep their camelCase names; these coders convert.
///
/// Incoming bodies are decoded with `.convertFromSnakeCase`, which leaves a key without underscores as it is, so
/// the camelCase keys of the API before 0.9 (`reporterContact`, `idempotencyKey`) are still understood (for one
/// release; docs/api.md).
enum APIJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

/// Reading request bodies: a size limit stated in the refusal, the content type, and decoding errors turned into
/// messages naming the field to fix.
enum JSONInput {
    /// Collects the body (at most `limit` bytes; more is a 413 that states the limit).
    static func body(of request: Request, limit: Int) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {  // NIOTooManyBytesError
            throw HTTPErrors.tooLarge(limit: limit)
        }
    }

    /// Checks the content type, collects the body (at most `limit` bytes) and decodes it. A body without a
    /// `Content-Type` is read as JSON (scripts and simple clients often send none); any other type than
    /// `application/json` (or `application/...+json`) is a 415.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int, what: String) async throws -> T {
        try checkContentType(request, what: what)
        let buffer = try await body(of: request, limit: limit)
        return try decode(type, from: Data(buffer.readableBytesView), what: what)
    }

    /// Decodes a JSON document (a body, or a part of a multipart body), naming the field to fix.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        if data.isEmpty {
            throw DispatchError(.invalidInput, "the request body is empty: send \(what) as JSON with Content-Type: application/json")
        }
        do {
            return try APIJSON.decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw DispatchError(.invalidInput, "malformed \(what): " + DecodingErrorText.describe(error, keys: .snakeCase))
        }
    }

    /// Collects and parses a `multipart/form-data` body, at most `limits.maxUploadBytes` (more is a 413 stating the
    /// photo and field limits).
    static func multipart(of request: Request, limits: ServerLimits) async throws -> MultipartForm {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limits.maxUploadBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw HTTPErrors.uploadTooLarge(limits)
        }
        return try Multipart.parse(Data(buffer.readableBytesView), contentType: request.headers[.contentType] ?? "",
                                   limits: MultipartLimits(maxFieldBytes: limits.maxBodyBytes))
    }

    /// Refuses (415) a `Content-Type` other than JSON; none is read as JSON.
    static func checkContentType(_ request: Request, what: String) throws {
        if let contentType = request.headers[.contentType], !isJSON(contentType) {
            throw HTTPError(.unsupportedMediaType, message: "Content-Type \(contentType) is not JSON: send \(what) as JSON "
                + "with Content-Type: application/json (or multipart/form-data with photos)")
        }
    }

    /// `application/json`, `application/geo+json`, ... with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// The body as UTF-8 text (for forms), at most `limit` bytes.
    static func text(of request: Request, limit: Int) async throws -> String {
        String(decoding: try await body(of: request, limit: limit).readableBytesView, as: UTF8.self)
    }
}

/// JSON responses.
enum JSONOutput {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try APIJSON.encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func raw(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
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
