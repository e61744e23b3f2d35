import ArgumentParser
import Foundation
import GridPostgres
import GridworkDispatch
import GridworkServer
import Logging

/// `gridwork serve`: the dispatch service over HTTP (JSON API and Open311 GeoReport v2).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the dispatch service: intake, automatic routing, closed loop, escalation (docs/api.md).",
        discussion: """
            Prints `listening on HOST:PORT` once it accepts requests. Every acknowledged (201) incident is committed \
            before the response. Deadlines that fell due while the server was down are escalated at start-up. \
            SIGTERM or SIGINT stop it gracefully: no new connections, requests in flight are answered, exit 0. \
            A full or read-only disk is answered 503 and the server keeps running (docs/reliability.md).
            """
    )

    @Option(help: "County database: a SQLite file made by `gridwork import`, or a PostgreSQL URL (postgres://...) with --county.")
    var db: String
    @Option(help: "With a PostgreSQL --db: the county served (6-digit code; default the database's only county). Several servers may serve one county at once.")
    var county: String?
    @Option(name: .customLong("media-dir"), help: "Where photos are kept (default: beside a SQLite file; gridwork-media/CODE for PostgreSQL).")
    var mediaDir: String?
    @Option(name: .customLong("boundary-check-seconds"), help: "Seconds between checks for a boundary version imported while serving.")
    var boundaryCheckSeconds: Int = 5
    @Option(help: "Port; 0 picks a free one.") var port: Int = 8080
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Routing rules (JSON; see config/routing.json). Default: the shipped config/routing.json, built in.")
    var rules: String?
    @Option(name: .customLong("sweep-seconds"), help: "Seconds between escalation sweeps.") var sweepSeconds: Int = 60
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted.") var maxBodyBytes: Int = 64 * 1024
    @Option(name: .customLong("idle-timeout-seconds"),
            help: "Close a connection that completes no request head for this long (idle keep-alive, slowloris).")
    var idleTimeoutSeconds: Int = 30
    @Option(name: .customLong("body-timeout-seconds"), help: "A request body must arrive whole within this of its head.")
    var bodyTimeoutSeconds: Int = 120
    @Option(name: .customLong("max-connections"),
            help: "Most connections open at once; more are answered 503 (lowered to fit `ulimit -n`).")
    var maxConnections: Int = 1000
    @Option(name: .customLong("web-root"), help: "The console page's folder (default: web/ found beside the executable or here).")
    var webRoot: String?
    @Option(name: .customLong("leaflet-dir"), help: "Leaflet's folder (default: Debian's libjs-leaflet, /usr/share/javascript/leaflet).")
    var leafletDir: String?
    @Flag(name: .customLong("no-console"), help: "Serve the API only, without the web console at /.") var noConsole = false
    @Option(name: .customLong("tiles"), help: "A base map for the console: a tile URL template with {z}, {x} and {y} (default: none, offline).")
    var tiles: String?
    @Option(name: .customLong("tiles-datum"), help: "The tiles' datum: wgs84, cgcs2000 or gcj02 (the console then shifts its layers onto them).")
    var tilesDatum: String = "wgs84"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Flag(name: .customLong("open311-public-read"),
          help: "Let anyone read Open311 requests (and their photos) without an api_key, as GeoReport v2 allows. Default off.")
    var open311PublicRead = false
    @Option(name: .customLong("open311-contact"), help: "`contact` of /open311/v2/discovery.json: whom Open311 clients ask for help.")
    var open311Contact: String?
    @Option(name: .customLong("open311-endpoint-type"), help: "`type` of the endpoint in discovery.json: production or test.")
    var open311EndpointType: String = "production"

    func validate() throws {
        if PostgresLocation.isPostgres(db) {
            if let county, !(county.utf8.count == 6 && county.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })) {
                throw ValidationError("--county \(county) is not a county code: give the 6-digit administrative division code, e.g. 330182")
            }
        } else {
            if !FileManager.default.fileExists(atPath: db) {
                throw ValidationError("--db \(db): no such file; make one with `gridwork import --db \(db) --grids ...`")
            }
            if county != nil { throw ValidationError("--county goes with a PostgreSQL --db (a SQLite file holds one county)") }
        }
        if boundaryCheckSeconds < 1 { throw ValidationError("--boundary-check-seconds must be at least 1") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if sweepSeconds < 1 { throw ValidationError("--sweep-seconds must be at least 1") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
        if idleTimeoutSeconds < 1 { throw ValidationError("--idle-timeout-seconds must be at least 1") }
        if bodyTimeoutSeconds < 1 { throw ValidationError("--body-timeout-seconds must be at least 1") }
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level \(logLevel) is not a level") }
        if let rules, !FileManager.default.fileExists(atPath: rules) { throw ValidationError("--rules \(rules): no such file") }
        if Open311Settings.EndpointType(rawValue: open311EndpointType) == nil {
            throw ValidationError("--open311-endpoint-type \(open311EndpointType): use production or test")
        }
        if tiles != nil && noConsole { throw ValidationError("--tiles is a base map for the console; it does nothing with --no-console") }
        _ = try baseMap()
    }

    func baseMap() throws -> ConsoleBaseMap? {
        guard let tiles else { return nil }
        do {
            return try ConsoleBaseMap(url: tiles, datum: tilesDatum)
        } catch let error as ConsoleError {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        var options = DispatchServer.Options(
            databasePath: db, rulesPath: rules, host: host, port: port, maxBodyBytes: maxBodyBytes,
            sweepInterval: .seconds(sweepSeconds), console: !noConsole, webRoot: webRoot, leafletDirectory: leafletDir,
            baseMap: try baseMap(), logLevel: Logger.Level(rawValue: logLevel) ?? .info,
            open311: Open311Settings(publicRead: open311PublicRead, contact: open311Contact ?? Open311Settings().contact,
                                     endpointType: Open311Settings.EndpointType(rawValue: open311EndpointType) ?? .production))
        options.idleTimeout = .seconds(idleTimeoutSeconds)
        options.bodyTimeout = .seconds(bodyTimeoutSeconds)
        options.maxConnections = maxConnections
        options.countyCode = county
        options.mediaDirectory = mediaDir
        options.boundaryCheckInterval = .seconds(boundaryCheckSeconds)
        do {
            try await DispatchServer.run(options)
        } catch let error as ConsoleError {
            throw ValidationError("web console: \(error.description) (or run with --no-console)")
        }
    }
}

/// `gridwork token`: API tokens of the dispatch service.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens of the dispatch service.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create an API token and print it once (only its SHA-256 is stored).")

        @OptionGroup var database: TokenDatabase
        var db: String { database.db }
        @Option(help: "reporter, grid_worker, department, dispatcher, planner or admin.") var role: String
        @Option(name: .customLong("staff-id"), help: "For grid_worker: the staff_id.") var staffID: String?
        @Option(name: .customLong("department-id"), help: "For department: the department_id.") var departmentID: String?
        @Option(help: "A note on who holds the token.") var label: String = ""

        func validate() throws {
            if TokenRole(rawValue: role) == nil {
                throw ValidationError("--role \(role) is not a role; use one of " + TokenRole.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }

        func run() async throws {
            let issuer = try TokenIssuer.open(databasePath: db, county: database.county)
            do {
                let (token, id) = try issuer.create(role: TokenRole(rawValue: role)!, staffID: staffID, departmentID: departmentID, label: label)
                print(token)
                FileHandle.standardError.write(Data("token \(id) (\(role)) created; it is shown only this once\n".utf8))
            } catch let error as DispatchError {
                throw ValidationError(error.message)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the API tokens: id, role, staff or department, label, created, revoked (no secrets).")

        @OptionGroup var database: TokenDatabase
        var db: String { database.db }

        func run() async throws {
            let tokens = try TokenIssuer.open(databasePath: db, county: database.county).store.tokens()
            print(TokenTable.render(tokens))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke an API token by its id (from `gridwork token list`); a running server refuses it at once.")

        @OptionGroup var database: TokenDatabase
        var db: String { database.db }
        @Argument(help: "The token's id.") var id: Int64

        func run() async throws {
            guard try TokenIssuer.open(databasePath: db, county: database.county).store.revokeToken(id: id, now: Date()) else {
                throw ValidationError("no token \(id); `gridwork token list --db \(db)` shows the ids")
            }
            print("token \(id) revoked")
        }
    }
}

/// The county database every `gridwork token` subcommand works on, refused when it does not exist.
struct TokenDatabase: ParsableArguments {
    @Option(help: "County database: a SQLite file, or a PostgreSQL URL (postgres://...) with --county.") var db: String
    @Option(help: "With a PostgreSQL --db: the county (6-digit code; default the database's only county).") var county: String?

    func validate() throws {
        if PostgresLocation.isPostgres(db) { return }
        try requireFiles([("--db", db)])
        if county != nil { throw ValidationError("--county goes with a PostgreSQL --db (a SQLite file holds one county)") }
    }
}

/// `gridwork token list`'s table.
enum TokenTable {
    static func render(_ tokens: [TokenRecord]) -> String {
        let header = ["id", "role", "staff/department", "label", "created", "revoked"]
        let rows = tokens.map { t in
            [String(t.tokenID), t.role.rawValue, t.staffID ?? t.departmentID ?? "-", t.label.isEmpty ? "-" : t.label,
             Timestamp.string(t.createdAt), t.revokedAt.map(Timestamp.string) ?? "-"]
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
