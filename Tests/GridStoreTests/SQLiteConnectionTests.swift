import Foundation
import Testing
@testable import GridStore

extension GridStoreTests {
@Suite struct SQLiteConnectionTests {
    let dir: TemporaryDirectory
    let db: SQLiteConnection

    init() throws {
        dir = try TemporaryDirectory()
        db = try SQLiteConnection(path: dir.path("store.sqlite"), mode: .create)
        try db.execute("""
            CREATE TABLE sample (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n);
            CREATE TABLE village (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
            CREATE TABLE grid (
                id INTEGER PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                village_id INTEGER REFERENCES village(id),
                households INTEGER CHECK (households >= 0)
            );
            """)
    }

    static let unicode = "网格化管理 · 建德市 🇨🇳 café e\u{301} \u{0}after-NUL"

    @Test func insertAndReadBackEveryValueType() throws {
        var large = [UInt8](repeating: 0, count: 8 << 20)  // 8 MiB, like a big WKB multipolygon
        var generator = SystemRandomNumberGenerator()
        for index in large.indices where index % 7 == 0 { large[index] = UInt8.random(in: 0...255, using: &generator) }

        let rows: [[SQLiteValue]] = [
            [.integer(Int64.max), .real(Double.pi), .text(Self.unicode), .blob(large), .null],
            [.integer(Int64.min), .real(-0.5e-300), .text(""), .blob([]), .integer(7)],
            [.integer(0), .real(Double.greatestFiniteMagnitude), .null, .null, .text("x")],
        ]
        for row in rows {
            try db.run("INSERT INTO sample (i, r, t, b, n) VALUES (?, ?, ?, ?, ?)", row)
            #expect(db.changes == 1)
        }
        #expect(db.lastInsertRowID == 3)

        let read = try db.query("SELECT i, r, t, b, n FROM sample ORDER BY id")
        #expect(read.count == 3)
        #expect(read.map(\.values) == rows)
        #expect(read[0].columnNames == ["i", "r", "t", "b", "n"])
        #expect(read[0]["t"] == .text(Self.unicode))
        #expect(read[1]["b"] == .blob([]), "an empty blob stays an empty blob, not NULL")
        #expect(read[1]["t"] == .text(""), "an empty string stays an empty string, not NULL")
        #expect(read[0]["missing"] == nil)

        // The statement's typed getters.
        let statement = try db.prepare("SELECT i, r, t, b, n, typeof(t), length(b) FROM sample WHERE id = ?")
        try statement.bind([1])
        #expect(try statement.step())
        #expect(statement.int64(at: 0) == Int64.max)
        #expect(statement.double(at: 1) == Double.pi)
        #expect(statement.string(at: 2) == Self.unicode)
        #expect(statement.blob(at: 3) == large)
        #expect(statement.withBlob(at: 3) { $0.count } == large.count)
        #expect(statement.withBlob(at: 3) { Array($0.prefix(64)) } == Array(large.prefix(64)))
        #expect(statement.isNull(at: 4))
        #expect(statement.string(at: 5) == "text")
        #expect(statement.int64(at: 6) == Int64(8 << 20))
        #expect(statement.columnNames == ["i", "r", "t", "b", "n", "typeof(t)", "length(b)"])
        #expect(statement.columnName(at: 2) == "t")
        #expect(try !statement.step())

        // Update and delete.
        try db.run("UPDATE sample SET t = ?, b = ? WHERE id = ?", [.text("更新"), .blob([1, 2, 3]), 3])
        #expect(db.changes == 1)
        #expect(try db.query("SELECT t, b FROM sample WHERE id = 3").first?.values == [.text("更新"), .blob([1, 2, 3])])
        try db.run("DELETE FROM sample WHERE id <> ?", [1])
        #expect(db.changes == 2)
        #expect(try db.query("SELECT count(*) FROM sample").first?[0] == .integer(1))
    }

    @Test func namedParameters() throws {
        try db.run("INSERT INTO village (id, code) VALUES (:id, @code)", ["id": 1, "code": "330182001"])
        try db.run("INSERT INTO grid (code, village_id, households) VALUES ($code, :village, :households)",
                   ["$code": "G-001", ":village": 1, "households": 120])
        let rows = try db.query("SELECT g.code, v.code AS village FROM grid g JOIN village v ON v.id = g.village_id WHERE g.households > :min",
                                ["min": 100])
        #expect(rows.map(\.values) == [[.text("G-001"), .text("330182001")]])

        let statement = try db.prepare("SELECT :a + :b")
        #expect(statement.parameterNames == [":a", ":b"])
        let error = expectSQLiteError { try statement.bind(1, name: "c") }
        #expect(error?.message.contains("no parameter named c") == true)
        #expect(error?.message.contains(":a") == true, "the error lists the parameters the SQL has")
    }

