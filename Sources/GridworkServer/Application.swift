import Foundation
import GridworkDispatch
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The dispatch server's one entry point (`gridwork serve`): opens the county database, reads the routing rules and
/// the console's files, and serves until it is stopped (SIGINT or SIGTERM shut it down gracefully).
public enum DispatchServer {
    public struct Options: Sendable {
        /// The county database (made by `gridwork import`).
        public var databasePath: String
        /// Routing rules (JSON, `config/routing.json`); nil takes the shipped rules built in (`RoutingRules.shipped`).
        public var rulesPath: String?
        public var host: String
        /// 0 picks a free port (reported to `onListening`).
        public var port: Int
        /// Largest request body accepted; more is answered 413.
        public var maxBodyBytes: Int
        /// How often the escalation sweep runs (it also runs once at start-up).
        public var sweepInterval: Duration
        /// Whether to serve the web console's page and assets at `/` (the map endpoints are served either way).
        public var console: Bool
        /// The console page's folder; nil searches (`ConsoleAssets.defaultWebRoots`).
        public var webRoot: String?
        /// Leaflet's folder; nil takes Debian's `libjs-leaflet`.
        public var leafletDirectory: String?
        /// A base map under the console's layers; nil (the default) draws none.
        public var baseMap: ConsoleBaseMap?
        public var logLevel: Logger.Level

        public init(databasePath: String, rulesPath: String? = nil, host: String = "127.0.0.1", port: Int = 8080,
                    maxBodyBytes: Int = 64 * 1024, sweepInterval: Duration = .seconds(60), console: Bool = true,
                    webRoot: String? = nil, leafletDirectory: String? = nil, baseMap: ConsoleBaseMap? = nil,
                    logLevel: Logger.Level = .info) {
            self.databasePath = databasePath
            self.rulesPath = rulesPath
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.sweepInterval = sweepInterval
            self.console = console
            self.webRoot = webRoot
            self.leafletDirectory = leafletDirectory
            self.baseMap = baseMap
            self.logLevel = logLevel
        }
    }

    /// Serves until shut down. `onListening` gets the host and port once requests are accepted (by default it
    /// writes `listening on HOST:PORT` straight to standard output, unbuffered, so a supervisor sees it at once).
    /// The rules loaded are written to standard output first (`rulesLine`).
    /// A console whose files are missing throws `ConsoleError` with the fix before anything listens.
    public static func run(_ options: Options,
                           onListening: @escaping @Sendable (String, Int) async -> Void = { host, port in
                               FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
                           }) async throws {
        var logger = Logger(label: "gridwork.dispatch")
        logger.logLevel = options.logLevel
        let service = try DispatchService.open(databasePath: options.databasePath, rulesPath: options.rulesPath, logger: logger)
        FileHandle.standardOutput.write(Data((rulesLine(service.rules, path: options.rulesPath) + "\n").utf8))
        let console = try Console.open(databasePath: options.databasePath, service: service, page: options.console,
                                       webRoot: options.webRoot, leafletDirectory: options.leafletDirectory,
                                       baseMap: options.baseMap)
        let serverOptions = DispatchServerOptions(host: options.host, port: options.port,
                                                  limits: ServerLimits(maxBodyBytes: options.maxBodyBytes),
                                                  sweepInterval: options.sweepInterval)
        let host = options.host
        let app = try buildApplication(service: service, options: serverOptions, console: console) { port in
            await onListening(host, port)
        }
        try await app.runService()
    }
}

extension DispatchServer {
    /// Which routing rules a server loaded, for its start-up output: the file or the built-in shipped rules, how many
    /// categories go to grid workers and to departments, and shipped categories left out for want of a department.
    static func rulesLine(_ rules: RoutingRules, path: String?) -> String {
        let grid = rules.categories.values.filter { $0.owner == .grid }.count
        let counts = "\(grid) categories to grid workers, \(rules.categories.count - grid) to departments"
        guard let path else {
            let left = Set(RoutingRules.shipped.categories.keys).subtracting(rules.categories.keys).sorted()
            return "routing rules: built in (the shipped config/routing.json; --rules FILE for the county's own): \(counts)"
                + (left.isEmpty ? "" : "; left out, no department lists them: " + left.joined(separator: ", "))
        }
        return "routing rules: \(path): \(counts)"
    }
}

