internal import CSQLite

/// One SQLite connection: owns one `sqlite3*` (opened with `sqlite3_open_v2`), closed once in `deinit` with
/// `sqlite3_close_v2`.
///
/// **One owner at a time.** The connection is opened with `SQLITE_OPEN_NOMUTEX` (SQLite's multi-thread mode):
/// SQLite does no locking of its own for it, so the connection, and every statement prepared on it, must be used
/// by one thread or task at a time. It is therefore not `Sendable`. To share a database between threads use
/// `SQLiteDatabase`, which hands out its connections under a lock.
///
/// Writers (modes `.readWrite` and `.create`) switch the file to WAL (`PRAGMA journal_mode=WAL`) and set
/// `synchronous=NORMAL`; every connection sets `foreign_keys=ON`, extended result codes and a busy timeout.
///
/// Values reach SQL only through bound parameters (`run(_:_:)`, `query(_:_:)`, `SQLiteStatement.bind`):
/// there is no API that splices a value into SQL text.
public final class SQLiteConnection {
    /// How to open the file.
    public enum Mode: Sendable, Equatable, CustomStringConvertible {
        /// Read only (`SQLITE_OPEN_READONLY`); the file must exist.
        case readOnly
        /// Read and write (`SQLITE_OPEN_READWRITE`); the file must exist.
        case readWrite
        /// Read and write, creating the file when missing (`SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE`);
        /// the directory must exist.
        case create

        public var description: String {
            switch self {
            case .readOnly: "readOnly"
            case .readWrite: "readWrite"
            case .create: "create"
            }
        }

        var flags: Int32 {
            switch self {
            case .readOnly: SQLITE_OPEN_READONLY
            case .readWrite: SQLITE_OPEN_READWRITE
            case .create: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
            }
        }
    }

    /// How an outermost transaction begins (`BEGIN DEFERRED` / `IMMEDIATE` / `EXCLUSIVE`).
    public enum TransactionKind: String, Sendable {
        /// Takes locks on first read / first write. Right for read snapshots.
        case deferred = "DEFERRED"
        /// Takes the write lock at once (waiting up to the busy timeout): right for writes, it cannot fail
        /// half-way with `SQLITE_BUSY` when upgrading from a read.
        case immediate = "IMMEDIATE"
        /// Like immediate (in WAL mode they are the same).
        case exclusive = "EXCLUSIVE"
    }

    /// How many prepared statements `prepare(_:)` keeps per connection, keyed by SQL text.
    public static let statementCacheCapacity = 64

    let db: OpaquePointer
    /// The path the connection was opened with.
    public let path: String
    /// The mode the connection was opened with.
    public let mode: Mode

    private final class CachedStatement {
        var statement: SQLiteStatement
        var lastUse: UInt64
        init(_ statement: SQLiteStatement, lastUse: UInt64) {
            self.statement = statement
            self.lastUse = lastUse
        }
    }
    private var statementCache: [String: CachedStatement] = [:]
    private var useClock: UInt64 = 0
    private var savepointDepth = 0

