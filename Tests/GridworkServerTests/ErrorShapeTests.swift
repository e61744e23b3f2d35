import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Every answer a client may parse as JSON is JSON (issue 12): errors of the HTTP layer itself (404, 405, 413, 415)
/// carry a message, `{"error": {"message"}}` on the native API and `[{"code", "description"}]` under `/open311/`;
/// null fields are written as `null`.
@Suite("Error shapes and nulls")
struct ErrorShapeTests {
    @Test("a body over the limit is 413 stating the limit, in both formats, over a real socket")
    func tooLarge() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        let big = incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: String(repeating: "x", count: 70_000))
        try await f.application().test(.live) { client in
            let native = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"], json: big)
            #expect(native.status == .contentTooLarge)
            #expect(native.errorMessage.contains("body is larger than 64 KiB"), "\(native.text)")
            let action = try await client.send(.post, "/api/v1/incidents/1/accept", token: f.tokens["worker"], json: big)
            #expect(action.status == .contentTooLarge && action.errorMessage.contains("64 KiB"), "\(action.text)")
            let open311 = try await client.form("/open311/v2/requests.json", [("api_key", f.tokens["reporter"]!),
                                                                           ("description", String(repeating: "y", count: 70_000))])
            #expect(open311.status == .contentTooLarge)
            #expect(open311.array.first?["code"] as? Int == 413)
            #expect((open311.array.first?["description"] as? String)?.contains("body is larger than 64 KiB") == true, "\(open311.text)")
        }
        #expect(try f.count() == 0)
    }

    @Test("unmatched routes are 404 and wrong methods 405 with Allow, each with a message in its API's format")
    func unmatched() async throws {
        let f = try Fixture()
        try await f.application().test(.router) { client in
            let none = try await client.send(.get, "/api/v1/nothing", token: f.tokens["planner"])
            #expect(none.status == .notFound && none.errorMessage.contains("no route GET /api/v1/nothing"), "\(none.text)")
            let root = try await client.send(.get, "/nowhere", token: nil)
            #expect(root.status == .notFound && root.errorMessage.contains("no route"))
            let method = try await client.send(.delete, "/api/v1/incidents/3", token: f.tokens["dispatcher"])
            #expect(method.status == .methodNotAllowed, "\(method.text)")
            #expect(method.headers[.allow] == "GET")
            #expect(method.errorMessage.contains("DELETE is not allowed on /api/v1/incidents/3"))
            let both = try await client.send(.put, "/api/v1/incidents", token: f.tokens["dispatcher"])
            #expect(both.headers[.allow] == "GET, POST")

            let o404 = try await client.execute(uri: "/open311/v2/nothing.json", method: .get)
            #expect(o404.status == .notFound && o404.array.first?["code"] as? Int == 404, "\(o404.text)")
            let o405 = try await client.execute(uri: "/open311/v2/services.json", method: .post)
            #expect(o405.status == .methodNotAllowed && o405.array.first?["code"] as? Int == 405, "\(o405.text)")
            #expect(o405.headers[.allow] == "GET")
        }
    }

    @Test("services/{code}.json: a known code's definition, an unknown code a 404 error array")
    func serviceDefinition() async throws {
        let f = try Fixture()
        try await f.application().test(.router) { client in
            let known = try await client.execute(uri: "/open311/v2/services/garbage.json", method: .get)
            #expect(known.status == .ok && known.object["service_code"] as? String == "garbage", "\(known.text)")
            #expect((known.object["attributes"] as? [Any])?.isEmpty == true)
            let unknown = try await client.execute(uri: "/open311/v2/services/spaceship.json", method: .get)
            #expect(unknown.status == .notFound)
            #expect((unknown.array.first?["description"] as? String)?.contains("unknown service_code 'spaceship'") == true)
            let other = try await client.execute(uri: "/open311/v2/services/garbage.csv", method: .get)
            #expect(other.status == .notFound && other.array.first?["code"] as? Int == 404, "\(other.text)")
        }
    }

    @Test("JSON POSTs: a non-JSON Content-Type is 415 with a message; no Content-Type is read as JSON")
    func contentType() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        let body = ByteBuffer(string: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
        let auth = "Bearer \(f.tokens["reporter"]!)"
        try await f.application().test(.router) { client in
            let text = try await client.execute(uri: "/api/v1/incidents", method: .post,
                                                headers: [.authorization: auth, .contentType: "text/plain"], body: body)
            #expect(text.status == .unsupportedMediaType)
            #expect(text.errorMessage.contains("Content-Type text/plain is not JSON"), "\(text.text)")
            let form = try await client.execute(uri: "/api/v1/incidents", method: .post,
                                                headers: [.authorization: auth, .contentType: "application/x-www-form-urlencoded"],
                                                body: body)
            #expect(form.status == .unsupportedMediaType)
            #expect(try f.count() == 0)
            let none = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: [.authorization: auth], body: body)
            #expect(none.status == .created, "\(none.text)")
            let charset = try await client.execute(uri: "/api/v1/incidents", method: .post,
                                                   headers: [.authorization: auth, .contentType: "application/json; charset=utf-8"],
                                                   body: body)
            #expect(charset.status == .created)
        }
    }

    @Test("null fields are present as null: rating, resolved_at, closed_at, building_id, report rates, department")
    func nulls() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            let created = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                                 json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            for key in ["rating", "resolved_at", "closed_at", "repeat_of"] {
                #expect(created.object[key] is NSNull, "\(key): \(created.text)")
            }
            #expect(created.object.keys.contains("building_id"))
            #expect(created.object["history"] == nil, "history is only in GET one")
            let id = try #require(created.object["id"] as? Int)
            let one = try await client.send(.get, "/api/v1/incidents/\(id)", token: f.tokens["worker"])
            #expect(one.object["reporter_contact"] is NSNull, "not shown to the worker: null")
            let history = one.object["history"] as? [[String: Any]] ?? []
            #expect(history.first?["from"] is NSNull, "\(one.text)")
            let report = try await client.send(.get, "/api/v1/reports/summary", token: f.tokens["planner"])
            #expect(report.object["average_rating"] is NSNull && report.object["from"] is NSNull, "\(report.text)")
            let categories = try await client.send(.get, "/api/v1/categories", token: nil)
            let garbage = (categories.object["categories"] as? [[String: Any]])?.first { $0["code"] as? String == "garbage" }
            #expect(garbage?["department"] is NSNull)
        }
    }
}
