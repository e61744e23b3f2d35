import Foundation
import GeoJSON
import GridworkDispatch
import HTTPTypes
import Hummingbird
import NIOCore

/// A console set-up problem, with the fix.
public struct ConsoleError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The files of the web console: the page (`web/`), Debian's Leaflet (`libjs-leaflet`) and its marker clustering
/// plugin (`libjs-leaflet.markercluster`, which installs into the same folder), read once at start-up.
struct ConsoleAssets: Sendable {
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    /// Where the page was read from.
    let webRoot: String
    /// Where Leaflet was read from.
    let leafletDirectory: String
    /// URL path (`/`, `/app.js`, `/vendor/leaflet/leaflet.js`, `/vendor/leaflet/leaflet.markercluster.js`, ...) → file.
    let files: [String: File]

    /// Debian's `libjs-leaflet` folder (`libjs-leaflet.markercluster` puts its files there too).
    static let debianLeaflet = "/usr/share/javascript/leaflet"
    /// The clustering plugin's files, in the Leaflet folder.
    static let markerClusterFiles = ["leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"]

    /// The web roots tried when none is given, in order: `$GRIDWORK_WEB_ROOT`, `web/` beside the package the
    /// executable was built in (`.build/<config>/gridwork` → `../../web`, also through a symlink), an installed
    /// `share/gridwork/web` beside `bin/`, and `web/` in the current directory.
    static func defaultWebRoots(executable: String = CommandLine.arguments.first ?? "",
                                       currentDirectory: String = FileManager.default.currentDirectoryPath) -> [String] {
        var roots: [String] = []
        if let env = ProcessInfo.processInfo.environment["GRIDWORK_WEB_ROOT"], !env.isEmpty { roots.append(env) }
        var exe = URL(fileURLWithPath: executable, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true))
        exe = exe.resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // .build/debug/gridwork, .build/x86_64-unknown-linux-gnu/debug/gridwork, ...: walk up to 4 levels.
        for _ in 0..<4 {
            dir = dir.deletingLastPathComponent()
            roots.append(dir.appendingPathComponent("web").path)
        }
        roots.append(exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/gridwork/web").path)
        roots.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("web").path)
        var seen = Set<String>()
        return roots.filter { seen.insert($0).inserted }
    }

    /// Finds and reads the page and Leaflet. `webRoot` and `leafletDirectory` override the search; errors say what
    /// was looked for, where, and how to fix it (`apt-get install libjs-leaflet`, `--web-root`, `--leaflet-dir`).
    /// `packagedLeaflet` is where the Debian package puts Leaflet (changed only by tests).
    static func load(webRoot: String? = nil, leafletDirectory: String? = nil,
                     packagedLeaflet: String = debianLeaflet, baseMap: ConsoleBaseMap? = nil) throws -> ConsoleAssets {
        let fm = FileManager.default
        let root: String
        if let webRoot {
            guard fm.fileExists(atPath: webRoot + "/index.html") else {
                throw ConsoleError("--web-root \(webRoot) has no index.html; give the web/ folder of the gridwork source")
            }
            root = webRoot
        } else {
            let tried = defaultWebRoots()
            guard let found = tried.first(where: { fm.fileExists(atPath: $0 + "/index.html") }) else {
                throw ConsoleError("cannot find the console page (web/index.html); looked in " + tried.joined(separator: ", ")
                    + ". Give --web-root DIR (the web/ folder of the gridwork source) or set GRIDWORK_WEB_ROOT")
            }
            root = found
        }
        let leaflet = leafletDirectory ?? packagedLeaflet
        guard fm.fileExists(atPath: leaflet + "/leaflet.js"), fm.fileExists(atPath: leaflet + "/leaflet.css") else {
            if leafletDirectory != nil {
                throw ConsoleError("--leaflet-dir \(leaflet) has no leaflet.js and leaflet.css")
            }
            throw ConsoleError("the web map library Leaflet is missing (\(leaflet)/leaflet.js): install it with "
                + "`apt-get install libjs-leaflet` (tools/setup does), or give --leaflet-dir DIR")
        }
        if let absent = markerClusterFiles.first(where: { !fm.fileExists(atPath: leaflet + "/" + $0) }) {
            throw ConsoleError("Leaflet's marker clustering plugin is missing (\(leaflet)/\(absent)): install it with "
                + "`apt-get install libjs-leaflet.markercluster` (tools/setup does)"
                + (leafletDirectory != nil ? ", or copy its files into --leaflet-dir" : ""))
        }

        var files: [String: File] = [:]
        func add(_ urlPath: String, _ path: String) throws {
            guard let data = fm.contents(atPath: path) else { throw ConsoleError("cannot read \(path)") }
            files[urlPath] = File(bytes: ByteBuffer(bytes: data), contentType: contentType(of: path))
        }
        for name in try fm.contentsOfDirectory(atPath: root).sorted() where !name.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                try add("/" + name, root + "/" + name)
            }
        }
        files["/"] = files["/index.html"]
        // The page's settings: the base map, or null (no tiles: the county is drawn from its own layers).
        struct Settings: Encodable { @Nullable var baseMap: ConsoleBaseMap? }
        let settings = try APIJSON.encoder.encode(Settings(baseMap: baseMap))
        files["/console-settings.json"] = File(bytes: ByteBuffer(bytes: settings), contentType: "application/json")
        try add("/vendor/leaflet/leaflet.js", leaflet + "/leaflet.js")
        try add("/vendor/leaflet/leaflet.css", leaflet + "/leaflet.css")
        for name in markerClusterFiles { try add("/vendor/leaflet/" + name, leaflet + "/" + name) }
        // leaflet.css refers to images/layers.png, marker-icon.png, ...
        let images = leaflet + "/images"
        for name in (try? fm.contentsOfDirectory(atPath: images)) ?? [] where name.hasSuffix(".png") {
            try add("/vendor/leaflet/images/" + name, images + "/" + name)
        }
        return ConsoleAssets(webRoot: root, leafletDirectory: leaflet, files: files)
    }

    static func contentType(of path: String) -> String {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "png": "image/png"
        case "svg": "image/svg+xml"
        case "json": "application/json"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}