    /// Opens (`sqlite3_open_v2` with `SQLITE_OPEN_NOMUTEX`) and configures a connection.
    ///
    /// - Parameters:
    ///   - path: the database file; `":memory:"` for a private in-memory database (no WAL there).
    ///   - mode: `.readOnly`, `.readWrite` (file must exist) or `.create`.
    ///   - busyTimeout: how long a statement waits for another connection's lock before `SQLITE_BUSY`
    ///     (`sqlite3_busy_timeout`).
    /// - Throws: `SQLiteError` naming the path and mode: `SQLITE_CANTOPEN` for a missing file or directory,
    ///   `SQLITE_NOTADB` for a file that is not a database.
    public init(path: String, mode: Mode = .create, busyTimeout: Duration = .seconds(5)) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, mode.flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            // sqlite3_open_v2 allocates a handle even on failure (except out of memory); it must be closed.
            let error = sqliteError(rc, handle, Self.openContext(path: path, mode: mode, code: rc), sql: nil)
            sqlite3_close_v2(handle)  // harmless on nil
            throw error
        }
        self.db = handle
        self.path = path
        self.mode = mode
        // From here on, a thrown error runs deinit, which closes the handle.
        sqlite3_extended_result_codes(db, 1)  // always SQLITE_OK
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        try sqliteCheck(sqlite3_busy_timeout(db, Int32(clamping: ms)), db, "setting the busy timeout of \(path)")
        do {
            // Reading the schema version makes SQLite read the file header: a non-database fails here, at open.
            _ = try query("PRAGMA schema_version")
            try execute("PRAGMA foreign_keys = ON")
            if mode != .readOnly {
                let journal = try query("PRAGMA journal_mode = WAL").first?[0].stringValue?.lowercased()
                let inMemory = path.isEmpty || path == ":memory:" || path.hasPrefix("file::memory:")
                guard journal == "wal" || (inMemory && journal == "memory") else {
                    throw SQLiteError(code: SQLITE_ERROR, message: "SQLite kept journal mode \(journal ?? "unknown") instead of WAL "
                                        + "(is the file on a file system without shared memory, or opened by an old process in another mode?)",
                                      context: Self.openContext(path: path, mode: mode, code: SQLITE_ERROR), sql: "PRAGMA journal_mode = WAL")
                }
                try execute("PRAGMA synchronous = NORMAL")
            }
        } catch let error as SQLiteError {
            throw SQLiteError(code: error.code, extendedCode: error.extendedCode, message: error.message,
                              context: Self.openContext(path: path, mode: mode, code: error.code), sql: error.sql)
        }
    }

    private static func openContext(path: String, mode: Mode, code: Int32) -> String {
        var text = "opening database at '\(path)' (mode: \(mode))"
        switch code & 0xFF {
        case SQLITE_CANTOPEN:
            text += mode == .create
                ? "; check that the directory exists and is writable"
                : "; check that the file exists and is readable (mode .create creates a missing file)"
        case SQLITE_NOTADB:
            text += "; the file exists but is not an SQLite database: check the path"
        default:
            break
        }
        return text
    }

    deinit {
        statementCache.removeAll()  // finalizes the cached statements nobody else holds
        // sqlite3_close_v2 returns SQLITE_OK even with unfinalized statements (the handle becomes a "zombie"
        // freed when the last one is finalized), so the handle is closed exactly once here.
        sqlite3_close_v2(db)
    }

    // MARK: Scripts and statements

    /// Runs a script of one or more statements without parameters (`sqlite3_exec`): schema, pragmas, migrations.
    /// For anything that involves values use `run(_:_:)` with parameters.
    public func execute(_ sql: String) throws {
        try sqliteCheck(sqlite3_exec(db, sql, nil, nil, nil), db, "executing SQL on '\(path)'", sql: sql)
    }

    /// Prepares one statement (`sqlite3_prepare_v3`, with `SQLITE_PREPARE_PERSISTENT` for cached ones), reusing a
    /// cached one for the same SQL when no one else holds it.
    ///
    /// A cached statement comes back reset with its bindings cleared. When the cached statement for this SQL is
    /// still held elsewhere (e.g. an outer loop is stepping it), a fresh uncached statement is returned instead,
    /// so two users never share one statement's state.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        useClock &+= 1
        if let entry = statementCache[sql] {
            if isKnownUniquelyReferenced(&entry.statement) {
                entry.lastUse = useClock
                entry.statement.reset()
                entry.statement.clearBindings()
                return entry.statement
            }
            return try SQLiteStatement(connection: self, db: db, sql: sql, persistent: false)
        }
        let statement = try SQLiteStatement(connection: self, db: db, sql: sql, persistent: true)
        if statementCache.count >= Self.statementCacheCapacity,
           let oldest = statementCache.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            statementCache[oldest] = nil  // finalized now, or when its other holder lets go
        }
        statementCache[sql] = CachedStatement(statement, lastUse: useClock)
        return statement
    }

    /// Number of statements in the cache (for tests and diagnostics).
    public var cachedStatementCount: Int { statementCache.count }

    /// Runs one statement with positional parameters to completion (rows, if any, are discarded).
    public func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws {
        let statement = try prepare(sql)
        defer { statement.reset(); statement.clearBindings() }  // also releases SQLite's copies of big blobs
        try statement.bind(parameters)
        while try statement.step() {}
    }

    /// Runs one statement with named parameters (`:name`, `@name`, `$name`) to completion.
    public func run(_ sql: String, _ parameters: [String: SQLiteValue]) throws {
        let statement = try prepare(sql)
        defer { statement.reset(); statement.clearBindings() }
        try statement.bind(parameters)
        while try statement.step() {}
    }

    /// Runs one query with positional parameters and returns all rows as `Sendable` values.
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [SQLiteRow] {
        var rows: [SQLiteRow] = []
        try forEachRow(sql, parameters) { rows.append($0.row(columnNames: $1)) }
        return rows
    }

    /// Runs one query with named parameters and returns all rows.
    public func query(_ sql: String, _ parameters: [String: SQLiteValue]) throws -> [SQLiteRow] {
        let statement = try prepare(sql)
        defer { statement.reset(); statement.clearBindings() }
        try statement.bind(parameters)
        let names = statement.columnNames
        var rows: [SQLiteRow] = []
        while try statement.step() { rows.append(statement.row(columnNames: names)) }
        return rows
    }

    /// Runs one query and hands each row to `body` while the statement is on it, without building `SQLiteRow`s:
    /// read columns with the statement's typed getters (`withBlob(at:)` reads blobs with no copy at all).
    /// The second argument is the column names, read once.
    public func forEachRow(_ sql: String, _ parameters: [SQLiteValue] = [],
                           _ body: (SQLiteStatement, [String]) throws -> Void) throws {
        let statement = try prepare(sql)
        defer { statement.reset(); statement.clearBindings() }
        try statement.bind(parameters)
        let names = statement.columnNames
        while try statement.step() { try body(statement, names) }
    }

    // MARK: Transactions

    /// Runs `body` in a transaction: commits when it returns, rolls back when it (or the commit) throws,
    /// and rethrows that error.
    ///
    /// Called inside another transaction (nested `transaction` calls, or an explicit `BEGIN`), it uses a
    /// `SAVEPOINT` instead: an error rolls back only the nested part, and `kind` is ignored.
    ///
    /// Declared `throws` rather than `rethrows`: `BEGIN`, `COMMIT` and `RELEASE` can fail on their own
    /// (busy timeout, a deferred foreign-key violation at commit).
    public func transaction<T>(_ kind: TransactionKind = .deferred, _ body: () throws -> T) throws -> T {
        if isInTransaction {
            savepointDepth += 1
            defer { savepointDepth -= 1 }
            let name = "gridwork_savepoint_\(savepointDepth)"  // generated name, no outside text
            try execute("SAVEPOINT \(name)")
            do {
                let result = try body()
                try execute("RELEASE \(name)")
                return result
            } catch {
                if isInTransaction {
                    // Undo the nested part, then drop the savepoint; the outer transaction goes on.
                    try? execute("ROLLBACK TO \(name)")
                    try? execute("RELEASE \(name)")
                }
                throw error
            }
        }
        try execute("BEGIN \(kind.rawValue)")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL); then there is nothing to undo.
            // A failing ROLLBACK is not reported: the body's error is the one worth throwing.
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// True inside a transaction (`sqlite3_get_autocommit` returns 0).
    public var isInTransaction: Bool { sqlite3_get_autocommit(db) == 0 }

    // MARK: State

    /// The rowid of the last successful `INSERT` on this connection (`sqlite3_last_insert_rowid`).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }

    /// Rows changed by the last `INSERT`, `UPDATE` or `DELETE` (`sqlite3_changes64`).
    public var changes: Int { Int(sqlite3_changes64(db)) }

    /// Rows changed since the connection opened (`sqlite3_total_changes64`).
    public var totalChanges: Int { Int(sqlite3_total_changes64(db)) }

    /// The journal mode (`PRAGMA journal_mode`): `"wal"` for file databases opened by this layer.
    public func journalMode() throws -> String {
        try query("PRAGMA journal_mode").first?[0].stringValue ?? ""
    }

    /// The schema version the migrations reached (`PRAGMA user_version`).
    public func userVersion() throws -> Int {
        try query("PRAGMA user_version").first?[0].intValue ?? 0
    }

    /// Sets `PRAGMA user_version`. The pragma takes no bound parameter; the value is a Swift `Int`, written as digits.
    public func setUserVersion(_ version: Int) throws {
        guard let version32 = Int32(exactly: version) else {
            throw SQLiteError(code: SQLITE_RANGE, message: "user_version \(version) does not fit in 32 bits",
                              context: "setting the user version of '\(path)'")
        }
        try execute("PRAGMA user_version = \(version32)")
    }

    /// Checks the file's structure with `PRAGMA quick_check` (every page of every table and index read once: the
    /// b-trees, free list and record formats; not whether indexes match their tables, which `integrity_check` adds).
    /// 0.1–0.25 s for a 35 MB county (the Jiande-sized sample, docs/reliability.md). Throws an `SQLITE_CORRUPT` error quoting SQLite's first findings (its `advice` names
    /// `PRAGMA integrity_check` and the backup) when the file is damaged; SQLite's own error when it cannot read at all.
    public func checkStructure() throws {
        let context = "checking the structure of '\(path)' (PRAGMA quick_check)"
        let findings: [String]
        do {
            findings = try query("PRAGMA quick_check(5)").compactMap { $0[0].stringValue }
        } catch let error as SQLiteError {
            throw SQLiteError(code: error.code, extendedCode: error.extendedCode, message: error.message, context: context,
                              sql: error.sql)
        }
        guard findings != ["ok"] else { return }
        let found = findings.flatMap { $0.split(separator: "\n") }.filter { !$0.hasPrefix("*** in database") }
        throw SQLiteError(code: SQLITE_CORRUPT, message: "database disk image is malformed (found: " + found.joined(separator: "; ") + ")",
                          context: context)
    }

    /// Bytes SQLite has allocated in this process, all connections together (`sqlite3_memory_used`).
    public static var sqliteMemoryUsed: Int64 { sqlite3_memory_used() }

    /// The SQLite library version (`sqlite3_libversion`), e.g. `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}

@available(*, unavailable, message: "a connection belongs to one owner at a time; share a database through SQLiteDatabase")
extension SQLiteConnection: Sendable {}