    @Test func parameterCountMismatchIsAClearError() throws {
        let error = expectSQLiteError { try db.run("INSERT INTO village (id, code) VALUES (?, ?)", [1]) }
        #expect(error?.message == "the SQL has 2 parameters but 1 values were given")
        #expect(error?.sql == "INSERT INTO village (id, code) VALUES (?, ?)")
        #expect(try db.query("SELECT count(*) FROM village").first?[0] == .integer(0))
    }

    @Test func prepareTakesExactlyOneStatement() throws {
        let two = expectSQLiteError { _ = try db.prepare("SELECT 1; DELETE FROM village") }
        #expect(two?.message.contains("more than one statement") == true)
        let none = expectSQLiteError { _ = try db.prepare("  -- only a comment") }
        #expect(none?.message.contains("no statement") == true)
        // Trailing semicolons, spaces and comments are fine.
        let ok = try db.prepare("SELECT 42; -- the answer\n ;")
        #expect(try ok.step())
        #expect(ok.int64(at: 0) == 42)
    }

    @Test func syntaxErrorCarriesSQLitesMessageAndTheSQL() throws {
        let longSQL = "SELEC * FROM grid WHERE code = ?" + String(repeating: " ", count: 300) + "-- tail"
        let error = expectSQLiteError { _ = try db.query(longSQL, ["x"]) }
        #expect(error?.code == 1)
        #expect(error?.message.contains("syntax error") == true)
        #expect(error?.sql?.hasPrefix("SELEC * FROM grid") == true)
        #expect(error.map { $0.sql!.count <= 201 } == true, "SQL is cut to its first 200 characters")
        #expect(error?.description.contains("preparing a statement") == true)
    }

    @Test func statementCacheReusesOnlyFreeStatements() throws {
        try db.run("INSERT INTO village (code) VALUES (?), (?), (?)", ["a", "b", "c"])
        let sql = "SELECT code FROM village WHERE id >= ? ORDER BY id"
        let first = ObjectIdentifier(try db.prepare(sql))
        let second = ObjectIdentifier(try db.prepare(sql))
        #expect(first == second, "a statement nobody holds is reused")

        // An outer loop holds the cached statement; an inner prepare of the same SQL must not reset it.
        let outer = try db.prepare(sql)
        try outer.bind([1])
        var pairs: [String] = []
        while try outer.step() {
            let code = outer.string(at: 0)!
            let inner = try db.query(sql, [2])
            #expect(inner.count == 2)
            pairs.append(code)
        }
        #expect(pairs == ["a", "b", "c"])
        #expect(db.cachedStatementCount >= 1 && db.cachedStatementCount <= SQLiteConnection.statementCacheCapacity)

        // The cache stays bounded.
        for n in 0..<(SQLiteConnection.statementCacheCapacity + 20) {
            _ = try db.query("SELECT \(n) AS n")
        }
        #expect(db.cachedStatementCount == SQLiteConnection.statementCacheCapacity)
    }

    @Test func transactionCommitsOrRollsBack() throws {
        try db.run("INSERT INTO village (code) VALUES (?)", ["kept"])
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction(.immediate) {
                try db.run("INSERT INTO village (code) VALUES (?)", ["lost-1"])
                try db.run("UPDATE village SET code = ? WHERE code = ?", ["changed", "kept"])
                throw Boom()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try db.query("SELECT code FROM village ORDER BY id").map(\.values) == [[.text("kept")]])

        // An SQLite error inside the body rolls back too.
        let error = expectSQLiteError {
            try db.transaction {
                try db.run("INSERT INTO village (code) VALUES (?)", ["lost-2"])
                try db.run("INSERT INTO village (code) VALUES (?)", ["kept"])  // UNIQUE violation
            }
        }
        #expect(error?.isConstraintViolation == true)
        #expect(try db.query("SELECT count(*) FROM village").first?[0] == .integer(1))

        let value = try db.transaction(.immediate) { () throws -> Int64 in
            try db.run("INSERT INTO village (code) VALUES (?)", ["committed"])
            return db.lastInsertRowID
        }
        #expect(value == 2)
        #expect(try db.query("SELECT count(*) FROM village").first?[0] == .integer(2))
    }

    @Test func nestedTransactionsUseSavepoints() throws {
        struct Boom: Error {}
        try db.transaction(.immediate) {
            try db.run("INSERT INTO village (code) VALUES (?)", ["outer"])
            // The inner part fails: only it is undone.
            #expect(throws: Boom.self) {
                try db.transaction {
                    try db.run("INSERT INTO village (code) VALUES (?)", ["inner-lost"])
                    try db.transaction {
                        try db.run("INSERT INTO village (code) VALUES (?)", ["inner-inner-lost"])
                    }
                    throw Boom()
                }
            }
            #expect(db.isInTransaction, "the outer transaction goes on")
            try db.transaction {
                try db.run("INSERT INTO village (code) VALUES (?)", ["inner-kept"])
            }
        }
        #expect(try db.query("SELECT code FROM village ORDER BY id").map { $0[0] } == [.text("outer"), .text("inner-kept")])

