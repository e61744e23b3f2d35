import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Dispatch API through the router")
struct DispatchAPITests {
    @Test("intake routes by category and workload, records the reason, and commits before answering")
    func intakeAndRouting() async throws {
        let f = try Fixture()
        let app = try f.application()
        try await app.test(.router) { client in
            let p = f.workerPoint
            let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            #expect(r.status == .created, "\(r.text)")
            #expect(r.headers[.location] != nil)
            let o = r.object
            #expect(o["state"] as? String == "dispatched")
            #expect(o["grid_id"] as? String == p.grid)
            let assignee = o["assignee"] as? [String: Any]
            #expect(assignee?["kind"] as? String == "staff")
            #expect(assignee?["id"] as? String == p.worker)
            #expect((o["routing_reason"] as? String)?.contains(p.worker) == true)
            #expect(try f.count() == 1)

            // A department's category goes to the department, wherever it is.
            let d = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "housing_safety", x: p.lon, y: p.lat))
            #expect((d.object["assignee"] as? [String: Any])?["id"] as? String == "D06")
            // A category only the database knows (road_damage, Transport) goes to its department with the default deadline.
            let t = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "road_damage", x: p.lon, y: p.lat))
            #expect(t.status == .created)
            #expect((t.object["assignee"] as? [String: Any])?["kind"] as? String == "department")

            // No full-time worker: the part-time worker with the fewest open items (ties: lowest id).
            let v = f.vacantPoint
            let pv = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                           json: incidentJSON(category: "dispute", x: v.lon, y: v.lat))
            #expect((pv.object["assignee"] as? [String: Any])?["id"] as? String == v.partTimer, "\(pv.text)")
            // The next one in the same grid goes to another part-timer: workload balances.
            let pv2 = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                            json: incidentJSON(category: "dispute", x: v.lon, y: v.lat))
            let second = (pv2.object["assignee"] as? [String: Any])?["id"] as? String
            #expect(second != nil && second != v.partTimer)
            #expect(pv2.object["repeat_of"] as? Int == pv.object["id"] as? Int, "same category at the same place is a repeat")

            // Everybody off duty: the village takes it.
            let o2 = f.offDutyPoint
            let vil = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                            json: incidentJSON(category: "garbage", x: o2.lon, y: o2.lat))
            let va = vil.object["assignee"] as? [String: Any]
            #expect(va?["kind"] as? String == "village")
            #expect(va?["id"] as? String == o2.village)
        }
    }

    @Test("coordinates in GCJ-02, BD-09 and Gauss-Krüger metres land in the same grid as WGS84")
    func otherCRS() async throws {
        let f = try Fixture()
        let app = try f.application()
        let p = f.workerPoint
        let gcj = ChineseOffsetFixture.gcj(p.lon, p.lat), bd = ChineseOffsetFixture.bd(p.lon, p.lat)
        let gk = try ChineseOffsetFixture.gaussKruger(p.lon, p.lat)
        try await app.test(.router) { client in
            for (x, y, crs) in [(gcj.0, gcj.1, "GCJ02"), (bd.0, bd.1, "BD09"), (gk.0, gk.1, "EPSG:4549")] {
                let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                              json: incidentJSON(category: "garbage", x: x, y: y, crs: crs))
                #expect(r.status == .created, "\(crs): \(r.text)")
                #expect(r.object["grid_id"] as? String == p.grid, "\(crs)")
            }
        }
    }

    @Test("bad input gets a 4xx saying what to fix, and nothing is written")
    func badInput() async throws {
        let f = try Fixture()
        let app = try f.application()
        let p = f.workerPoint
        try await app.test(.router) { client in
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("{\"category\": \"garbage\",", .badRequest, "not valid JSON"),
                ("{\"category\": \"garbage\", \"description\": \"x\"}", .badRequest, "give the location (x, y; Open311: lat, long) or an address"),
                ("{\"category\": \"garbage\", \"description\": \"x\", \"location\": {\"x\": \"a\", \"y\": 1}}", .badRequest, "`location.x` should be a number"),
                (incidentJSON(category: "spaceship", x: p.lon, y: p.lat), .badRequest, "unknown category 'spaceship'"),
                (incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: "  "), .badRequest, "description is empty"),
                (incidentJSON(category: "garbage", x: 116.39, y: 39.9), .unprocessableContent, "outside the county"),
                (incidentJSON(category: "garbage", x: p.lat, y: p.lon), .badRequest, "swapped"),
                (incidentJSON(category: "garbage", x: 500_000, y: 3_260_000), .badRequest, "projected metres"),
                (incidentJSON(category: "garbage", x: p.lon, y: p.lat, crs: "EPSG:999999"), .badRequest, "not a CRS"),
                (incidentJSON(category: "garbage", x: p.lon, y: p.lat, crs: "mars"), .badRequest, "not a CRS"),
            ]
            for (body, status, phrase) in cases {
                let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"], json: body)
                #expect(r.status == status, "\(body) → \(r.status) \(r.text)")
                #expect(r.errorMessage.contains(phrase), "\(body) → \(r.errorMessage)")
            }
            let big = String(repeating: "x", count: 70_000)
            let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: big))
            #expect(r.status == .contentTooLarge)
            #expect(try f.count() == 0)
            #expect(try f.count("SELECT count(*) FROM dispatch_event") == 0)
        }
    }

    @Test("idempotency key: a retried report is stored once")
    func idempotency() async throws {
        let f = try Fixture()
        let app = try f.application()
        let p = f.workerPoint
        try await app.test(.router) { client in
            let body = incidentJSON(category: "garbage", x: p.lon, y: p.lat, key: "phone-42-001")
            let a = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"], json: body)
            let b = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"], json: body)
            #expect(a.status == .created)
            #expect(b.status == .ok)
            #expect(a.object["id"] as? Int == b.object["id"] as? Int)
            // Another reporter's key space is separate.
            let c = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter2"], json: body)
            #expect(c.status == .created)
            #expect(try f.count() == 2)
        }
    }

    @Test("the closed loop: every transition, with actor, time and note; illegal ones refused with the allowed list")
    func closedLoop() async throws {
        let f = try Fixture()
        let app = try f.application()
        let p = f.workerPoint
        try await app.test(.router) { client in
            let created = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                                json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            let id = created.object["id"] as! Int
            func act(_ action: String, _ token: String, _ body: String? = nil) async throws -> TestResponse {
                try await client.send(.post, "/api/v1/incidents/\(id)/\(action)", token: f.tokens[token], json: body)
            }
            var r = try await act("resolve", "worker")
            #expect(r.status == .conflict)
            #expect(r.errorMessage.contains("it is dispatched"), "\(r.errorMessage)")
            #expect(r.errorMessage.contains("accept"))
            r = try await act("accept", "worker", "{\"note\": \"on my way\"}")
            #expect(r.object["state"] as? String == "accepted")
            r = try await act("return", "worker")
            #expect(r.status == .badRequest, "return needs a note")
            r = try await act("return", "worker", "{\"note\": \"this is the neighbouring grid's bins\"}")
            #expect(r.object["state"] as? String == "reported")
            r = try await act("dispatch", "worker", "{\"assignee\": {\"kind\": \"staff\", \"id\": \"\(f.otherWorker)\"}}")
            #expect(r.status == .forbidden)
            r = try await act("dispatch", "dispatcher", "{\"assignee\": {\"kind\": \"staff\", \"id\": \"\(p.worker)\"}, \"note\": \"it is yours\"}")
            #expect(r.object["state"] as? String == "dispatched")
            r = try await act("accept", "worker")
            r = try await act("start", "worker")
            #expect(r.object["state"] as? String == "in_progress")
            f.clock.advance(by: 3600)
            r = try await act("resolve", "worker", "{\"note\": \"bins emptied\"}")
            #expect(r.object["state"] as? String == "resolved")
            r = try await act("rate", "reporter2", "{\"rating\": 5}")
            #expect(r.status == .notFound, "another reporter cannot see it")
            r = try await act("rate", "reporter", "{\"rating\": 9}")
            #expect(r.status == .badRequest)
            r = try await act("rate", "reporter", "{\"rating\": 2, \"note\": \"came back full next day\"}")
            #expect(r.object["state"] as? String == "rated")
            r = try await act("reopen", "reporter", "{\"note\": \"full again\"}")
            #expect(r.object["state"] as? String == "dispatched")
            #expect(r.object["rating"] is NSNull, "cleared: null (null fields are written)")
            _ = try await act("accept", "worker")
            _ = try await act("resolve", "worker")
            r = try await act("rate", "reporter", "{\"rating\": 4}")
            r = try await act("close", "dispatcher")
            #expect(r.object["state"] as? String == "closed")
            r = try await act("accept", "worker")
            #expect(r.status == .conflict)
            #expect(r.errorMessage.contains("reopen"))
            r = try await act("fly", "worker")
            #expect(r.status == .notFound)

            let detail = try await client.send(.get, "/api/v1/incidents/\(id)", token: f.tokens["dispatcher"])
            let history = detail.object["history"] as? [[String: Any]] ?? []
            #expect(history.map { $0["action"] as? String ?? "" } == [
                "report", "dispatch", "accept", "return", "dispatch", "accept", "start", "resolve", "rate", "reopen",
                "accept", "resolve", "rate", "close",
            ])
            #expect(history.allSatisfy { ($0["actor"] as? String)?.isEmpty == false && $0["at"] is String })
            #expect(history[3]["note"] as? String == "this is the neighbouring grid's bins")
            #expect(history[3]["actor"] as? String == "grid_worker:\(p.worker)")
        }
    }

    @Test("roles: each token sees and does only what its role allows")
    func roles() async throws {
        let f = try Fixture()
        let app = try f.application()
        let p = f.workerPoint
        try await app.test(.router) { client in
            let g = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            let h = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "housing_safety", x: p.lon, y: p.lat))
            let gid = g.object["id"] as! Int, hid = h.object["id"] as! Int

            #expect(try await client.send(.get, "/api/v1/incidents", token: nil).status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/incidents", token: "gw_forged").status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/incidents", token: f.tokens["planner"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat)).status == .forbidden)

            func ids(_ token: String) async throws -> Set<Int> {
                let r = try await client.send(.get, "/api/v1/incidents?state=open", token: f.tokens[token])
                return Set((r.object["incidents"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int })
            }
            #expect(try await ids("worker") == [gid, hid], "the grid's worker sees every incident of the grid")
            #expect(try await ids("otherWorker").isEmpty, "a worker of another grid sees nothing")
            #expect(try await ids("housing") == [hid])
            #expect(try await ids("justice").isEmpty)
            #expect(try await ids("planner") == [gid, hid])
            #expect(try await ids("reporter2").isEmpty)
            #expect(try await client.send(.get, "/api/v1/incidents/\(gid)", token: f.tokens["otherWorker"]).status == .notFound)
            // Only the assignee or a dispatcher acts; the department cannot accept the grid's incident.
            #expect(try await client.send(.post, "/api/v1/incidents/\(gid)/accept", token: f.tokens["housing"]).status == .notFound)
            #expect(try await client.send(.post, "/api/v1/incidents/\(hid)/accept", token: f.tokens["worker"]).status == .forbidden)
            #expect(try await client.send(.post, "/api/v1/incidents/\(hid)/accept", token: f.tokens["housing"]).status == .ok)
            #expect(try await client.send(.post, "/api/v1/incidents/\(gid)/accept", token: f.tokens["planner"]).status == .forbidden)
            // Contacts are shown to dispatchers and the reporter only.
            let asWorker = try await client.send(.get, "/api/v1/incidents/\(gid)", token: f.tokens["worker"])
            #expect(asWorker.object["reporter_contact"] is NSNull, "not shown to the worker: null")
            let asDispatcher = try await client.send(.get, "/api/v1/incidents/\(gid)", token: f.tokens["dispatcher"])
            #expect(asDispatcher.object["reporter_contact"] as? String == "13800000000")
            #expect(try await client.send(.get, "/api/v1/reports/summary", token: f.tokens["worker"]).status == .forbidden)
            #expect(try await client.send(.post, "/api/v1/escalations/sweep", token: f.tokens["planner"]).status == .forbidden)
        }
    }

    @Test("deadlines escalate grid → village → town → county on a controllable clock, catching up after downtime")
    func escalation() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        let (garbageID, disputeID) = try await f.application().test(.router) { client -> (Int, Int) in
            let g = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))  // 24 h
            let d = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "dispute", x: p.lon, y: p.lat))  // 48 h
            let garbageID = g.object["id"] as! Int
            let disputeID = d.object["id"] as! Int
            f.clock.advance(by: 23 * 3600)
            var s = try await client.send(.post, "/api/v1/escalations/sweep", token: f.tokens["dispatcher"])
            #expect((s.object["escalations"] as? [Any])?.isEmpty == true)
            f.clock.advance(by: 2 * 3600)
            s = try await client.send(.post, "/api/v1/escalations/sweep", token: f.tokens["dispatcher"])
            let rows = s.object["escalations"] as? [[String: Any]] ?? []
            #expect(rows.count == 1)
            #expect(rows.first?["incident"] as? Int == garbageID)
            #expect(rows.first?["level"] as? String == "village")
            // The resolved one no longer escalates.
            _ = try await client.send(.post, "/api/v1/incidents/\(disputeID)/accept", token: f.tokens["worker"])
            _ = try await client.send(.post, "/api/v1/incidents/\(disputeID)/resolve", token: f.tokens["worker"])
            return (garbageID, disputeID)
        }
        // The server is down for three days; the start-up sweep of the next application catches up.
        f.clock.advance(by: 3 * 86_400)
        try await f.application().test(.router) { client in
            let r = try await client.send(.get, "/api/v1/incidents/\(garbageID)", token: f.tokens["dispatcher"])
            #expect(r.object["escalation_level"] as? String == "county")
            let notes = (r.object["history"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "escalate" }
            #expect(notes.count == 3)
            #expect(notes.last?["actor"] as? String == "system")
            let d = try await client.send(.get, "/api/v1/incidents/\(disputeID)", token: f.tokens["dispatcher"])
            #expect(d.object["escalation_level"] as? String == "grid")
            let report = try await client.send(.get, "/api/v1/reports/summary", token: f.tokens["planner"]).object
            #expect(report["escalated"] as? Int == 1)
            #expect(report["resolved_on_time"] as? Int == 1)
        }
    }

    @Test("reports: on-time, closure, satisfaction and repeat reports")
    func reports() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            var ids: [Int] = []
            for _ in 0..<4 {
                let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                              json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
                ids.append(r.object["id"] as! Int)
            }
            for (n, id) in ids.prefix(3).enumerated() {
                _ = try await client.send(.post, "/api/v1/incidents/\(id)/accept", token: f.tokens["worker"])
                if n == 2 { f.clock.advance(by: 30 * 3600) }  // the third is resolved late
                _ = try await client.send(.post, "/api/v1/incidents/\(id)/resolve", token: f.tokens["worker"])
                _ = try await client.send(.post, "/api/v1/incidents/\(id)/rate", token: f.tokens["reporter"],
                                          json: "{\"rating\": \(n == 0 ? 2 : 5)}")
                _ = try await client.send(.post, "/api/v1/incidents/\(id)/close", token: f.tokens["reporter"])
            }
            let r = try await client.send(.get, "/api/v1/reports/summary?from=2025-12-31T00:00:00Z", token: f.tokens["planner"])
            let o = r.object
            #expect(o["total"] as? Int == 4)
            #expect(o["closed"] as? Int == 3)
            #expect(o["closure_rate"] as? Double == 0.75)
            #expect(o["resolved_on_time"] as? Int == 2)
            #expect(o["satisfied"] as? Int == 2)
            #expect(o["rated"] as? Int == 3)
            #expect(o["repeat_reports"] as? Int == 3)
            #expect((o["repeat_places"] as? [[String: Any]])?.first?["reports"] as? Int == 4)
            let bad = try await client.send(.get, "/api/v1/reports/summary?from=yesterday", token: f.tokens["planner"])
            #expect(bad.status == .badRequest)
        }
    }

    @Test("Open311 GeoReport v2: services, form-encoded requests, filters, single request, errors")
    func open311() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            let services = try await client.execute(uri: "/open311/v2/services.json", method: .get)
            let codes = services.array.compactMap { $0["service_code"] as? String }
            #expect(codes.contains("garbage") && codes.contains("housing_safety"))
            #expect(services.array.allSatisfy { $0["type"] as? String == "realtime" && $0["metadata"] as? Bool == false })

            let created = try await client.form("/open311/v2/requests.json", [
                ("api_key", f.tokens["reporter"]!), ("service_code", "garbage"), ("lat", "\(p.lat)"), ("long", "\(p.lon)"),
                ("description", "垃圾桶满了 bins full"), ("phone", "13900000000"),
            ])
            #expect(created.status == .created, "\(created.text)")
            let id = created.array.first?["service_request_id"] as? String
            #expect(id != nil)
            let housing = try await client.form("/open311/v2/requests.json", [
                ("api_key", f.tokens["reporter"]!), ("service_code", "housing_safety"), ("lat", "\(p.lat)"), ("long", "\(p.lon)"),
                ("description", "crack in wall"),
            ])
            #expect(housing.status == .created)

            let one = try await client.execute(uri: "/open311/v2/requests/\(id!).json?api_key=\(f.tokens["reporter"]!)", method: .get)
            #expect(one.array.first?["service_code"] as? String == "garbage")
            #expect(one.array.first?["status"] as? String == "open")
            #expect(one.array.first?["description"] as? String == "垃圾桶满了 bins full")

            let filtered = try await client.execute(
                uri: "/open311/v2/requests.json?api_key=\(f.tokens["dispatcher"]!)&service_code=housing_safety&status=open", method: .get)
            #expect(filtered.array.count == 1)
            let closed = try await client.execute(
                uri: "/open311/v2/requests.json?api_key=\(f.tokens["dispatcher"]!)&status=closed", method: .get)
            #expect(closed.array.isEmpty)

            let bad = try await client.form("/open311/v2/requests.json", [
                ("api_key", f.tokens["reporter"]!), ("service_code", "spaceship"), ("lat", "\(p.lat)"), ("long", "\(p.lon)"),
                ("description", "x"),
            ])
            #expect(bad.status == .badRequest)
            #expect(bad.array.first?["code"] as? Int == 400)
            #expect((bad.array.first?["description"] as? String)?.contains("unknown category") == true)
            let noKey = try await client.form("/open311/v2/requests.json", [("service_code", "garbage")])
            #expect(noKey.status == .unauthorized)
            #expect(try f.count() == 2)
        }
    }

    @Test("GeoJSON layers: grids with worker counts, open incidents filtered by role")
    func geoJSON() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            _ = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                      json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            let grids = try await client.send(.get, "/api/v1/grids.geojson", token: f.tokens["planner"])
            #expect(grids.headers[.contentType] == "application/geo+json")
            let features = grids.object["features"] as? [[String: Any]] ?? []
            #expect(features.count == f.county.grids.count)
            let mine = features.first { ($0["properties"] as? [String: Any])?["grid_id"] as? String == p.grid }
            #expect(((mine?["properties"] as? [String: Any])?["worker_count"] as? Int ?? 0) >= 1)
            let open = try await client.send(.get, "/api/v1/incidents.geojson?state=open", token: f.tokens["worker"])
            #expect((open.object["features"] as? [Any])?.count == 1)
            let other = try await client.send(.get, "/api/v1/incidents.geojson?state=open", token: f.tokens["otherWorker"])
            #expect((other.object["features"] as? [Any])?.count == 0)
            let badState = try await client.send(.get, "/api/v1/incidents.geojson?state=sleeping", token: f.tokens["planner"])
            #expect(badState.status == .badRequest)
        }
    }

    /// Every object key in a JSON value, with its path.
    static func keys(_ value: Any?, at path: String = "") -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, inner in [path + "." + key] + keys(inner, at: path + "." + key) }
        }
        if let array = value as? [Any] { return array.flatMap { keys($0, at: path + "[]") } }
        return []
    }

    @Test("one casing: every JSON name the API writes is snake_case; old camelCase request keys still work")
    func snakeCase() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            // The old camelCase request keys are still understood for one release (docs/api.md).
            let old = "{\"category\": \"garbage\", \"description\": \"x\", \"location\": {\"x\": \(p.lon), \"y\": \(p.lat)}, "
                + "\"reporterContact\": \"13900000000\", \"idempotencyKey\": \"old-1\"}"
            let a = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"], json: old)
            #expect(a.status == .created, "\(a.text)")
            #expect(a.object["reporter_contact"] as? String == "13900000000")
            #expect(a.object["idempotency_key"] as? String == "old-1")
            let id = try #require(a.object["id"] as? Int)
            let b = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat, key: "new-1"))
            #expect(b.object["idempotency_key"] as? String == "new-1")
            #expect(b.object["reporter_contact"] as? String == "13800000000")
            let bad = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                            json: "{\"category\": \"garbage\", \"description\": \"x\", \"location\": {\"x\": 1, \"y\": 2}, \"reporter_contact\": 5}")
            #expect(bad.errorMessage.contains("`reporter_contact` should be a string"), "\(bad.errorMessage)")

            _ = try await client.send(.post, "/api/v1/incidents/\(id)/accept", token: f.tokens["worker"])
            f.clock.advance(by: 30 * 86_400)
            var names: [String] = []
            for (uri, token) in [("/api/v1/incidents/\(id)", "dispatcher"), ("/api/v1/incidents", "dispatcher"),
                                 ("/api/v1/reports/summary", "planner"),
                                 ("/api/v1/categories", "planner")] {
                let r = try await client.send(.get, uri, token: f.tokens[token])
                #expect(r.status == .ok, "\(uri)")
                names += Self.keys(r.json, at: uri)
            }
            let sweep = try await client.send(.post, "/api/v1/escalations/sweep", token: f.tokens["dispatcher"])
            #expect((sweep.object["escalations"] as? [Any])?.isEmpty == false)
            names += Self.keys(sweep.json, at: "sweep")
            // (`/me` and grid detail are console routes: ConsoleTests reads their snake_case names.)
            #expect(names.contains("/api/v1/reports/summary.by_state") && names.contains("sweep.escalations[].fell_due_at"))
            #expect(names.contains("/api/v1/incidents/\(id).escalation_level"))
            #expect(names.filter { $0.contains { $0.isUppercase } } == [])
        }
    }
}
