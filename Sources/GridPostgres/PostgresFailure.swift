import Foundation
import NIOCore
import PostgresNIO

/// A PostgreSQL error with what the server said (SQLSTATE, message, detail, hint) and where: every error out of
/// `GridPostgres` is one of these, never a bare `PSQLError` (whose description hides the server's message).
public struct PostgresFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The `--db` value is not a PostgreSQL location we understand.
        case badLocation = "bad database location"
        /// No server answered at that address (refused, no such socket, timed out).
        case unreachable = "server unreachable"
        /// The server answered with an error (`sqlState` says which).
        case server = "server error"
        /// The database has no PostGIS extension.
        case noPostGIS = "no PostGIS"
        /// A COPY, protocol or decoding error on our side.
        case client = "client error"
    }

    public var kind: Kind
    /// The database location (without password), when known.
    public var location: String
    /// The SQLSTATE code, e.g. `42P01` (undefined table), `55P03` (lock not available).
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// What gridwork was doing (a statement's first words, "connecting", "COPY grid").
    public var context: String?

    public init(kind: Kind, location: String, sqlState: String? = nil, message: String, detail: String? = nil,
                hint: String? = nil, context: String? = nil) {
        self.kind = kind
        self.location = location
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.context = context
    }

    public var description: String {
        var s = "PostgreSQL \(location): "
        if let context { s += "\(context): " }
        s += message
        if let sqlState { s += " (SQLSTATE \(sqlState))" }
        if let detail { s += "; detail: \(detail)" }
        if let hint { s += "; hint: \(hint)" }
        return s
    }

    /// Turns whatever postgres-nio threw into a `PostgresFailure` (already-translated failures pass through).
    public static func from(_ error: any Error, location: String, context: String?) -> PostgresFailure {
        if let failure = error as? PostgresFailure { return failure }
        if let psql = error as? PSQLError {
            if let info = psql.serverInfo {
                let state = info[.sqlState]
                var hint = info[.hint]
                switch state {
                case "3D000": hint = hint ?? "create it (createdb NAME), or name an existing database in the URL"
                case "28P01", "28000": hint = hint ?? "check the user and password (PGUSER/PGPASSWORD or the URL)"
                case "55P03": hint = hint ?? "another session holds the lock; retry when it has finished"
                default: break
                }
                return PostgresFailure(kind: .server, location: location, sqlState: state,
                                       message: info[.message] ?? "\(psql.code)", detail: info[.detail], hint: hint,
                                       context: context)
            }
            switch psql.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                let underlying = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
                return PostgresFailure(kind: .unreachable, location: location,
                                       message: "cannot reach the server (\(underlying))",
                                       hint: "is PostgreSQL running there? (pg_isready; tools/pg-cluster start DIR starts a local one)",
                                       context: context)
            default:
                return PostgresFailure(kind: .client, location: location,
                                       message: "\(psql.code)" + (psql.underlying.map { ": \($0)" } ?? ""),
                                       context: context)
            }
        }
        if error is IOError || error is ChannelError || "\(type(of: error))".contains("NIOConnectionError") {
            return PostgresFailure(kind: .unreachable, location: location, message: "cannot reach the server (\(error))",
                                   hint: "is PostgreSQL running there? (pg_isready; tools/pg-cluster start DIR starts a local one)",
                                   context: context)
        }
        return PostgresFailure(kind: .client, location: location, message: "\(error)", context: context)
    }
}
