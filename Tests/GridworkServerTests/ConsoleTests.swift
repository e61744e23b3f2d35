import DispatchTestSupport
import Foundation
import GeoJSON
import Gridwork
import GridworkDispatch
@testable import GridworkServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The console over the tiny sample county, with two planted coverage faults: one grid removed (a gap in its village)
/// and a copy of another grid under a new id (an overlap).
struct ConsoleFixture {
    let f: Fixture
    let console: Console
    let removedGrid: String
    let duplicatedGrid: String

    init() throws {
        f = try Fixture()
        var layers = try CountyLayers.load(store: try SQLiteCountyStore(path: f.dbPath, create: false))
        removedGrid = layers.grids[0].gridID
        layers.grids.removeFirst()
        let copy = layers.grids[layers.grids.count / 2]
        duplicatedGrid = copy.gridID
        layers.grids.append(Grid(gridID: "ZZ-copy", villageID: copy.villageID, townID: copy.townID, name: "copy",
                                 geometry: copy.geometry))
        let reports = try ReportLayers(layers: layers, boundaryVersion: f.service.directory.versionID)
        console = Console(assets: try ConsoleAssets.load(webRoot: Fixture.packageRoot + "/web"), reports: ReportLayerCache(reports))
    }

    /// Grids the console draws (the fixture's minus the removed one plus the copy).
    var gridCount: Int { f.service.directory.grids.count }

    func application(port: Int = 0) throws -> some ApplicationProtocol {
        try buildApplication(service: f.service, options: DispatchServerOptions(port: port, sweepInterval: .seconds(3600)),
                             console: console)
    }
}

private func features(_ r: TestResponse) -> [[String: Any]] {
    (r.object["features"] as? [[String: Any]]) ?? []
}

