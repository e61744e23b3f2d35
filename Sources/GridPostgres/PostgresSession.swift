import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A parameter or a column value, engine-neutral (like `SQLiteValue`), so store code stays plain.
public enum PGValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case text(String)
    case bytes([UInt8])

    public var intValue: Int? {
        switch self {
        case .int(let v): v
        case .double(let v): Int(exactly: v.rounded()) ?? nil
        case .bool(let b): b ? 1 : 0
        case .text(let s): Int(s)
        default: nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .double(let v): v
        case .int(let v): Double(v)
        case .text(let s): Double(s)
        default: nil
        }
    }
    public var stringValue: String? {
        switch self {
        case .text(let s): s
        case .int(let v): String(v)
        default: nil
        }
    }
    public var bytesValue: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): b
        case .int(let v): v != 0
        default: nil
        }
    }
    public var isNull: Bool { self == .null }

    static func from(_ cell: PostgresCell) throws -> PGValue {
        guard var bytes = cell.bytes else { return .null }
        switch cell.dataType {
        case .bool: return .bool(try cell.decode(Bool.self))
        case .int2, .int4, .int8: return .int(try cell.decode(Int.self))
        case .float4, .float8: return .double(try cell.decode(Double.self))
        case .numeric: return .double(NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue)
        case .text, .varchar, .name, .bpchar: return .text(try cell.decode(String.self))
        default:
            if cell.format == .text { return .text(bytes.readString(length: bytes.readableBytes) ?? "") }
            return .bytes(bytes.readBytes(length: bytes.readableBytes) ?? [])
        }
    }

    func append(to binds: inout PostgresBindings) {
        switch self {
        case .null: binds.appendNull()
        case .bool(let b): binds.append(b)
        case .int(let v): binds.append(v)
        case .double(let v): binds.append(v)
        case .text(let s): binds.append(s)
        case .bytes(let b): binds.append(ByteBuffer(bytes: b))
        }
    }
}

/// One owned connection to a PostgreSQL database, with a blocking API for synchronous callers (the county store,
/// the command line) and async twins for async callers. Use it from one thread or task at a time; `close()` once
/// (also done on deinit).
///
/// The blocking calls run their async work on `BlockingBridge`'s own thread, never on the caller's, so they are
/// safe to call from inside Swift concurrency tasks (the cooperative pool is not needed to finish them).
public final class PostgresSession: @unchecked Sendable {
    public let location: PostgresLocation
    public let connection: PostgresConnection
    let logger: Logger
    private var closed = false
    private let lock = NSLock()

    private init(location: PostgresLocation, connection: PostgresConnection, logger: Logger) {
        self.location = location
        self.connection = connection
        self.logger = logger
    }

    /// Connects (async). Errors: `.unreachable` (no server), `.server` (no such database, authentication).
    public static func connect(_ location: PostgresLocation,
                               logger: Logger = Logger(label: "gridwork.postgres")) async throws -> PostgresSession {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: location.connectionConfiguration(), id: nextConnectionID(), logger: logger)
            return PostgresSession(location: location, connection: connection, logger: logger)
        } catch {
            throw PostgresFailure.from(error, location: location.description, context: "connecting")
        }
    }

    /// Connects (blocking).
    public static func open(_ location: PostgresLocation) throws -> PostgresSession {
        try BlockingBridge.run { try await connect(location) }
    }

    /// Parses `--db` and connects (blocking).
    public static func open(_ url: String) throws -> PostgresSession {
        try open(try PostgresLocation(parsing: url))
    }

    deinit {
        if !closed { connection.close().whenComplete { _ in } }
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        _ = try? connection.close().wait()
    }

    // MARK: Async

    /// Runs one statement with `$1…$n` parameters and returns all rows.
    public func queryAsync(_ sql: String, _ params: [PGValue] = []) async throws -> [[PGValue]] {
        var binds = PostgresBindings(capacity: params.count)
        for p in params { p.append(to: &binds) }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var result: [[PGValue]] = []
            for try await row in rows {
                result.append(try row.map { try PGValue.from($0) })
            }
            return result
        } catch {
            throw PostgresFailure.from(error, location: location.description, context: Self.context(sql))
        }
    }

    /// Streams `data` (COPY text format) into `table(columns)` with `COPY … FROM STDIN`, in chunks of about 1 MiB.
    /// postgres-nio quotes `table` as one identifier: give a bare name and reach other schemas through
    /// `SET LOCAL search_path` (a dotted `schema.table` would be looked up as one name and not found).
    public func copyAsync(into table: String, columns: [String], data: CopyText) async throws {
        do {
            try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                for chunk in data.allChunks { try await writer.write(chunk) }
            }
        } catch {
            throw PostgresFailure.from(error, location: location.description, context: "COPY \(table)")
        }
    }

    // MARK: Blocking

    @discardableResult
    public func query(_ sql: String, _ params: [PGValue] = []) throws -> [[PGValue]] {
        try BlockingBridge.run { try await self.queryAsync(sql, params) }
    }

    /// Runs one statement and ignores rows.
    public func run(_ sql: String, _ params: [PGValue] = []) throws {
        _ = try query(sql, params)
    }

    public func copy(into table: String, columns: [String], data: CopyText) throws {
        try BlockingBridge.run { try await self.copyAsync(into: table, columns: columns, data: data) }
    }

    /// Runs `body` between BEGIN and COMMIT; any error rolls back and is rethrown.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN")
        do {
            let value = try body()
            try run("COMMIT")
            return value
        } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
    }

    /// Fails with `.noPostGIS` (and how to fix it) when the database has no PostGIS extension; returns its version.
    @discardableResult
    public func requirePostGIS() throws -> String {
        let rows = try query("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        guard let version = rows.first?.first?.stringValue else {
            throw PostgresFailure(kind: .noPostGIS, location: location.description,
                                  message: "the database \(location.database) has no PostGIS extension",
                                  hint: "run CREATE EXTENSION postgis; in it as a superuser or the database owner "
                                      + "(Debian: apt-get install postgresql-15-postgis-3)")
        }
        return version
    }

    static func context(_ sql: String) -> String {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(4).joined(separator: " ")
        return words.count > 60 ? String(words.prefix(60)) + "…" : words
    }
}

private let connectionCounter = LockedCounter()
func nextConnectionID() -> Int { connectionCounter.next() }

final class LockedCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

extension PostgresLocation {
    /// postgres-nio's configuration for one connection (no TLS: see the accepted forms).
    public func connectionConfiguration() -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: user, password: password, database: database,
                                  tls: .disable)
        case .unixSocket:
            configuration = .init(unixSocketPath: socketPath!, username: user, password: password, database: database)
        }
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// postgres-nio's pool configuration (for `PostgresClient`, e.g. a dispatch server's incident store).
    public func clientConfiguration() -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: user, password: password, database: database,
                                  tls: .disable)
        case .unixSocket:
            configuration = .init(unixSocketPath: socketPath!, username: user, password: password, database: database)
        }
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }
}
