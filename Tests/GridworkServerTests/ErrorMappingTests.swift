import Foundation
import GridStore
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// The one place domain errors become HTTP: each kind's status, the message kept, and the Open311 form.
@Suite("Domain errors to HTTP")
struct ErrorMappingTests {
    static let expected: [(DispatchError.Kind, HTTPResponse.Status)] = [
        (.invalidInput, .badRequest), (.unauthenticated, .unauthorized), (.forbidden, .forbidden),
        (.notFound, .notFound), (.conflict, .conflict), (.unprocessable, .unprocessableContent),
    ]

    @Test("every kind has its status")
    func statuses() {
        #expect(Self.expected.count == DispatchError.Kind.allCases.count)
        for (kind, status) in Self.expected {
            #expect(kind.status == status, "\(kind)")
        }
    }

    @Test("through the middleware: status, the message as written, WWW-Authenticate on 401, other failures 500")
    func middleware() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: DispatchErrorMiddleware())
        for (n, (kind, _)) in Self.expected.enumerated() {
            router.get("fail/\(n)") { _, _ -> String in throw DispatchError(kind, "what went wrong \(n), and the fix") }
        }
        router.get("crash") { _, _ -> String in throw CocoaError(.fileReadCorruptFile) }
        let app = Application(router: router)
        try await app.test(.router) { client in
            for (n, (kind, status)) in Self.expected.enumerated() {
                let r = try await client.execute(uri: "/fail/\(n)", method: .get)
                #expect(r.status == status, "\(kind)")
                #expect(String(buffer: r.body).contains("what went wrong \(n), and the fix"))
                #expect((r.headers[.wwwAuthenticate] == "Bearer") == (kind == .unauthenticated))
            }
            let crash = try await client.execute(uri: "/crash", method: .get)
            #expect(crash.status == .internalServerError)
            #expect(String(buffer: crash.body).contains("the server log has the detail"))
        }
    }

    @Test("a full or refusing disk is 503 with Retry-After saying nothing was stored; a damaged file 500 naming integrity_check")
    func storage() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: DispatchErrorMiddleware())
        let failures: [(String, SQLiteError)] = [
            ("full", SQLiteError(code: 13, message: "database or disk is full", context: "committing")),
            ("write", SQLiteError(code: 10, extendedCode: 778, message: "disk I/O error", context: "committing")),
            ("readonly", SQLiteError(code: 8, extendedCode: 1032, message: "attempt to write a readonly database", context: "x")),
            ("damaged", SQLiteError(code: 11, message: "database disk image is malformed", context: "reading")),
            ("unique", SQLiteError(code: 19, extendedCode: 2067, message: "UNIQUE constraint failed: x.y", context: "x")),
        ]
        for (path, failure) in failures {
            router.post(RouterPath(path)) { _, _ -> String in throw failure }
        }
        try await Application(router: router).test(.router) { client in
            for path in ["full", "write", "readonly"] {
                let r = try await client.execute(uri: "/" + path, method: .post)
                #expect(r.status == .serviceUnavailable, "\(path)")
                #expect(r.headers[.retryAfter] == String(HTTPErrors.storageRetrySeconds))
                #expect(String(buffer: r.body).contains("nothing of this request was stored"))
            }
            let full = try await client.execute(uri: "/full", method: .post)
            #expect(String(buffer: full.body).contains("磁盘已满"))
            let damaged = try await client.execute(uri: "/damaged", method: .post)
            #expect(damaged.status == .internalServerError)
            #expect(String(buffer: damaged.body).contains("PRAGMA integrity_check"))
            let unique = try await client.execute(uri: "/unique", method: .post)
            #expect(unique.status == .internalServerError && String(buffer: unique.body).contains("the server log has the detail"))
        }
    }

    @Test("Open311 answers carry the same status and message")
    func open311() {
        let answer = ErrorAnswer.of(DispatchError(.conflict, "cannot accept incident 3: it is closed"))
        #expect(answer?.status == .conflict && answer?.message == "cannot accept incident 3: it is closed")
        #expect(ErrorAnswer.of(HTTPError(.contentTooLarge))?.status == .contentTooLarge)
        #expect(ErrorAnswer.of(CocoaError(.fileReadCorruptFile)) == nil, "anything else is a logged 500")
    }
}
