import Foundation
import GridworkTestSupport
import Testing
@testable import GridStore

extension GridStoreTests {
@Suite struct LeakTests {
    /// Opens and closes 5,000 connections, each preparing cached and uncached statements and reading a blob,
    /// plus failed opens of a non-database file: resident memory and SQLite's own allocation count stay bounded.
    @Test(.residentMemoryMeasurable) func openingAndClosingManyConnectionsDoesNotLeak() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("leak.sqlite")
        let notADatabase = dir.path("leak.txt")
        try Data(String(repeating: "plain text, not SQLite\n", count: 100).utf8).write(to: URL(fileURLWithPath: notADatabase))
        let keeper = try SQLiteConnection(path: path)  // keeps the WAL files in place between iterations
        try keeper.execute("CREATE TABLE grid (id INTEGER PRIMARY KEY, code TEXT, wkb BLOB)")
        try keeper.run("INSERT INTO grid (code, wkb) VALUES (?, ?)", ["G-1", .blob([UInt8](repeating: 7, count: 64 << 10))])

        func iteration(_ n: Int) throws {
            let db = try SQLiteConnection(path: path, mode: n % 2 == 0 ? .readWrite : .readOnly)
            let cached = try db.prepare("SELECT code, wkb FROM grid WHERE id = ?")
            try cached.bind([1])
            guard try cached.step(), cached.blob(at: 1)?.count == 64 << 10 else {
                throw SQLiteError(code: 1, message: "row not read back", context: "leak iteration \(n)")
            }
            let uncached = try db.prepare("SELECT code, wkb FROM grid WHERE id = ?")  // the cached one is busy
            try uncached.bind([1])
            _ = try uncached.step()
            _ = try db.query("SELECT count(*) FROM grid WHERE code = ?", [.text("G-\(n)")])
            if n % 10 == 0 {
                do {
                    _ = try SQLiteConnection(path: notADatabase, mode: .readOnly)
                } catch let error as SQLiteError where error.isNotADatabase {
                    // expected: the half-opened handle must be closed too
                }
            }
        }

        for n in 0..<300 { try iteration(n) }  // warm up allocators and caches
        let residentBefore = try ResidentMemory.bytes()
        let sqliteBefore = SQLiteConnection.sqliteMemoryUsed
        for n in 0..<5_000 { try iteration(n) }
        let residentAfter = try ResidentMemory.bytes()
        let sqliteAfter = SQLiteConnection.sqliteMemoryUsed

        // An unclosed connection costs SQLite well over 10 KB; 5,000 of them would add tens of megabytes.
        #expect(sqliteAfter - sqliteBefore < 1 << 20, "SQLite memory grew from \(sqliteBefore) to \(sqliteAfter) bytes")
        #expect(residentAfter - residentBefore < 24 << 20, "resident memory grew from \(residentBefore) to \(residentAfter) bytes")
    }
}
}