/// An optional base map under the console's layers: a tile server's URL template (a county's own tile server, 天地图
/// with its key, or a commercial map). The layers are WGS84 (CGCS2000 differs by centimetres); on GCJ-02 tiles (most
/// Chinese commercial maps) the page shifts everything it draws into GCJ-02 (`web/gcj02.js`, a port of
/// `ChineseOffset`), so grids stay on the tiles' streets instead of up to ~700 m off. BD-09 (Baidu) tiles use their
/// own tile grid as well as their datum and are refused. No base map is the offline default.
public struct ConsoleBaseMap: Sendable, Hashable, Encodable {
    public var url: String
    public var datum: String

    /// Refuses, with the fix, a template without `{z}`, `{x}` and `{y}`, one that is not http(s) or a path on this
    /// server, and any datum but `wgs84`, `cgcs2000` (the same within centimetres) and `gcj02`.
    public init(url: String, datum: String = "wgs84") throws {
        var datum = datum.lowercased()
        switch datum {
        case "wgs84", "cgcs2000", "gcj02":
            break
        case "gcj-02":
            datum = "gcj02"
        case "bd09", "bd-09":
            throw ConsoleError("--tiles-datum \(datum) is refused: Baidu's tiles have their own tile grid as well as the "
                + "BD-09 offset, so the console's grids could not be laid on them. Use tiles in WGS84, CGCS2000 (a county's "
                + "own tile server, or 天地图 with its key) or GCJ-02, or no --tiles (the offline default)")
        default:
            throw ConsoleError("--tiles-datum \(datum) is unknown; use wgs84, cgcs2000 or gcj02")
        }
        guard ["{z}", "{x}", "{y}"].allSatisfy(url.contains) else {
            throw ConsoleError("--tiles \(url) needs {z}, {x} and {y} in it, e.g. https://tiles.example.gov.cn/{z}/{x}/{y}.png")
        }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("/") else {
            throw ConsoleError("--tiles \(url) must start with https://, http:// or / (a path on this server)")
        }
        self.url = url
        self.datum = datum
    }
}

/// What the console needs besides the dispatch service: its files and the report layers. Without files
/// (`--no-console`) the map endpoints are still served; only the page and its assets go.
struct Console: Sendable {
    let assets: ConsoleAssets?
    let reports: ReportLayerCache

    /// Reads the assets when `page` is true (failing at once if they are missing) and starts computing the reports
    /// of the version the service serves from `databasePath`.
    static func open(databasePath: String, service: DispatchService, page: Bool = true, webRoot: String? = nil,
                     leafletDirectory: String? = nil, baseMap: ConsoleBaseMap? = nil) throws -> Console {
        Console(assets: page ? try ConsoleAssets.load(webRoot: webRoot, leafletDirectory: leafletDirectory, baseMap: baseMap) : nil,
                reports: ReportLayerCache(databasePath: databasePath,
                                          county: (service.store as? PostgresIncidentStore)?.countyCode,
                                          version: service.directory.versionID))
    }
}

/// The web console: the page and Leaflet at `/`, and the map endpoints the page (or a GIS user) reads under `/api/v1`
/// (routes in `buildRouter`).
struct ConsoleController<Context: RequestContext> {
    let service: DispatchService
    let console: Console