        // An outer failure undoes released savepoints too.
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.transaction { try db.run("INSERT INTO village (code) VALUES (?)", ["gone"]) }
                throw Boom()
            }
        }
        #expect(try db.query("SELECT count(*) FROM village").first?[0] == .integer(2))
    }

    @Test func failingCommitRollsBack() throws {
        try db.execute("""
            CREATE TABLE building (id INTEGER PRIMARY KEY,
                grid_id INTEGER REFERENCES grid(id) DEFERRABLE INITIALLY DEFERRED);
            """)
        // A deferred foreign key is only checked at COMMIT: the commit fails, and the transaction is rolled back.
        let error = expectSQLiteError {
            try db.transaction(.immediate) {
                try db.run("INSERT INTO building (grid_id) VALUES (?)", [999])
            }
        }
        #expect(error?.isConstraintViolation == true)
        #expect(error?.message.contains("FOREIGN KEY constraint failed") == true)
        #expect(!db.isInTransaction)
        #expect(try db.query("SELECT count(*) FROM building").first?[0] == .integer(0))
    }

    @Test func constraintViolationsCarrySQLitesMessage() throws {
        try db.run("INSERT INTO village (id, code) VALUES (?, ?)", [1, "V1"])
        try db.run("INSERT INTO grid (code, village_id) VALUES (?, ?)", ["G1", 1])

        let unique = expectSQLiteError { try db.run("INSERT INTO grid (code, village_id) VALUES (?, ?)", ["G1", 1]) }
        #expect(unique?.isConstraintViolation == true)
        #expect(unique?.isBusy == false)
        #expect(unique?.code == 19)
        #expect(unique?.extendedCode == 2067)
        #expect(unique?.codeName == "SQLITE_CONSTRAINT_UNIQUE")
        #expect(unique?.message == "UNIQUE constraint failed: grid.code")
        #expect(unique?.sql == "INSERT INTO grid (code, village_id) VALUES (?, ?)")
        #expect(unique?.description.contains("UNIQUE constraint failed: grid.code") == true)

        let notNull = expectSQLiteError { try db.run("INSERT INTO grid (code) VALUES (?)", [nil]) }
        #expect(notNull?.codeName == "SQLITE_CONSTRAINT_NOTNULL")
        #expect(notNull?.message == "NOT NULL constraint failed: grid.code")

        let foreignKey = expectSQLiteError { try db.run("INSERT INTO grid (code, village_id) VALUES (?, ?)", ["G2", 42]) }
        #expect(foreignKey?.codeName == "SQLITE_CONSTRAINT_FOREIGNKEY", "foreign_keys is ON")
        #expect(foreignKey?.message == "FOREIGN KEY constraint failed")

        let check = expectSQLiteError { try db.run("INSERT INTO grid (code, households) VALUES (?, ?)", ["G3", -1]) }
        #expect(check?.codeName == "SQLITE_CONSTRAINT_CHECK")
        #expect(check?.message.contains("CHECK constraint failed") == true)

        // The statement is reusable after the failure.
        try db.run("INSERT INTO grid (code, village_id) VALUES (?, ?)", ["G4", 1])
        #expect(try db.query("SELECT count(*) FROM grid").first?[0] == .integer(2))
    }

    @Test func writersUseWALWithForeignKeysAndNormalSync() throws {
        #expect(try db.journalMode() == "wal")
        #expect(try db.query("PRAGMA foreign_keys").first?[0] == .integer(1))
        #expect(try db.query("PRAGMA synchronous").first?[0] == .integer(1), "1 is NORMAL")
        try db.run("INSERT INTO village (code) VALUES (?)", ["wal"])
        #expect(FileManager.default.fileExists(atPath: dir.path("store.sqlite-wal")))

        let reader = try SQLiteConnection(path: dir.path("store.sqlite"), mode: .readOnly)
        #expect(try reader.journalMode() == "wal", "WAL is a property of the file")
        #expect(try reader.query("SELECT code FROM village").first?[0] == .text("wal"))
        let error = expectSQLiteError { try reader.run("INSERT INTO village (code) VALUES (?)", ["no"]) }
        #expect(error?.code == 8, "SQLITE_READONLY")
        #expect(error?.message.contains("readonly") == true)
    }

    @Test func injectionThroughAParameterIsStoredLiterally() throws {
        let hostile = "x'); DROP TABLE village; --"
        let alsoHostile = "' OR '1'='1"
        try db.run("INSERT INTO village (code) VALUES (?)", [.text(hostile)])
        try db.run("INSERT INTO village (code) VALUES (:code)", ["code": .text(alsoHostile)])
        #expect(try db.query("SELECT code FROM village ORDER BY id").map { $0[0] } == [.text(hostile), .text(alsoHostile)])
        #expect(try db.query("SELECT count(*) FROM village WHERE code = ?", ["nothing' OR '1'='1"]).first?[0] == .integer(0))
        #expect(try db.query("SELECT name FROM sqlite_master WHERE name = 'village'").count == 1, "the table is still there")
    }

    @Test func openingANonDatabaseFileIsAClearError() throws {
        let path = dir.path("notes.txt")
        try Data(String(repeating: "this is not a database\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        for mode in [SQLiteConnection.Mode.readWrite, .readOnly, .create] {
            let error = expectSQLiteError { _ = try SQLiteConnection(path: path, mode: mode) }
            #expect(error?.isNotADatabase == true, "mode \(mode)")
            #expect(error?.message == "file is not a database")
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("not an SQLite database") == true)
        }
    }

    @Test func openingInAMissingDirectoryIsAClearError() throws {
        let path = dir.path("no-such-dir/county.sqlite")
        let error = expectSQLiteError { _ = try SQLiteConnection(path: path, mode: .create) }
        #expect(error?.code == 14, "SQLITE_CANTOPEN")
        #expect(error?.message == "unable to open database file")
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("check that the directory exists") == true)

        let missing = expectSQLiteError { _ = try SQLiteConnection(path: dir.path("missing.sqlite"), mode: .readWrite) }
        #expect(missing?.code == 14)
        #expect(missing?.description.contains("check that the file exists") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.path("missing.sqlite")), ".readWrite does not create the file")
    }

    @Test func inMemoryConnectionWorks() throws {
        let memory = try SQLiteConnection(path: ":memory:")
        #expect(try memory.journalMode() == "memory")
        try memory.execute("CREATE TABLE t (x)")
        try memory.run("INSERT INTO t VALUES (?)", [.real(1.5)])
        #expect(try memory.query("SELECT x FROM t").first?[0] == .real(1.5))
    }
}
}

