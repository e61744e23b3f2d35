import Foundation

/// Where a PostgreSQL database is, parsed from a `--db` value.
///
/// Accepted forms (anything else is refused with a `PostgresFailure` of kind `.badLocation`):
/// - `postgres://[user[:password]@][host][:port][/database][?key=value&...]`, also with the scheme `postgresql://`.
///   `host` is a name, an IPv4 address or a bracketed IPv6 address; a host that starts with `/` (percent-encoded
///   `%2F...`) is the directory of a unix socket. Query keys: `host` (a socket directory or a host name), `port`,
///   `user`, `password`, `dbname`, `sslmode` (only `disable`; TLS is not offered yet) and `application_name`.
/// - `postgres:///database?host=/dir` — the unix socket `/dir/.s.PGSQL.<port>` (the libpq form).
/// - `postgres:` or `postgresql:` alone (and any part left out of a URL): taken from the standard environment
///   variables `PGHOST` (a socket directory when it starts with `/`), `PGPORT`, `PGUSER`, `PGPASSWORD`,
///   `PGDATABASE`; then the defaults — socket directory `/var/run/postgresql`, port 5432, user `$USER`
///   (or `postgres`), database named like the user.
/// Not read: `~/.pgpass`, `PGSERVICE`, `PGSSLMODE` (TLS is not offered).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        /// The socket directory; the socket file is `directory/.s.PGSQL.<port>`.
        case unixSocket(directory: String, port: Int)
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String?
    public var database: String
    public var applicationName: String

    public init(endpoint: Endpoint, user: String, password: String? = nil, database: String,
                applicationName: String = "gridwork") {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
        self.applicationName = applicationName
    }

    /// True when `db` names a PostgreSQL database (`postgres:` or `postgresql:` prefix) rather than a SQLite file.
    public static func isPostgres(_ db: String) -> Bool {
        let lower = db.lowercased()
        return lower.hasPrefix("postgres:") || lower.hasPrefix("postgresql:")
    }

    /// The socket file of a unix-socket endpoint.
    public var socketPath: String? {
        if case .unixSocket(let directory, let port) = endpoint {
            return (directory.hasSuffix("/") ? directory : directory + "/") + ".s.PGSQL.\(port)"
        }
        return nil
    }

    /// The location as a URL without the password (for messages and logs).
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port):
            let h = host.contains(":") ? "[\(host)]" : host
            return "postgres://\(user)@\(h):\(port)/\(database)"
        case .unixSocket(let directory, let port):
            return "postgres:///\(database)?host=\(directory)&port=\(port)&user=\(user)"
        }
    }

    /// Parses a `--db` value; `environment` supplies the PG* variables (the process environment by default).
    public init(parsing text: String,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func bad(_ reason: String) -> PostgresFailure {
            PostgresFailure(kind: .badLocation, location: text, message: reason,
                            hint: "write postgres://user@host:5432/database, postgres:///database?host=/socket/dir, "
                                + "or postgres: with PGHOST/PGPORT/PGUSER/PGDATABASE set")
        }
        guard let colon = text.firstIndex(of: ":") else { throw bad("not a PostgreSQL URL (no scheme)") }
        let scheme = text[..<colon].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw bad("the scheme is \(scheme), not postgres or postgresql")
        }
        var rest = Substring(text[text.index(after: colon)...])
        var host: String?, port: Int?, user: String?, password: String?, database: String?
        var application: String?

        func decode(_ s: Substring, _ what: String) throws -> String {
            guard let d = String(s).removingPercentEncoding else { throw bad("the \(what) has a broken %-escape") }
            return d
        }
        func parsePort(_ s: String, _ what: String) throws -> Int {
            guard let p = Int(s), (1...65535).contains(p) else { throw bad("\(what) \(s) is not a port (1–65535)") }
            return p
        }

        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let authority: Substring
            if let slash = rest.firstIndex(of: "/") {
                authority = rest[..<slash]
                let path = rest[rest.index(after: slash)...]
                if !path.isEmpty {
                    if path.contains("/") { throw bad("the database name \(path) contains a /") }
                    database = try decode(path, "database name")
                }
            } else {
                authority = rest
            }
            var hostPort = authority
            if let at = authority.lastIndex(of: "@") {
                let credentials = authority[..<at]
                hostPort = authority[authority.index(after: at)...]
                if let c = credentials.firstIndex(of: ":") {
                    user = try decode(credentials[..<c], "user")
                    password = try decode(credentials[credentials.index(after: c)...], "password")
                } else {
                    user = try decode(credentials, "user")
                }
                if user?.isEmpty == true { user = nil }
            }
            if hostPort.hasPrefix("[") {
                guard let close = hostPort.firstIndex(of: "]") else { throw bad("the IPv6 host has no closing ]") }
                host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
                let after = hostPort[hostPort.index(after: close)...]
                if after.hasPrefix(":") { port = try parsePort(String(after.dropFirst()), "the port") }
                else if !after.isEmpty { throw bad("unexpected \(after) after the IPv6 host") }
            } else if let c = hostPort.lastIndex(of: ":") {
                host = try decode(hostPort[..<c], "host")
                port = try parsePort(String(hostPort[hostPort.index(after: c)...]), "the port")
            } else if !hostPort.isEmpty {
                host = try decode(hostPort, "host")
            }
            if host?.isEmpty == true { host = nil }
        } else if !rest.isEmpty {
            throw bad("after \(scheme): expected // (a URL) or nothing (PG* environment variables)")
        }
        for pair in query.split(separator: "&") where !pair.isEmpty {
            guard let eq = pair.firstIndex(of: "=") else { throw bad("the parameter \(pair) has no =value") }
            let key = String(pair[..<eq]), value = try decode(pair[pair.index(after: eq)...], "parameter \(key)")
            switch key {
            case "host": host = value
            case "port": port = try parsePort(value, "port=")
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "application_name": application = value
            case "sslmode":
                guard value == "disable" else {
                    throw bad("sslmode=\(value) is not supported (only disable): connect over a unix socket or loopback")
                }
            case "connect_timeout": break
            default: throw bad("unknown parameter \(key) (known: host, port, user, password, dbname, sslmode, application_name)")
            }
        }

        func env(_ name: String) -> String? {
            guard let v = environment[name], !v.isEmpty else { return nil }
            return v
        }
        let finalPort = try port ?? env("PGPORT").map { try parsePort($0, "PGPORT") } ?? 5432
        let finalHost = host ?? env("PGHOST") ?? "/var/run/postgresql"
        let finalUser = user ?? env("PGUSER") ?? env("USER") ?? "postgres"
        let finalDatabase = database ?? env("PGDATABASE") ?? finalUser
        guard !finalDatabase.isEmpty else { throw bad("the database name is empty") }
        self.init(endpoint: finalHost.hasPrefix("/") ? .unixSocket(directory: finalHost, port: finalPort)
                                                      : .tcp(host: finalHost, port: finalPort),
                  user: finalUser, password: password ?? env("PGPASSWORD"), database: finalDatabase,
                  applicationName: application ?? "gridwork")
    }

    /// The same server, another database (tests and tools create databases next to each other).
    public func database(_ name: String) -> PostgresLocation {
        var copy = self
        copy.database = name
        return copy
    }
}
