import Foundation
import GridworkDispatch
import Hummingbird
import HummingbirdCore
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
        /// Open311's public read, contact and endpoint type (`discovery.json`).
        public var open311: Open311Settings
        /// A connection that completes no request head this long after it opened or after its last answer is closed
        /// (idle keep-alive connections, and slowloris heads sent a byte at a time).
        public var idleTimeout: Duration = ServerLimits().idleTimeout
        /// Once a request's head has arrived, its body must arrive whole within this, else the connection is closed.
        public var bodyTimeout: Duration = ServerLimits().bodyTimeout
        /// The most connections open at once; one more is answered 503 and closed. Lowered at start-up to fit the
        /// process's file-descriptor limit (`ConnectionCount`).
        public var maxConnections: Int = ServerLimits().maxConnections
        /// The county served from a PostgreSQL `databasePath` (6 digits; nil: the database's only county).
        public var countyCode: String? = nil
        /// Where photos are kept (default: beside a SQLite file; `gridwork-media/CODE` for PostgreSQL).
        public var mediaDirectory: String? = nil
        /// How often the server looks for a boundary version imported while it runs.
        public var boundaryCheckInterval: Duration = .seconds(5)

        public init(databasePath: String, rulesPath: String? = nil, host: String = "127.0.0.1", port: Int = 8080,
                    maxBodyBytes: Int = 64 * 1024, sweepInterval: Duration = .seconds(60), console: Bool = true,
                    webRoot: String? = nil, leafletDirectory: String? = nil, baseMap: ConsoleBaseMap? = nil,
                    logLevel: Logger.Level = .info, open311: Open311Settings = Open311Settings()) {
            self.open311 = open311
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
        let service = try DispatchService.open(databasePath: options.databasePath, county: options.countyCode,
                                               rulesPath: options.rulesPath, logger: logger,
                                               mediaDirectory: options.mediaDirectory)
        // On PostgreSQL, other instances' committed changes reach this instance's live pages (LISTEN/NOTIFY).
        let listener = (service.store as? PostgresIncidentStore).map {
            PostgresIncidentListener(store: $0, feed: service.feed, logger: logger)
        }
        defer { listener?.stop() }
        FileHandle.standardOutput.write(Data((rulesLine(service.rules, path: options.rulesPath) + "\n").utf8))
        let console = try Console.open(databasePath: options.databasePath, service: service, page: options.console,
                                       webRoot: options.webRoot, leafletDirectory: options.leafletDirectory,
                                       baseMap: options.baseMap)
        var limits = ServerLimits(maxBodyBytes: options.maxBodyBytes, media: service.media?.limits ?? MediaLimits())
        limits.idleTimeout = options.idleTimeout
        limits.bodyTimeout = options.bodyTimeout
        limits.maxConnections = options.maxConnections
        let descriptors = FileDescriptorLimit.raise()
        if let descriptors, limits.maxConnections > descriptors - FileDescriptorLimit.reserve {
            limits.maxConnections = max(1, descriptors - FileDescriptorLimit.reserve)
            logger.warning("--max-connections \(options.maxConnections) lowered to \(limits.maxConnections): the process may open \(descriptors) files (ulimit -n), \(FileDescriptorLimit.reserve) kept for the database and photos")
        }
        let serverOptions = DispatchServerOptions(host: options.host, port: options.port, limits: limits,
                                                  sweepInterval: options.sweepInterval, open311: options.open311,
                                                  boundaryCheckInterval: options.boundaryCheckInterval)
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

/// Open311 settings of a server.
public struct Open311Settings: Sendable, Hashable {
    public enum EndpointType: String, Sendable, CaseIterable { case production, test }

    /// Whether `GET requests.json` and `requests/{id}.json` (and the requests' photos) answer without an `api_key`,
    /// as GeoReport v2 allows. Off by default: a county opts in (`--open311-public-read`). Either way the reporter's
    /// contact is never part of an Open311 answer.
    public var publicRead: Bool
    /// `contact` of discovery.json: whom clients ask for help.
    public var contact: String
    /// `key_service` of discovery.json: how a client gets an api_key.
    public var keyService: String
    public var endpointType: EndpointType

    public init(publicRead: Bool = false,
                contact: String = "the county's dispatch centre (指挥中心), which runs this server",
                keyService: String = "API keys are issued by the dispatch centre's administrator (gridwork token create --role reporter)",
                endpointType: EndpointType = .production) {
        self.publicRead = publicRead
        self.contact = contact
        self.keyService = keyService
        self.endpointType = endpointType
    }
}

/// Request limits and timings.
struct ServerLimits: Sendable {
    /// Largest request body accepted; more is answered 413.
    var maxBodyBytes: Int = 64 * 1024
    /// Photos: size and number per request (`DispatchService.media`'s limits).
    var media = MediaLimits()
    /// Largest request header block (`name: value` CRLF per field); more is answered 431 (`HeaderLimitHandler`).
    var maxHeaderBytes: Int = 64 * 1024
    /// How often the live feed (`GET /api/v1/events`) sends a heartbeat and checks its token again.
    var eventHeartbeat: Duration = .seconds(15)
    /// Closes a connection that completes no request head this long after it opened or after its last answer
    /// (Hummingbird's idle timeout; `--idle-timeout-seconds`).
    var idleTimeout: Duration = .seconds(30)
    /// A request's body must arrive whole within this of its head (`ConnectionGuard`; `--body-timeout-seconds`): 120 s lets
    /// the largest upload through at about 130 KB/s.
    var bodyTimeout: Duration = .seconds(120)
    /// The most connections open at once (`ConnectionGuard`; `--max-connections`).
    var maxConnections = 1000

    /// Largest `multipart/form-data` body: the photos at their limit, 1 KiB of part headers each, and the fields
    /// within `maxBodyBytes`.
    var maxUploadBytes: Int { maxBodyBytes + media.maxCount * (media.maxBytes + 1024) }
}

/// How the HTTP server runs.
struct DispatchServerOptions: Sendable {
    var host: String = "127.0.0.1"
    /// 0 picks a free port (printed at start-up).
    var port: Int = 8080
    var limits = ServerLimits()
    /// How often the escalation sweep runs (it also runs once at start-up).
    var sweepInterval: Duration = .seconds(60)
    var open311 = Open311Settings()
    /// How often the server looks for a newer boundary version (`DispatchService.reloadBoundaries`).
    var boundaryCheckInterval: Duration = .seconds(5)
}

/// A handler of one endpoint.
typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

/// The router: `/api/v1` (native JSON), `/open311/v2` (GeoReport v2) and `/health`; with a `console`, also the
/// map endpoints (report layers, grid detail, `/me`, departments) and, when it has its files, the page at `/`.
func buildRouter(service: DispatchService, limits: ServerLimits = ServerLimits(), open311 settings: Open311Settings = Open311Settings(),
                 console: Console? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let api = IncidentController<BasicRequestContext>(
        service: service, limits: limits, gridsGeoJSON: GridsGeoJSON(),
        publicRead: settings.publicRead)
    let open311 = Open311Controller<BasicRequestContext>(service: service, limits: limits, settings: settings)
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
        (.get, "/api/v1/media/:file", api.media),
        (.post, "/api/v1/events/tickets", events.ticket),
        (.get, "/api/v1/events", events.stream),
        (.get, "/api/v1/workload.geojson", map?.workload),
        (.get, "/api/v1/coverage/gaps.geojson", map?.gaps),
        (.get, "/api/v1/coverage/overlaps.geojson", map?.overlaps),
        (.get, "/api/v1/buildings.geojson", map?.buildings),
        (.get, "/api/v1/grids/:grid", map?.grid),
        (.get, "/api/v1/departments", map?.departments),
        (.get, "/api/v1/me", map?.me),
        (.get, "/open311/v2/discovery.json", open311.discovery),
        (.get, "/open311/v2/discovery.xml", open311.discovery),
        (.get, "/open311/v2/services.json", open311.services),
        (.get, "/open311/v2/services.xml", open311.services),
        (.get, "/open311/v2/services/:file", open311.definition),
        (.post, "/open311/v2/requests.json", open311.create),
        (.post, "/open311/v2/requests.xml", open311.create),
        (.get, "/open311/v2/requests.json", open311.list),
        (.get, "/open311/v2/requests.xml", open311.list),
        (.get, "/open311/v2/requests/:file", open311.show),
    ]
    router.add(middleware: DispatchErrorMiddleware(routes: endpoints.compactMap { method, path, handler in
        handler.map { _ in (method, path) }
    }, maxBodyBytes: limits.maxBodyBytes, maxHeaderBytes: limits.maxHeaderBytes))
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
    let headerLimit = options.limits.maxHeaderBytes
    let connections = ConnectionCount(limit: options.limits.maxConnections)
    let bodyTimeout = TimeAmount(options.limits.bodyTimeout)
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuard(count: connections, bodyTimeout: bodyTimeout),
                                    HeaderLimitHandler(limit: headerLimit)],
        idleTimeout: TimeAmount(options.limits.idleTimeout),
        httpDecoderConfiguration: .init(maxHeaderFieldSize: HeaderLimitHandler.hardLimit, maxHeaderListSize: HeaderLimitHandler.hardLimit))
    return Application(
        router: buildRouter(service: service, limits: options.limits, open311: options.open311, console: console),
        server: .http1(configuration: http1),
        configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "gridwork",
                                                backlog: 1024),
        services: [EscalationSweeper(service: service, interval: options.sweepInterval),
                   BoundaryWatcher(service: service, interval: options.boundaryCheckInterval)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
        logger: logger)
}

/// The process's limit on open files (`RLIMIT_NOFILE`), which bounds the connections a server can hold.
enum FileDescriptorLimit {
    /// Descriptors kept for other than connections: SQLite's files (the database, its WAL and shared memory per
    /// connection, up to five connections), photos being stored, the listening socket, standard streams.
    static let reserve = 64

    /// Raises the soft limit to the hard one (Debian's default soft limit, 1024, is lower than many a hard limit) and
    /// returns the soft limit then in force; nil when it cannot be read or is unlimited.
    static func raise() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? nil : Int(clamping: limit.rlim_cur)
    }
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

/// Serves a boundary version imported while the server runs: checks for a newer one every `interval` and moves the
/// service onto it (new incidents are placed in the new grids; stored ones keep theirs). No restart needed.
struct BoundaryWatcher: Service {
    let service: DispatchService
    let interval: Duration

    func run() async throws {
        guard service.boundaries != nil else { return }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try await BackgroundThread.run { try service.reloadBoundaries() }
                } catch {
                    service.logger.error("boundary version check failed (will retry in \(interval)): \(error)")
                }
            }
        }
    }
}
