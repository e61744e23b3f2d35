internal import CSQLite

/// An error reported by SQLite (or by this layer about how SQLite was called).
///
/// Carries the primary result code, the extended result code, SQLite's own message
/// (`sqlite3_errmsg`, or `sqlite3_errstr` when the connection holds no matching message),
/// what this layer was doing, and the first 200 characters of the SQL involved.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The primary result code (`SQLITE_CONSTRAINT` = 19, `SQLITE_BUSY` = 5, ...).
    public let code: Int32
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE` = 2067, ...); equals `code` when SQLite has none.
    public let extendedCode: Int32
    /// SQLite's message, e.g. `UNIQUE constraint failed: grid.code`.
    public let message: String
    /// What this layer was doing, e.g. `opening database at /data/county.sqlite (mode: readWrite)`.
    public let context: String
    /// The SQL involved, cut to its first 200 characters; nil when no SQL was involved (opening, closing).
    public let sql: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, context: String, sql: String? = nil) {
        self.code = code & 0xFF
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.context = context
        self.sql = sql.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
    }

    /// A `NOT NULL`, `UNIQUE`, `PRIMARY KEY`, `CHECK` or `FOREIGN KEY` constraint failed.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    /// The database (or a table in it) was locked by another connection past the busy timeout.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// The file exists but is not an SQLite database (or is encrypted).
    public var isNotADatabase: Bool { code == SQLITE_NOTADB }
    /// The database file is damaged (`SQLITE_CORRUPT`: "database disk image is malformed").
    public var isCorrupt: Bool { code == SQLITE_CORRUPT }
    /// The disk refused a write: full (`SQLITE_FULL`), an I/O error (`SQLITE_IOERR_*`: a file-size limit, a failing
    /// disk, a file made immutable) or a file or folder that is read-only for this process (`SQLITE_READONLY_*`).
    /// Nothing of the failed statement's transaction is stored; the same write can succeed once the cause is gone.
    public var isStorageFailure: Bool { code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_READONLY }

    /// What to do about an error of the file rather than of the SQL: damage, a full or failing disk, a read-only file.
    /// Nil for the others (constraints, SQL errors), whose message is the whole story.
    public var advice: String? {
        if isCorrupt {
            return "the database file is damaged: `sqlite3 FILE 'PRAGMA integrity_check'` lists the damaged "
                + "pages; stop every gridwork process on it and restore the last backup (docs/reliability.md)"
        }
        switch code {
        case SQLITE_FULL:
            return "the disk holding the database is full (磁盘已满); nothing of this change was written: free space and retry"
        case SQLITE_IOERR:
            return "the disk refused a write or read (\(codeName): full, a file-size limit, a read-only or failing disk); "
                + "nothing of this change was written: check the disk and the system log, then retry"
        case SQLITE_READONLY:
            return "the database file or its folder is read-only for this process (\(codeName)); check its owner and mode, "
                + "`lsattr` for the immutable flag, and whether the file system is mounted read-only"
        default:
            return nil
        }
    }

    /// The symbolic name of the extended code when known, else of the primary code (`SQLITE_CONSTRAINT_UNIQUE`).
    public var codeName: String {
        sqliteExtendedCodeNames[extendedCode] ?? sqlitePrimaryCodeNames[code] ?? "SQLITE_ERROR_\(extendedCode)"
    }

    public var description: String {
        var text = "SQLite error \(codeName) (\(code)/\(extendedCode)) while \(context): \(message)"
        if let sql { text += " — SQL: \(sql)" }
        if let advice { text += " — \(advice)" }
        return text
    }
}

/// The one place where a C result code becomes a thrown `SQLiteError`.
///
/// Every failing `sqlite3_*` result of this module becomes an error through here or through `sqliteError` below.
/// `db` is the connection (may be nil when `sqlite3_open_v2` could not allocate one); `accept` is the code that
/// means success for this call (`SQLITE_OK`). `sqlite3_step`, which has two success codes, and `sqlite3_open_v2`,
/// which must close its handle first, call `sqliteError` directly.
@inline(__always)
func sqliteCheck(
    _ rc: Int32, _ db: OpaquePointer?, _ context: @autoclosure () -> String,
    sql: String? = nil, accept: Int32 = SQLITE_OK
) throws(SQLiteError) {
    if rc == accept { return }
    throw sqliteError(rc, db, context(), sql: sql)
}

/// Builds the error for a failed C call: reads `sqlite3_errmsg` / `sqlite3_extended_errcode` when the
/// connection's last error matches `rc`, falls back to `sqlite3_errstr(rc)` otherwise (e.g. `SQLITE_MISUSE`,
/// which SQLite returns without recording a message).
@inline(never)
func sqliteError(_ rc: Int32, _ db: OpaquePointer?, _ context: String, sql: String?) -> SQLiteError {
    var extended = rc
    var message: String
    if let db, (sqlite3_errcode(db) & 0xFF) == (rc & 0xFF) {
        extended = sqlite3_extended_errcode(db)
        message = String(cString: sqlite3_errmsg(db))
    } else {
        message = String(cString: sqlite3_errstr(rc))
    }
    if message.isEmpty { message = "unknown error" }
    return SQLiteError(code: rc, extendedCode: extended, message: message, context: context, sql: sql)
}

private let sqlitePrimaryCodeNames: [Int32: String] = [
    1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
    6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR",
    11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL",
    16: "SQLITE_EMPTY", 17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG", 19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH",
    21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS", 23: "SQLITE_AUTH", 24: "SQLITE_FORMAT", 25: "SQLITE_RANGE",
    26: "SQLITE_NOTADB", 27: "SQLITE_NOTICE", 28: "SQLITE_WARNING",
]

private let sqliteExtendedCodeNames: [Int32: String] = [
    275: "SQLITE_CONSTRAINT_CHECK", 531: "SQLITE_CONSTRAINT_COMMITHOOK", 787: "SQLITE_CONSTRAINT_FOREIGNKEY",
    1043: "SQLITE_CONSTRAINT_FUNCTION", 1299: "SQLITE_CONSTRAINT_NOTNULL", 1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
    1811: "SQLITE_CONSTRAINT_TRIGGER", 2067: "SQLITE_CONSTRAINT_UNIQUE", 2323: "SQLITE_CONSTRAINT_VTAB",
    2579: "SQLITE_CONSTRAINT_ROWID", 3091: "SQLITE_CONSTRAINT_DATATYPE",
    261: "SQLITE_BUSY_RECOVERY", 517: "SQLITE_BUSY_SNAPSHOT", 773: "SQLITE_BUSY_TIMEOUT",
    262: "SQLITE_LOCKED_SHAREDCACHE", 264: "SQLITE_READONLY_RECOVERY", 520: "SQLITE_READONLY_CANTLOCK",
    776: "SQLITE_READONLY_ROLLBACK", 1032: "SQLITE_READONLY_DBMOVED", 1288: "SQLITE_READONLY_CANTINIT",
    1544: "SQLITE_READONLY_DIRECTORY", 270: "SQLITE_CANTOPEN_NOTEMPDIR", 526: "SQLITE_CANTOPEN_ISDIR",
    782: "SQLITE_CANTOPEN_FULLPATH", 1038: "SQLITE_CANTOPEN_CONVPATH", 1034: "SQLITE_IOERR_FSYNC",
    266: "SQLITE_IOERR_READ", 778: "SQLITE_IOERR_WRITE", 3338: "SQLITE_IOERR_ACCESS",
    4874: "SQLITE_IOERR_SHMSIZE", 1546: "SQLITE_IOERR_TRUNCATE", 3850: "SQLITE_IOERR_LOCK", 267: "SQLITE_CORRUPT_VTAB",
    779: "SQLITE_CORRUPT_INDEX", 523: "SQLITE_CORRUPT_SEQUENCE",
    513: "SQLITE_ERROR_RETRY", 257: "SQLITE_ERROR_MISSING_COLLSEQ", 1: "SQLITE_ERROR",
]
