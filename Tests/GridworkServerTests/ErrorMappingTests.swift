import Foundation
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

    @Test("Open311 answers carry the same status and message")
    func open311() {
        let answer = ErrorAnswer.of(DispatchError(.conflict, "cannot accept incident 3: it is closed"))
        #expect(answer?.status == .conflict && answer?.message == "cannot accept incident 3: it is closed")
        #expect(ErrorAnswer.of(HTTPError(.contentTooLarge))?.status == .contentTooLarge)
        #expect(ErrorAnswer.of(CocoaError(.fileReadCorruptFile)) == nil, "anything else is a logged 500")
    }
}