extension GridStoreTests {
@Suite struct SQLiteMiscTests {
    @Test func busyWriterIsRecognisable() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("busy.sqlite")
        let first = try SQLiteConnection(path: path)
        let second = try SQLiteConnection(path: path, busyTimeout: .milliseconds(50))
        try first.execute("CREATE TABLE t (x)")
        try first.transaction(.immediate) {
            try first.run("INSERT INTO t VALUES (?)", [1])
            let error = expectSQLiteError {
                try second.transaction(.immediate) { try second.run("INSERT INTO t VALUES (?)", [2]) }
            }
            #expect(error?.isBusy == true)
            #expect(error?.isConstraintViolation == false)
            #expect(error?.message == "database is locked")
            #expect(error?.sql == "BEGIN IMMEDIATE")
            #expect(!second.isInTransaction)
        }
        #expect(try second.query("SELECT x FROM t").map { $0[0] } == [.integer(1)])
    }

    @Test func valueConveniences() throws {
        let values: [SQLiteValue] = [nil, 42, 2.5, "text", true, .blob([0xFF])]
        #expect(values == [.null, .integer(42), .real(2.5), .text("text"), .integer(1), .blob([0xFF])])
        #expect(values[0].isNull && !values[1].isNull)
        #expect(values[1].intValue == 42 && values[1].doubleValue == 42 && values[1].stringValue == nil)
        #expect(values[2].doubleValue == 2.5 && values[2].int64Value == nil)
        #expect(values[3].stringValue == "text" && values[5].blobValue == [0xFF])
        #expect(SQLiteValue(nil as String?) == .null && SQLiteValue(7) == .integer(7) && SQLiteValue(false) == .integer(0))
        #expect(values.map(\.description) == ["NULL", "42", "2.5", "\"text\"", "1", "<blob 1 bytes>"])
        let row = SQLiteRow(columnNames: ["a", "b"], values: [1, "x"])
        #expect(row.description == "(a: 1, b: \"x\")")
        #expect(row[1] == "x" && row["a"] == 1)
    }

    @Test func usingAStatementAfterItsConnectionIsGoneTrapsClearly() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let statement = try SQLiteConnection(path: ":memory:").prepare("SELECT 1")
            _ = try statement.step()  // the connection was released: unowned access traps
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("unowned reference"), "\(stderr.suffix(300))")
        // Control: with the connection alive, the same steps succeed.
        await #expect(processExitsWith: .success) {
            let connection = try SQLiteConnection(path: ":memory:")
            let statement = try connection.prepare("SELECT 1")
            guard try statement.step(), statement.int64(at: 0) == 1 else { exit(3) }
            withExtendedLifetime(connection) {}
        }
    }
}
}
