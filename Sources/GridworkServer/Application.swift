import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Request limits.
public struct ServerLimits: Sendable {
    /// Largest request body accepted; more is answered 413.
    public var maxBodyBytes: Int

    public init(maxBodyBytes: Int = 64 * 1024) {
        self.maxBodyBytes = maxBodyBytes
    }
}

/// How the server runs.
public struct DispatchServerOptions: Sendable {
    public var host: String
    /// 0 picks a free port (printed at start-up).
    public var port: Int
    public var limits: ServerLimits
    /// How often the escalation sweep runs (it also runs once at start-up).
    public var sweepInterval: Duration

    public init(host: String = "127.0.0.1", port: Int = 8080, limits: ServerLimits = ServerLimits(),
                sweepInterval: Duration = .seconds(60)) {
        self.host = host
        self.port = port
        self.limits = limits
        self.sweepInterval = sweepInterval
    }
}

/// The router: `/api/v1` (native JSON), `/open311/v2` (GeoReport v2) and `/health`; with a `console`, also the
/// web console at `/` and its map endpoints (`ConsoleController`).
public func buildRouter(service: DispatchService, limits: ServerLimits = ServerLimits(),
                        console: Console? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: DispatchErrorMiddleware())
    router.get("health") { _, _ in "ok" }
    let grids = MapLayers.grids(service.geocoder.grids, directory: service.directory)
    router.addRoutes(IncidentController(service: service, limits: limits, gridsGeoJSON: grids).routes, atPath: "/api/v1")
    router.addRoutes(Open311Controller(service: service, limits: limits).routes, atPath: "/open311/v2")
    if let console {
        let controller = ConsoleController<BasicRequestContext>(service: service, console: console)
        router.addRoutes(controller.pageRoutes)
        router.addRoutes(controller.apiRoutes, atPath: "/api/v1")
    }
    return router
}

/// The dispatch server. The escalation sweep runs once before the server accepts requests (so deadlines that fell
/// due while it was down are acted on first) and then every `options.sweepInterval`.
public func buildApplication(service: DispatchService, options: DispatchServerOptions, console: Console? = nil,
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
public struct EscalationSweeper: Service {
    public let service: DispatchService
    public let interval: Duration

    public init(service: DispatchService, interval: Duration) {
        self.service = service
        self.interval = interval
    }

    public func run() async throws {
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