@Suite("Web console: assets and map endpoints")
struct ConsoleTests {
    @Test("the page and Debian's Leaflet are served from memory with their content types")
    func pageAndLeaflet() async throws {
        let c = try ConsoleFixture()
        try await c.application().test(.router) { client in
            let page = try await client.send(.get, "/", token: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("/vendor/leaflet/leaflet.js") && page.text.contains("/app.js"))
            #expect(!page.text.contains("http://") && !page.text.contains("https://"), "no CDN: everything is local")
            let leaflet = try await client.send(.get, "/vendor/leaflet/leaflet.js", token: nil)
            #expect(leaflet.status == .ok)
            #expect(leaflet.headers[.contentType] == "text/javascript; charset=utf-8")
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: ConsoleAssets.debianLeaflet + "/leaflet.js"))
            #expect(Data(leaflet.body.readableBytesView) == onDisk)
            let css = try await client.send(.get, "/vendor/leaflet/leaflet.css", token: nil)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            let layersIcon = try await client.send(.get, "/vendor/leaflet/images/layers.png", token: nil)
            #expect(layersIcon.status == .ok && layersIcon.headers[.contentType] == "image/png")
            let app = try await client.send(.get, "/app.js", token: nil)
            #expect(app.text.contains("/api/v1/workload.geojson"))
            #expect(try await client.send(.get, "/nothing.js", token: nil).status == .notFound)
            // A favicon, so no browser logs a 404 on load: the page's icon and the /favicon.ico browsers ask for.
            #expect(page.text.contains(#"<link rel="icon" href="/favicon.svg""#))
            let svg = try await client.send(.get, "/favicon.svg", token: nil)
            #expect(svg.status == .ok && svg.headers[.contentType] == "image/svg+xml")
            let ico = try await client.send(.get, "/favicon.ico", token: nil)
            #expect(ico.status == .ok && ico.headers[.contentType] == "image/x-icon")
            // The message table, and the rules' labels the page names categories by.
            #expect(try await client.send(.get, "/i18n.js", token: nil).text.contains("\"zh-CN\""))
            let categories = try await client.send(.get, "/api/v1/categories", token: nil).object["categories"] as? [[String: Any]] ?? []
            let garbage = categories.first { $0["code"] as? String == "garbage" }
            #expect((garbage?["label"] as? String ?? "").hasPrefix("垃圾清运"), "\(categories)")
        }
    }

    @Test("base map: a tile template and its datum reach the page's settings; BD-09 tiles and bad templates are refused with the reason")
    func baseMap() async throws {
        let web = Fixture.packageRoot + "/web"
        let none = try ConsoleAssets.load(webRoot: web)
        #expect(String(buffer: try #require(none.files["/console-settings.json"]).bytes) == #"{"base_map":null}"#)
        let url = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
        let with = try ConsoleAssets.load(webRoot: web, baseMap: try ConsoleBaseMap(url: url, datum: "CGCS2000"))
        let settings = try JSONSerialization.jsonObject(with: Data(try #require(with.files["/console-settings.json"]).bytes.readableBytesView))
        #expect((settings as? [String: [String: String]]) == ["base_map": ["url": url, "datum": "cgcs2000"]], "\(settings)")
        #expect(try ConsoleBaseMap(url: url, datum: "GCJ-02").datum == "gcj02")
        let baidu = #expect(throws: ConsoleError.self) { try ConsoleBaseMap(url: url, datum: "bd09") }
        #expect(baidu?.description.contains("their own tile grid") == true)
        let noZ = #expect(throws: ConsoleError.self) { try ConsoleBaseMap(url: "https://t.example/tile.png") }
        #expect(noZ?.description.contains("needs {z}, {x} and {y}") == true)
        #expect(throws: ConsoleError.self) { try ConsoleBaseMap(url: "ftp://t/{z}/{x}/{y}") }
        #expect(throws: ConsoleError.self) { try ConsoleBaseMap(url: url, datum: "mars") }
    }

    @Test("the clustering plugin is served beside Leaflet; without it start-up says which package to install")
    func markerCluster() async throws {
        let c = try ConsoleFixture()
        try await c.application().test(.router) { client in
            let page = try await client.send(.get, "/", token: nil).text
            #expect(page.contains("/vendor/leaflet/leaflet.markercluster.js") && page.contains("/vendor/leaflet/MarkerCluster.css"))
            for name in ConsoleAssets.markerClusterFiles {
                let r = try await client.send(.get, "/vendor/leaflet/" + name, token: nil)
                #expect(r.status == .ok, "\(name)")
                let onDisk = try Data(contentsOf: URL(fileURLWithPath: ConsoleAssets.debianLeaflet + "/" + name))
                #expect(Data(r.body.readableBytesView) == onDisk)
            }
        }
        // A Leaflet folder without the plugin.
        let dir = NSTemporaryDirectory() + "gridwork-leaflet-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["leaflet.js", "leaflet.css"] {
            try FileManager.default.copyItem(atPath: ConsoleAssets.debianLeaflet + "/" + name, toPath: dir + "/" + name)
        }
        let error = #expect(throws: ConsoleError.self) {
            try ConsoleAssets.load(webRoot: Fixture.packageRoot + "/web", packagedLeaflet: dir)
        }
        #expect(error?.description.contains("apt-get install libjs-leaflet.markercluster") == true, "\(error?.description ?? "")")
    }

    @Test("missing Leaflet or page: the error says what to install or give")
    func missingAssets() throws {
        let empty = NSTemporaryDirectory() + "gridwork-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let web = Fixture.packageRoot + "/web"
        let noLeaflet = #expect(throws: ConsoleError.self) {
            try ConsoleAssets.load(webRoot: web, packagedLeaflet: empty + "/leaflet")
        }
        #expect(noLeaflet?.description.contains("apt-get install libjs-leaflet") == true)
        let badDir = #expect(throws: ConsoleError.self) { try ConsoleAssets.load(webRoot: web, leafletDirectory: empty) }
        #expect(badDir?.description.contains("--leaflet-dir \(empty)") == true)
        let noPage = #expect(throws: ConsoleError.self) { try ConsoleAssets.load(webRoot: empty) }
        #expect(noPage?.description.contains("--web-root") == true)
        #expect(noPage?.description.contains("index.html") == true)
    }

    @Test("the default web root is found beside the build folder of the executable")
    func defaultWebRoot() throws {
        let root = Fixture.packageRoot
        let roots = ConsoleAssets.defaultWebRoots(executable: root + "/.build/debug/gridwork", currentDirectory: "/")
        let found = roots.first { FileManager.default.fileExists(atPath: $0 + "/index.html") }
        #expect(found.map { URL(fileURLWithPath: $0).standardized.path } == root + "/web")
        let relative = ConsoleAssets.defaultWebRoots(executable: ".build/debug/gridwork", currentDirectory: root)
        #expect(relative.contains(root + "/web"))
    }

    @Test("workload, gaps and overlaps as GeoJSON: every grid with its index, the planted gap and overlap")
    func reportLayers() async throws {
        let c = try ConsoleFixture()
        try await c.application().test(.router) { client in
            #expect(try await client.send(.get, "/api/v1/workload.geojson", token: nil).status == .unauthorized)
            let w = try await client.send(.get, "/api/v1/workload.geojson", token: c.f.tokens["worker"])
            #expect(w.status == .ok)
            #expect(w.headers[.contentType] == "application/geo+json")
            #expect(w.headers[HTTPField.Name("X-Boundary-Version")!] == String(c.f.service.directory.versionID))
            let grids = features(w)
            #expect(grids.count == c.gridCount, "the removed grid is gone and the copy is there")
            let props = grids.compactMap { $0["properties"] as? [String: Any] }
            #expect(props.allSatisfy { ($0["workload_index"] as? Double).map { $0.isFinite && $0 >= 0 } == true })
            let mean = props.compactMap { $0["workload_index"] as? Double }.reduce(0, +) / Double(props.count)
            #expect(abs(mean - 100) < 0.5, "the index is 100 × raw / mean, so its mean is 100 (got \(mean))")
            #expect(!props.contains { $0["grid_id"] as? String == c.removedGrid })

            let gaps = features(try await client.send(.get, "/api/v1/coverage/gaps.geojson", token: c.f.tokens["planner"]))
            #expect(gaps.count >= 1, "removing a grid leaves a gap")
            let removed = c.f.county.grids.first { $0.properties["grid_id"]?.stringValue == c.removedGrid }
            let removedVillage = removed?.properties["village_id"]?.stringValue
            #expect(gaps.contains { ($0["properties"] as? [String: Any])?["village_id"] as? String == removedVillage })

            let overlaps = features(try await client.send(.get, "/api/v1/coverage/overlaps.geojson", token: c.f.tokens["planner"]))
            let pairs = overlaps.compactMap { $0["properties"] as? [String: Any] }
                .map { Set([$0["grid_a"] as? String ?? "", $0["grid_b"] as? String ?? ""]) }
            #expect(pairs.contains(Set(["ZZ-copy", c.duplicatedGrid])), "\(pairs)")
            let copy = try await client.send(.get, "/api/v1/grids/ZZ-copy", token: c.f.tokens["planner"])
            #expect((copy.object["overlaps_with"] as? [String])?.contains(c.duplicatedGrid) == true)
        }
    }

    @Test("buildings by bounding box: only those meeting it, limited, with the total in headers; bad boxes are 400")
    func buildingsByBox() async throws {
        let c = try ConsoleFixture()
        let all = c.f.county.buildings
        var box = all[0].geometry!.boundingBox!
        for b in all.prefix(40) { box.extend(b.geometry!.boundingBox!) }
        let inBox = all.filter { b in
            let bb = b.geometry!.boundingBox!
            return bb.minX <= box.maxX && bb.maxX >= box.minX && bb.minY <= box.maxY && bb.maxY >= box.minY
        }
        let bbox = "\(box.minX),\(box.minY),\(box.maxX),\(box.maxY)"
        try await c.application().test(.router) { client in
            let token = c.f.tokens["dispatcher"]
            let r = try await client.send(.get, "/api/v1/buildings.geojson?bbox=\(bbox)", token: token)
            #expect(r.status == .ok, "\(r.text)")
            #expect(features(r).count == inBox.count)
            #expect(r.headers[HTTPField.Name("X-Total-Count")!] == String(inBox.count))
            #expect(r.headers[HTTPField.Name("X-Truncated")!] == "false")
            let limited = try await client.send(.get, "/api/v1/buildings.geojson?bbox=\(bbox)&limit=5", token: token)
            #expect(features(limited).count == 5)
            #expect(limited.headers[HTTPField.Name("X-Truncated")!] == "true")
            let p = features(limited).first?["properties"] as? [String: Any]
            #expect(p?["building_id"] is String && p?["has_building_head"] is Bool)

            for bad in ["1,2,3", "a,b,c,d", "10,10,5,5", "400000,3000000,410000,3010000"] {
                let e = try await client.send(.get, "/api/v1/buildings.geojson?bbox=\(bad)", token: token)
                #expect(e.status == .badRequest, "bbox=\(bad)")
                #expect(e.errorMessage.contains("bbox"))
            }
            #expect(try await client.send(.get, "/api/v1/buildings.geojson", token: token).status == .badRequest)
            let tooMany = try await client.send(.get, "/api/v1/buildings.geojson?bbox=\(bbox)&limit=999999", token: token)
            #expect(tooMany.status == .badRequest && tooMany.errorMessage.contains("limit"))
        }
    }

    @Test("a grid's figures and staff; phones only for dispatchers; the caller's role from /me")
    func gridDetailAndMe() async throws {
        let c = try ConsoleFixture()
        let grid = c.f.workerPoint.grid
        try await c.application().test(.router) { client in
            let asWorker = try await client.send(.get, "/api/v1/grids/\(grid)", token: c.f.tokens["worker"])
            #expect(asWorker.status == .ok, "\(asWorker.text)")
            let staff = asWorker.object["staff"] as? [[String: Any]] ?? []
            #expect(staff.first?["staff_id"] as? String == c.f.workerPoint.worker, "full-time worker first")
            #expect(staff.allSatisfy { $0["phone"] == nil || $0["phone"] is NSNull })
            #expect((asWorker.object["workload"] as? [String: Any])?["workload_index"] is Double)
            let asDispatcher = try await client.send(.get, "/api/v1/grids/\(grid)", token: c.f.tokens["dispatcher"])
            let phones = (asDispatcher.object["staff"] as? [[String: Any]] ?? []).compactMap { $0["phone"] as? String }
            #expect(phones.count == staff.count)
            let unknown = try await client.send(.get, "/api/v1/grids/NOPE", token: c.f.tokens["dispatcher"])
            #expect(unknown.status == .notFound && unknown.errorMessage.contains("NOPE"))

            let me = try await client.send(.get, "/api/v1/me", token: c.f.tokens["worker"])
            #expect(me.object["role"] as? String == "grid_worker")
            #expect(me.object["staff_id"] as? String == c.f.workerPoint.worker)
            #expect(me.object["grid_ids"] as? [String] == [grid])
            #expect(try await client.send(.get, "/api/v1/me", token: "gw_wrong").status == .unauthorized)
            let departments = try await client.send(.get, "/api/v1/departments", token: c.f.tokens["reporter"])
            let rows = departments.object["departments"] as? [[String: Any]] ?? []
            #expect(rows.count == c.f.service.directory.departments.count)
            #expect(rows.contains { $0["id"] as? String == "D06" })
        }
    }
}