/// Request limits and timings.
struct ServerLimits: Sendable {
    /// Largest request body accepted; more is answered 413.
    var maxBodyBytes: Int = 64 * 1024
    /// How often the live feed (`GET /api/v1/events`) sends a heartbeat and checks its token again.
    var eventHeartbeat: Duration = .seconds(15)
}

/// How the HTTP server runs.
struct DispatchServerOptions: Sendable {
    var host: String = "127.0.0.1"
    /// 0 picks a free port (printed at start-up).
    var port: Int = 8080
    var limits = ServerLimits()
    /// How often the escalation sweep runs (it also runs once at start-up).
    var sweepInterval: Duration = .seconds(60)
}

/// A handler of one endpoint.
typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

/// The router: `/api/v1` (native JSON), `/open311/v2` (GeoReport v2) and `/health`; with a `console`, also the
/// map endpoints (report layers, grid detail, `/me`, departments) and, when it has its files, the page at `/`.
func buildRouter(service: DispatchService, limits: ServerLimits = ServerLimits(),
                 console: Console? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let api = IncidentController<BasicRequestContext>(
        service: service, limits: limits, gridsGeoJSON: MapLayers.grids(service.geocoder.grids, directory: service.directory))
    let open311 = Open311Controller<BasicRequestContext>(service: service, limits: limits)
    let events = EventsController<BasicRequestContext>(service: service, heartbeat: limits.eventHeartbeat)
    let map = console.map { ConsoleController<BasicRequestContext>(service: service, console: $0) }
    // Every endpoint in one table (docs/api.md); the console's are left out when there is no console.
    let endpoints: [(HTTPRequest.Method, String, Handler?)] = [
        (.get, "/health", { _, _ in JSONOutput.raw("ok", contentType: "text/plain; charset=utf-8") }),
        (.post, "/api/v1/incidents", api.create),
        (.get, "/api/v1/incidents", api.list),
        (.get, "/api/v1/incidents.geojson", api.incidentsGeoJSON),
        (.get, "/api/v1/incidents/:id", api.show),
        (.post, "/api/v1/incidents/:id/:action", api.act),
        (.get, "/api/v1/grids.geojson", api.grids),
        (.get, "/api/v1/reports/summary", api.report),
        (.post, "/api/v1/escalations/sweep", api.sweep),
        (.get, "/api/v1/categories", api.categories),
        (.post, "/api/v1/events/tickets", events.ticket),
        (.get, "/api/v1/events", events.stream),
        (.get, "/api/v1/workload.geojson", map?.workload),
        (.get, "/api/v1/coverage/gaps.geojson", map?.gaps),
        (.get, "/api/v1/coverage/overlaps.geojson", map?.overlaps),
        (.get, "/api/v1/buildings.geojson", map?.buildings),
        (.get, "/api/v1/grids/:grid", map?.grid),
        (.get, "/api/v1/departments", map?.departments),
        (.get, "/api/v1/me", map?.me),
        (.get, "/open311/v2/services.json", open311.services),
        (.get, "/open311/v2/services/:file", open311.definition),
        (.post, "/open311/v2/requests.json", open311.create),
        (.get, "/open311/v2/requests.json", open311.list),
        (.get, "/open311/v2/requests/:file", open311.show),
    ]
    router.add(middleware: DispatchErrorMiddleware(routes: endpoints.compactMap { method, path, handler in
        handler.map { _ in (method, path) }
    }, maxBodyBytes: limits.maxBodyBytes))
    for case let (method, path, handler?) in endpoints {
        router.on(RouterPath(path), method: method, use: handler)
    }
    if let map { router.addRoutes(map.pageRoutes) }
    return router
}

/// The dispatch server. The escalation sweep runs once before the server accepts requests (so deadlines that fell
/// due while it was down are acted on first) and then every `options.sweepInterval`.
func buildApplication(service: DispatchService, options: DispatchServerOptions, console: Console? = nil,
                      onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
    try service.sweep()
    var logger = service.logger
    logger[metadataKey: "component"] = "http"
    return Application(
        router: buildRouter(service: service, limits: options.limits, console: console),
        configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "gridwork",
                                                backlog: 1024),
        services: [EscalationSweeper(service: service, interval: options.sweepInterval)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
        logger: logger)
}

/// Runs the deadline sweep periodically until graceful shutdown.
struct EscalationSweeper: Service {
    let service: DispatchService
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try service.sweep()
                } catch {
                    service.logger.error("escalation sweep failed (will retry in \(interval)): \(error)")
                }
            }
        }
    }
}
