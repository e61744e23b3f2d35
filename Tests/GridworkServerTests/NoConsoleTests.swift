import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// `gridwork serve --no-console` and what `serve` prints at start (issue 12).
@Suite("Serve without the console page; the rules it prints")
struct NoConsoleTests {
    @Test("--no-console serves every API route, the map endpoints included; only the page and its assets go")
    func apiOnly() async throws {
        let f = try Fixture()
        // What `DispatchServer.run` builds for `console: false`.
        let console = try Console.open(databasePath: f.dbPath, service: f.service, page: false)
        #expect(console.assets == nil)
        let app = try buildApplication(service: f.service, options: DispatchServerOptions(port: 0, sweepInterval: .seconds(3600)),
                                       console: console)
        try await app.test(.router) { client in
            let token = f.tokens["dispatcher"]
            let me = try await client.send(.get, "/api/v1/me", token: token)
            #expect(me.status == .ok && me.object["role"] as? String == "dispatcher", "\(me.text)")
            #expect(me.object["staff_id"] is NSNull)
            for uri in ["/api/v1/departments", "/api/v1/grids/\(f.workerPoint.grid)", "/api/v1/workload.geojson",
                        "/api/v1/coverage/gaps.geojson", "/api/v1/coverage/overlaps.geojson",
                        "/api/v1/buildings.geojson?bbox=-180,-90,180,90", "/api/v1/grids.geojson", "/api/v1/categories"] {
                let r = try await client.send(.get, uri, token: token)
                #expect(r.status == .ok, "\(uri): \(r.text)")
            }
            for page in ["/", "/index.html", "/app.js", "/vendor/leaflet/leaflet.js"] {
                let r = try await client.send(.get, page, token: nil)
                #expect(r.status == .notFound, "\(page)")
                #expect(r.errorMessage.contains("no route"))
            }
        }
    }

    @Test("serve prints which rules it loaded: the file, or the shipped rules built in")
    func rulesLine() throws {
        let f = try Fixture()
        let path = Fixture.packageRoot + "/config/routing.json"
        let fromFile = DispatchServer.rulesLine(f.service.rules, path: path)
        #expect(fromFile == "routing rules: \(path): 5 categories to grid workers, 5 to departments")
        let builtIn = DispatchServer.rulesLine(RoutingRules.shipped, path: nil)
        #expect(builtIn.hasPrefix("routing rules: built in (the shipped config/routing.json"))
        #expect(!builtIn.contains("left out"))
        var gridOnly = RoutingRules.shipped
        gridOnly.categories = gridOnly.categories.filter { $0.value.owner == .grid }
        #expect(DispatchServer.rulesLine(gridOnly, path: nil).hasSuffix(
            "left out, no department lists them: flood_control, housing_safety, illegal_construction, pollution, work_safety"))
    }
}
