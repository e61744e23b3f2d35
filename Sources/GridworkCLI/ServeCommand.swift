import ArgumentParser
import Foundation
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
            before the response. Deadlines that fell due while the server was down are escalated at start-up.
            """
    )

    @Option(help: "County database (made by `gridwork import`).") var db: String
    @Option(help: "Port; 0 picks a free one.") var port: Int = 8080
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Routing rules (JSON; see config/routing.json). Default: built-in rules.") var rules: String?
    @Option(name: .customLong("sweep-seconds"), help: "Seconds between escalation sweeps.") var sweepSeconds: Int = 60
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted.") var maxBodyBytes: Int = 64 * 1024
    @Option(name: .customLong("web-root"), help: "The console page's folder (default: web/ found beside the executable or here).")
    var webRoot: String?
    @Option(name: .customLong("leaflet-dir"), help: "Leaflet's folder (default: Debian's libjs-leaflet, /usr/share/javascript/leaflet).")
    var leafletDir: String?
    @Flag(name: .customLong("no-console"), help: "Serve the API only, without the web console at /.") var noConsole = false
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func validate() throws {
        if !FileManager.default.fileExists(atPath: db) {
            throw ValidationError("--db \(db): no such file; make one with `gridwork import --db \(db) --grids ...`")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if sweepSeconds < 1 { throw ValidationError("--sweep-seconds must be at least 1") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level \(logLevel) is not a level") }
        if let rules, !FileManager.default.fileExists(atPath: rules) { throw ValidationError("--rules \(rules): no such file") }
    }

    func run() async throws {
        let options = DispatchServer.Options(
            databasePath: db, rulesPath: rules, host: host, port: port, maxBodyBytes: maxBodyBytes,
            sweepInterval: .seconds(sweepSeconds), console: !noConsole, webRoot: webRoot, leafletDirectory: leafletDir,
            logLevel: Logger.Level(rawValue: logLevel) ?? .info)
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
        commandName: "token", abstract: "Manage API tokens of the dispatch service.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create an API token and print it once (only its SHA-256 is stored).")

        @Option(help: "County database.") var db: String
        @Option(help: "reporter, grid_worker, department, dispatcher, planner or admin.") var role: String
        @Option(name: .customLong("staff-id"), help: "For grid_worker: the staff_id.") var staffID: String?
        @Option(name: .customLong("department-id"), help: "For department: the department_id.") var departmentID: String?
        @Option(help: "A note on who holds the token.") var label: String = ""

        func validate() throws {
            if TokenRole(rawValue: role) == nil {
                throw ValidationError("--role \(role) is not a role; use one of " + TokenRole.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !FileManager.default.fileExists(atPath: db) { throw ValidationError("--db \(db): no such file") }
        }

        func run() async throws {
            let issuer = try TokenIssuer.open(databasePath: db)
            do {
                let (token, id) = try issuer.create(role: TokenRole(rawValue: role)!, staffID: staffID, departmentID: departmentID, label: label)
                print(token)
                FileHandle.standardError.write(Data("token \(id) (\(role)) created; it is shown only this once\n".utf8))
            } catch let error as DispatchError {
                throw ValidationError(error.message)
            }
        }
    }
}
