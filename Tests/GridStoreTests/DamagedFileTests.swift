import Foundation
import Testing
@testable import GridStore

extension GridStoreTests {
/// Errors of the file rather than of the SQL: a damaged page found by `checkStructure`, and the advice every such
/// error carries (docs/reliability.md).
@Suite struct DamagedFileTests {
    /// A database of a few hundred rows, checkpointed into its main file, and the number of its table's root page.
    static func database(in dir: TemporaryDirectory) throws -> (path: String, page: Int, pageSize: Int) {
        let path = dir.path("damaged.sqlite")
        let db = try SQLiteConnection(path: path, mode: .create)
        try db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        try db.transaction(.immediate) {
            for n in 0..<500 { try db.run("INSERT INTO item (name) VALUES (?)", [.text("item \(n) " + String(repeating: "x", count: 40))]) }
        }
        #expect(try db.query("PRAGMA wal_checkpoint(TRUNCATE)").first?[0].intValue == 0)
        let page = try db.query("SELECT rootpage FROM sqlite_schema WHERE name = 'item'").first?[0].intValue ?? 0
        return (path, page, try db.query("PRAGMA page_size").first?[0].intValue ?? 4096)
    }

    @Test("checkStructure passes an intact file and refuses a damaged page, naming integrity_check and the backup")
    func damagedPage() throws {
        let dir = try TemporaryDirectory()
        let (path, page, pageSize) = try Self.database(in: dir)
        try SQLiteConnection(path: path, mode: .readOnly).checkStructure()

        // The table's root page (an interior page over a dozen leaves) overwritten with a pattern.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64((page - 1) * pageSize))
        try handle.write(contentsOf: Data((0..<pageSize).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        try handle.close()

        let error = expectSQLiteError { try SQLiteConnection(path: path, mode: .readOnly).checkStructure() }
        #expect(error?.isCorrupt == true)
        #expect(error?.codeName.hasPrefix("SQLITE_CORRUPT") == true)
        #expect(error?.context.contains("PRAGMA quick_check") == true)
        let text = error?.description ?? ""
        #expect(text.contains("malformed") && text.contains("PRAGMA integrity_check") && text.contains("restore the last backup"),
                "\(text)")
    }

    @Test("the advice of disk errors: full, I/O, read-only; none for errors of the SQL")
    func advice() {
        let full = SQLiteError(code: 13, message: "database or disk is full", context: "committing")
        #expect(full.isStorageFailure && full.advice?.contains("磁盘已满") == true && full.description.contains("free space"))
        let write = SQLiteError(code: 10, extendedCode: 778, message: "disk I/O error", context: "committing")
        #expect(write.isStorageFailure && write.codeName == "SQLITE_IOERR_WRITE")
        #expect(write.description.contains("nothing of this change was written"))
        let readOnly = SQLiteError(code: 8, extendedCode: 1032, message: "attempt to write a readonly database", context: "x")
        #expect(readOnly.isStorageFailure && readOnly.advice?.contains("lsattr") == true)
        let unique = SQLiteError(code: 19, extendedCode: 2067, message: "UNIQUE constraint failed: grid.code", context: "x")
        #expect(!unique.isStorageFailure && !unique.isCorrupt && unique.advice == nil)
        #expect(!unique.description.contains(" — the"))
    }
}
}
