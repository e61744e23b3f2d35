import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Open311 GeoReport v2 as the spec reads (issue 12): the filter rules and the optional description.
@Suite("Open311 conformance")
struct Open311Tests {
    @Test("service_request_id overrides status, service_code, start_date and end_date; jurisdiction_id is accepted")
    func idOverridesFilters() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            var ids: [String] = []
            for code in ["garbage", "housing_safety"] {
                let r = try await client.form("/open311/v2/requests.json", [
                    ("api_key", f.tokens["reporter"]!), ("jurisdiction_id", "jiande"), ("service_code", code),
                    ("lat", "\(p.lat)"), ("long", "\(p.lon)"), ("description", "report \(code)"),
                ])
                #expect(r.status == .created, "\(r.text)")
                ids += [r.array.first?["service_request_id"] as? String ?? "?"]
            }
            let key = f.tokens["dispatcher"]!
            func list(_ query: String) async throws -> [String] {
                let r = try await client.execute(uri: "/open311/v2/requests.json?api_key=\(key)&\(query)", method: .get)
                #expect(r.status == .ok, "\(query): \(r.text)")
                return r.array.compactMap { $0["service_request_id"] as? String }.sorted()
            }
            // Both are open: each other filter alone excludes them, but not together with their ids.
            #expect(try await list("status=closed").isEmpty)
            #expect(try await list("service_request_id=\(ids[0])&status=closed") == [ids[0]])
            #expect(try await list("service_request_id=\(ids[0])&service_code=housing_safety") == [ids[0]])
            #expect(try await list("service_request_id=\(ids.joined(separator: ","))&start_date=2030-01-01T00:00:00Z"
                + "&end_date=2030-02-01T00:00:00Z") == ids.sorted())
            #expect(try await list("service_code=housing_safety&jurisdiction_id=jiande") == [ids[1]])
            #expect(try await list("start_date=2030-01-01T00:00:00Z").isEmpty)
            let bad = try await client.execute(uri: "/open311/v2/requests.json?api_key=\(key)&service_request_id=1,x", method: .get)
            #expect(bad.status == .badRequest && bad.array.first?["code"] as? Int == 400)
        }
    }

    @Test("description is optional in POST requests.json (photo-only reports); the native API still asks for one")
    func optionalDescription() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            let r = try await client.form("/open311/v2/requests.json", [
                ("api_key", f.tokens["reporter"]!), ("service_code", "garbage"), ("lat", "\(p.lat)"), ("long", "\(p.lon)"),
            ])
            #expect(r.status == .created, "\(r.text)")
            let id = try #require(r.array.first?["service_request_id"] as? String)
            let one = try await client.execute(uri: "/open311/v2/requests/\(id).json?api_key=\(f.tokens["reporter"]!)", method: .get)
            #expect(one.array.first?["description"] as? String == "")
            let native = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                               json: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: ""))
            #expect(native.status == .badRequest)
        }
    }
}

/// The form fields of `POST requests` (`Open311Form`), without a server: what the handler and the `dispatch` fuzz
/// target both read.
@Suite("Open311 form fields")
struct Open311FormTests {
    @Test("form decoding: + is a space, %XX bytes, the first of a repeated key wins, a bare key is empty")
    func parse() {
        let form = Open311Form.parse("description=bins+full%E4%BA%86&service_code=garbage&service_code=other&flag&=x&bad=%ZZ")
        #expect(form["description"] == "bins full了")
        #expect(form["service_code"] == "garbage")
        #expect(form["flag"] == "")
        #expect(form[""] == "x")
        #expect(form["bad"] == "%ZZ", "an undecodable value is kept as sent")
    }

    @Test("lat and long become the location (x = long), the contact fields are joined")
    func intake() throws {
        let request = try Open311Form.intakeRequest(form: [
            "service_code": "garbage", "lat": "29.48", "long": "119.33", "crs": "GCJ02", "description": "满了",
            "first_name": "Li", "last_name": "", "phone": "139", "email": "a@b",
        ], idempotencyKey: "k1")
        #expect(request == IntakeRequest(category: "garbage", description: "满了",
                                         location: .init(x: 119.33, y: 29.48, crs: "GCJ02"), address: nil,
                                         reporterContact: "Li 139 a@b", idempotencyKey: "k1"))
        let byAddress = try Open311Form.intakeRequest(form: ["service_code": "garbage", "address_string": "湾昌路1号"],
                                                      idempotencyKey: nil)
        #expect(byAddress.location == nil && byAddress.address == "湾昌路1号" && byAddress.description == "")
    }

    @Test("a form without a service code, with a coordinate that is not a number, or with no place is refused")
    func refusals() {
        func message(_ form: [String: String]) -> String? {
            do {
                _ = try Open311Form.intakeRequest(form: form, idempotencyKey: nil)
                return nil
            } catch let error as DispatchError {
                #expect(error.kind == .invalidInput)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message(["lat": "29.48", "long": "119.33"])?.contains("service_code is required") == true)
        #expect(message(["service_code": "", "lat": "29.48", "long": "119.33"])?.contains("service_code is required") == true)
        #expect(message(["service_code": "garbage", "lat": "29.48"])?.contains("both must be decimal degrees") == true)
        #expect(message(["service_code": "garbage", "lat": "north", "long": "119.33"])?.contains("lat=north") == true)
        #expect(message(["service_code": "garbage", "address_string": ""])?.contains("give lat and long, or address_string") == true)
    }
}