    /// Page routes, at the root (none without the page).
    var pageRoutes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        for (path, file) in (console.assets?.files ?? [:]).sorted(by: { $0.key < $1.key }) {
            routes.get(RouterPath(path), use: asset(file))
        }
        return routes
    }

    func asset(_ file: ConsoleAssets.File) -> @Sendable (Request, Context) async throws -> Response {
        { _, _ in
            Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"],
                     body: ResponseBody(byteBuffer: file.bytes))
        }
    }

    static func geoJSON(_ text: String, version: Int) -> Response {
        var response = JSONOutput.raw(text, contentType: "application/geo+json")
        response.headers[HTTPField.Name("X-Boundary-Version")!] = String(version)
        return response
    }

    @Sendable func workload(_ request: Request, context: Context) async throws -> Response {
        _ = try service.authenticate(token: request.apiToken)
        let layers = try await console.reports.layers()
        return Self.geoJSON(layers.workloadGeoJSON, version: layers.boundaryVersion)
    }

    @Sendable func gaps(_ request: Request, context: Context) async throws -> Response {
        _ = try service.authenticate(token: request.apiToken)
        let layers = try await console.reports.layers()
        return Self.geoJSON(layers.gapsGeoJSON, version: layers.boundaryVersion)
    }

    @Sendable func overlaps(_ request: Request, context: Context) async throws -> Response {
        _ = try service.authenticate(token: request.apiToken)
        let layers = try await console.reports.layers()
        return Self.geoJSON(layers.overlapsGeoJSON, version: layers.boundaryVersion)
    }

    /// Most buildings one request returns when no `limit` is given, and the largest `limit` allowed.
    static var defaultBuildingLimit: Int { 2000 }
    static var maxBuildingLimit: Int { 20_000 }

    @Sendable func buildings(_ request: Request, context: Context) async throws -> Response {
        _ = try service.authenticate(token: request.apiToken)
        let params = request.uri.queryParameters
        guard let text = params.get("bbox") else {
            throw DispatchError(.invalidInput, "buildings.geojson needs bbox=minLon,minLat,maxLon,maxLat (EPSG:4326)")
        }
        let box = try Self.bbox(text)
        var limit = Self.defaultBuildingLimit
        if let l = params.get("limit") {
            guard let n = Int(l), (1...Self.maxBuildingLimit).contains(n) else {
                throw DispatchError(.invalidInput, "limit=\(l) must be an integer from 1 to \(Self.maxBuildingLimit)")
            }
            limit = n
        }
        let layers = try await console.reports.layers()
        let result = layers.buildings(in: box, limit: limit)
        var response = Self.geoJSON(result.geoJSON, version: layers.boundaryVersion)
        response.headers[HTTPField.Name("X-Total-Count")!] = String(result.matched)
        response.headers[HTTPField.Name("X-Truncated")!] = result.sent < result.matched ? "true" : "false"
        return response
    }

    static func bbox(_ text: String) throws -> BoundingBox {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
            Double($0.trimmingCharacters(in: .whitespaces))
        }
        guard parts.count == 4, let minX = parts[0], let minY = parts[1], let maxX = parts[2], let maxY = parts[3],
              [minX, minY, maxX, maxY].allSatisfy(\.isFinite) else {
            throw DispatchError(.invalidInput, "bbox=\(text) must be four numbers minLon,minLat,maxLon,maxLat (EPSG:4326)")
        }
        guard minX <= maxX, minY <= maxY else {
            throw DispatchError(.invalidInput, "bbox=\(text): the minimum comes first (minLon,minLat,maxLon,maxLat)")
        }
        guard abs(minX) <= 180, abs(maxX) <= 180, abs(minY) <= 90, abs(maxY) <= 90 else {
            throw DispatchError(.invalidInput, "bbox=\(text) is not in longitude/latitude degrees (EPSG:4326)")
        }
        return BoundingBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
    }

    @Sendable func grid(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let id = context.parameters.get("grid") ?? ""
        let layers = try await console.reports.layers()
        guard let detail = layers.gridDetails[id] else {
            throw DispatchError(.notFound, "no grid \(id) in boundary version \(layers.boundaryVersion)")
        }
        return try JSONOutput.response(detail.shown(withPhones: principal.isDispatch))
    }

    struct DepartmentRow: Encodable {
        var id: String
        var name: String
        var categories: [String]
    }

    @Sendable func departments(_ request: Request, context: Context) async throws -> Response {
        _ = try service.authenticate(token: request.apiToken)
        let rows = service.directory.departments.values.sorted { $0.departmentID < $1.departmentID }
            .map { DepartmentRow(id: $0.departmentID, name: $0.name, categories: $0.categories) }
        return try JSONOutput.response(["departments": rows])
    }

    struct MeView: Encodable {
        var role: String
        @Nullable var staffId: String?
        @Nullable var departmentId: String?
        var gridIds: [String]
        var boundaryVersion: Int
    }

    @Sendable func me(_ request: Request, context: Context) async throws -> Response {
        let p = try service.authenticate(token: request.apiToken)
        return try JSONOutput.response(MeView(role: p.role.rawValue, staffId: p.staffID, departmentId: p.departmentID,
                                              gridIds: p.gridIDs.sorted(), boundaryVersion: service.directory.versionID))
    }
}
