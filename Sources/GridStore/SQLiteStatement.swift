internal import CSQLite

/// A prepared statement: owns one `sqlite3_stmt*` (from `sqlite3_prepare_v3`), finalized once in `deinit`
/// with `sqlite3_finalize`.
///
/// Not `Sendable`: a statement belongs to its connection, and both are used by one owner (one thread
/// or task) at a time. The statement keeps an `unowned` reference to its connection: using a statement
/// after its connection was released traps with a clear runtime message instead of touching freed memory.
/// (The connection closes with `sqlite3_close_v2`, so a statement that outlives it is still finalized safely.)
///
/// Parameter indexes are 1-based (SQLite's convention); column indexes are 0-based.
public final class SQLiteStatement {
    let handle: OpaquePointer
    /// The SQL this statement was prepared from.
    public let sql: String
    unowned let connection: SQLiteConnection

    /// Prepares exactly one statement (`sqlite3_prepare_v3`). Throws when `sql` holds no statement or more than one
    /// (use `SQLiteConnection.execute(_:)` for scripts).
    init(connection: SQLiteConnection, db: OpaquePointer, sql: String, persistent: Bool) throws(SQLiteError) {
        let flags = UInt32(persistent ? SQLITE_PREPARE_PERSISTENT : 0)
        var statement: OpaquePointer?
        var hasTrailingStatement = false
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(db, text, -1, flags, &statement, &tail)
            // SQLite would silently ignore a second statement after the first: detect it (whitespace,
            // semicolons and comments prepare to no statement; anything else, even unparsable, is a second one).
            if rc == SQLITE_OK, let tail, tail.pointee != 0 {
                var trailing: OpaquePointer?
                let trailingRC = sqlite3_prepare_v3(db, tail, -1, 0, &trailing, nil)
                hasTrailingStatement = trailingRC != SQLITE_OK || trailing != nil
                sqlite3_finalize(trailing)  // harmless on nil
            }
            return rc
        }
        if rc != SQLITE_OK {
            sqlite3_finalize(statement)  // harmless on nil
            throw sqliteError(rc, db, "preparing a statement", sql: sql)
        }
        if hasTrailingStatement {
            sqlite3_finalize(statement)
            throw SQLiteError(code: SQLITE_MISUSE, message: "the SQL holds more than one statement; prepare() takes one (use execute() for scripts)",
                              context: "preparing a statement", sql: sql)
        }
        guard let statement else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "the SQL holds no statement (empty or only comments)",
                              context: "preparing a statement", sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)  // returns the last step's error, already reported by step()
    }

    // MARK: Binding

    /// Number of parameters (`sqlite3_bind_parameter_count`).
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// The 1-based index of a named parameter (`sqlite3_bind_parameter_index`). Accepts the name with its prefix
    /// (`:code`, `@code`, `$code`) or without (`code`, which tries `:`, `@` and `$`). Nil when there is none.
    public func parameterIndex(_ name: String) -> Int? {
        let candidates = name.first.map { ":@$?".contains($0) } == true ? [name] : [":" + name, "@" + name, "$" + name]
        for candidate in candidates {
            let index = sqlite3_bind_parameter_index(handle, candidate)
            if index > 0 { return Int(index) }
        }
        return nil
    }

    /// Binds one value to the 1-based parameter `index` (`sqlite3_bind_null`, `_int64`, `_double`, `_text64`,
    /// `_blob64`, `_zeroblob`). Text and blobs are copied by SQLite (`SQLITE_TRANSIENT`).
    public func bind(_ value: SQLiteValue, at index: Int) throws {
        guard let i = Int32(exactly: index) else {
            throw SQLiteError(code: SQLITE_RANGE, message: "parameter index \(index) out of range", context: "binding a parameter", sql: sql)
        }
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(handle, i)
        case .integer(let v):
            rc = sqlite3_bind_int64(handle, i, v)
        case .real(let v):
            rc = sqlite3_bind_double(handle, i, v)
        case .text(var v):
            rc = v.withUTF8 { bytes in
                // An empty buffer may have no base address, which SQLite would bind as NULL.
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    return sqlite3_bind_text(handle, i, "", 0, CSQLite_TRANSIENT())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text64(handle, i, $0, sqlite3_uint64(bytes.count), CSQLite_TRANSIENT(), UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let v):
            rc = v.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    return sqlite3_bind_zeroblob(handle, i, 0)  // empty blob, not NULL
                }
                return sqlite3_bind_blob64(handle, i, base, sqlite3_uint64(bytes.count), CSQLite_TRANSIENT())
            }
        }
        try sqliteCheck(rc, sqlite3_db_handle(handle), "binding parameter \(index) of \(parameterCount) to \(value)", sql: sql)
    }

    /// Binds one value to a named parameter; throws `SQLITE_RANGE` naming the parameter when the SQL has no such name.
    public func bind(_ value: SQLiteValue, name: String) throws {
        guard let index = parameterIndex(name) else {
            throw SQLiteError(code: SQLITE_RANGE, message: "the SQL has no parameter named \(name) (parameters: \(parameterNames))",
                              context: "binding a named parameter", sql: sql)
        }
        try bind(value, at: index)
    }

    /// Binds all positional parameters; throws when the count differs from the SQL's parameter count.
    public func bind(_ values: [SQLiteValue]) throws {
        guard values.count == parameterCount else {
            throw SQLiteError(code: SQLITE_RANGE, message: "the SQL has \(parameterCount) parameters but \(values.count) values were given",
                              context: "binding parameters", sql: sql)
        }
        for (offset, value) in values.enumerated() { try bind(value, at: offset + 1) }
    }

    /// Binds named parameters (each name with or without its prefix).
    public func bind(_ values: [String: SQLiteValue]) throws {
        for (name, value) in values { try bind(value, name: name) }
    }

    /// The parameter names as written in the SQL (`sqlite3_bind_parameter_name`); `?` for anonymous ones.
    public var parameterNames: [String] {
        (0..<sqlite3_bind_parameter_count(handle)).map { i in
            sqlite3_bind_parameter_name(handle, i + 1).map { String(cString: $0) } ?? "?"
        }
    }

    /// Sets every parameter back to NULL (`sqlite3_clear_bindings`).
    public func clearBindings() {
        sqlite3_clear_bindings(handle)  // always returns SQLITE_OK
    }

    // MARK: Stepping

    /// Runs the statement to its next row (`sqlite3_step`): true when a row is available, false when done.
    /// On failure the statement is reset (so it can be reused) and the error carries SQLite's message.
    @discardableResult
    public func step() throws -> Bool {
        _ = connection  // traps if the connection was released: a statement must not outlive its connection's owner
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = sqliteError(rc, sqlite3_db_handle(handle), "stepping a statement", sql: sql)
        sqlite3_reset(handle)  // returns the same error again
        throw error
    }

    /// Rewinds the statement so it can run again (`sqlite3_reset`); bindings are kept (see `clearBindings()`).
    /// The result code is ignored: it repeats the last `step()` error, which `step()` already threw.
    public func reset() {
        sqlite3_reset(handle)
    }

    /// True between a `step()` that returned a row and the end or `reset()` (`sqlite3_stmt_busy`).
    public var isBusy: Bool { sqlite3_stmt_busy(handle) != 0 }

    /// True when the statement does not write to the database (`sqlite3_stmt_readonly`).
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    // MARK: Columns (0-based)

    /// Number of result columns (`sqlite3_column_count`).
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// The name of a result column (`sqlite3_column_name`).
    public func columnName(at index: Int) -> String {
        String(cString: sqlite3_column_name(handle, column(index)))
    }

    /// All result column names, in order.
    public var columnNames: [String] { (0..<columnCount).map(columnName(at:)) }

    /// True when the column of the current row is NULL (`sqlite3_column_type`).
    public func isNull(at index: Int) -> Bool {
        sqlite3_column_type(handle, column(index)) == SQLITE_NULL
    }

    /// The column as an integer (`sqlite3_column_int64`), with SQLite's conversions: NULL reads as 0.
    public func int64(at index: Int) -> Int64 {
        sqlite3_column_int64(handle, column(index))
    }

    /// The column as a double (`sqlite3_column_double`), with SQLite's conversions: NULL reads as 0.
    public func double(at index: Int) -> Double {
        sqlite3_column_double(handle, column(index))
    }

    /// The column as UTF-8 text (`sqlite3_column_text`, `sqlite3_column_bytes`); nil when NULL.
    /// Embedded NUL characters are kept.
    public func string(at index: Int) -> String? {
        let i = column(index)
        guard sqlite3_column_type(handle, i) != SQLITE_NULL, let text = sqlite3_column_text(handle, i) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's bytes (`sqlite3_column_blob`, `sqlite3_column_bytes`), copied once into the array;
    /// nil when NULL, `[]` for an empty blob.
    public func blob(at index: Int) -> [UInt8]? {
        let i = column(index)
        guard sqlite3_column_type(handle, i) != SQLITE_NULL else { return nil }
        guard let bytes = sqlite3_column_blob(handle, i) else { return [] }  // zero-length blob
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, i))))
    }

    /// Lends the column's bytes without copying (`sqlite3_column_blob`); the buffer is valid only inside `body`
    /// and is empty for NULL or an empty blob. Use it to decode WKB straight from SQLite's memory.
    public func withBlob<R, E: Error>(at index: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let i = column(index)
        guard let bytes = sqlite3_column_blob(handle, i) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, i))))
    }

    /// The column as an `SQLiteValue`, by its storage class (`sqlite3_column_type`).
    public func value(at index: Int) -> SQLiteValue {
        switch sqlite3_column_type(handle, column(index)) {
        case SQLITE_INTEGER: .integer(int64(at: index))
        case SQLITE_FLOAT: .real(double(at: index))
        case SQLITE_TEXT: .text(string(at: index) ?? "")
        case SQLITE_BLOB: .blob(blob(at: index) ?? [])
        default: .null
        }
    }

    /// The current row as a `Sendable` value.
    public func row(columnNames names: [String]? = nil) -> SQLiteRow {
        SQLiteRow(columnNames: names ?? columnNames, values: (0..<columnCount).map(value(at:)))
    }

    /// A column index checked against the column count: reading past it is undefined in SQLite, so it traps here.
    @inline(__always)
    private func column(_ index: Int) -> Int32 {
        precondition(index >= 0 && index < Int(sqlite3_column_count(handle)),
                     "SQLiteStatement: column \(index) out of range 0..<\(sqlite3_column_count(handle)) in \(sql.prefix(200))")
        return Int32(index)
    }
}

@available(*, unavailable, message: "a statement belongs to one owner at a time; use SQLiteDatabase to share a database")
extension SQLiteStatement: Sendable {}
