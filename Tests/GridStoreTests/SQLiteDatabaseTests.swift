import Foundation
import Testing
@testable import GridStore

extension GridStoreTests {
@Suite struct SQLiteDatabaseTests {
    let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory()
    }

    static let migrator = Migrator([
        Migration(version: 1, name: "incidents", sql: """
            CREATE TABLE incident (id INTEGER PRIMARY KEY, grid TEXT NOT NULL, note TEXT NOT NULL);
            CREATE TABLE tally (id INTEGER PRIMARY KEY CHECK (id = 1), total INTEGER NOT NULL);
            INSERT INTO tally (id, total) VALUES (1, 0);
            """),
    ])

    /// Runs `body` on `count` real threads at once and waits for all of them.
    func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }

    @Test func readersRunWhileOneWriterCommits() throws {
        let database = try SQLiteDatabase(path: dir.path("busy.sqlite"), readers: 3, busyTimeout: .seconds(10), migrator: Self.migrator)
        #expect(database.appliedMigrations == [1])
        let batches = 300, perBatch = 10, readerCount = 4  // more reader threads than pooled connections

        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var errors: [String] = []
            var reads = 0
            var readsMidWrite = 0
            var writerDone = false
            func add(_ text: String) { lock.withLock { errors.append(text) } }
        }
        let log = Log()

        onThreads(1 + readerCount) { index in
            if index == 0 {
                // Start writing only once every reader is reading, so reads and writes overlap.
                while log.lock.withLock({ log.reads < readerCount }) { usleep(1_000) }
                for batch in 0..<batches {
                    do {
                        try database.write { db in
                            for n in 0..<perBatch {
                                try db.run("INSERT INTO incident (grid, note) VALUES (?, ?)", [.text("G-\(batch % 7)"), .text("事件 \(batch)-\(n)")])
                            }
                            try db.run("UPDATE tally SET total = total + ?", [.integer(Int64(perBatch))])
                        }
                    } catch {
                        log.add("writer batch \(batch): \(error)")
                    }
                }
                log.lock.withLock { log.writerDone = true }
                return
            }
            var last: Int64 = 0
            while true {
                let done = log.lock.withLock { log.writerDone }
                do {
                    // Two queries in one read see one snapshot: the tally always matches the rows.
                    let (count, total) = try database.read { db in
                        (try db.query("SELECT count(*) FROM incident").first?[0].int64Value ?? -1,
                         try db.query("SELECT total FROM tally").first?[0].int64Value ?? -2)
                    }
                    if count != total { log.add("reader \(index): snapshot mismatch \(count) rows, tally \(total)") }
                    if count < last { log.add("reader \(index): count went back from \(last) to \(count)") }
                    if count % Int64(perBatch) != 0 { log.add("reader \(index): saw half a batch (\(count))") }
                    last = count
                    log.lock.withLock {
                        log.reads += 1
                        if count > 0 && count < Int64(batches * perBatch) { log.readsMidWrite += 1 }
                    }
                } catch {
                    log.add("reader \(index): \(error)")
                }
                if done { break }
            }
        }

        #expect(log.errors.isEmpty, "\(log.errors.prefix(5))")
        #expect(log.reads >= readerCount)
        #expect(log.readsMidWrite > 0, "readers saw commits while the writer was writing (\(log.reads) reads)")
        #expect(database.openReaderCount <= 3)
        let final = try database.read { db in try db.query("SELECT count(*), (SELECT total FROM tally) FROM incident").first?.values }
        #expect(final == [.integer(Int64(batches * perBatch)), .integer(Int64(batches * perBatch))])
    }

    @Test func concurrentTasksShareTheDatabase() async throws {
        let database = try SQLiteDatabase(path: dir.path("tasks.sqlite"), readers: 2, migrator: Self.migrator)
        let counts = try await withThrowingTaskGroup(of: Int64.self) { group in
            for task in 0..<8 {
                group.addTask {
                    if task % 2 == 0 {
                        try database.write { db in
                            try db.run("INSERT INTO incident (grid, note) VALUES (?, ?)", [.text("G-\(task)"), "from a task"])
                            try db.run("UPDATE tally SET total = total + 1")
                        }
                    }
                    return try database.read { db in try db.query("SELECT total FROM tally").first?[0].int64Value ?? -1 }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts.count == 8)
        #expect(counts.allSatisfy { (0...4).contains($0) })
        #expect(try database.read { try $0.query("SELECT count(*) FROM incident").first?[0] } == .integer(4))
    }

    @Test func writeRollsBackOnErrorAndReadsCannotWrite() throws {
        let database = try SQLiteDatabase(path: dir.path("rollback.sqlite"), migrator: Self.migrator)
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try database.write { db in
                try db.run("INSERT INTO incident (grid, note) VALUES (?, ?)", ["G-1", "lost"])
                throw Refused()
            }
        }
        #expect(try database.read { try $0.query("SELECT count(*) FROM incident").first?[0] } == .integer(0))

        let error = expectSQLiteError {
            try database.read { db in try db.run("INSERT INTO incident (grid, note) VALUES (?, ?)", ["G-1", "no"]) }
        }
        #expect(error?.code == 8, "SQLITE_READONLY")

        // The pool keeps working after errors.
        try database.write { db in try db.run("INSERT INTO incident (grid, note) VALUES (?, ?)", ["G-1", "kept"]) }
        #expect(try database.read { try $0.query("SELECT note FROM incident").first?[0] } == .text("kept"))
    }

    @Test func nestedCallsOnOneThreadDoNotDeadlock() throws {
        let database = try SQLiteDatabase(path: dir.path("nested.sqlite"), readers: 1, migrator: Self.migrator)
        let value = try database.read { outer in
            try database.read { inner in
                #expect(outer === inner, "a nested read reuses the thread's reader")
                return try inner.query("SELECT total FROM tally").first?[0]
            }
        }
        #expect(value == .integer(0))

        struct Inner: Error {}
        try database.write { db in
            try db.run("UPDATE tally SET total = 1")
            #expect(throws: Inner.self) {
                try database.write { db in
                    try db.run("UPDATE tally SET total = 99")
                    throw Inner()
                }
            }
            // A read on the same thread sees the last committed state, not the open write.
            #expect(try database.read { try $0.query("SELECT total FROM tally").first?[0] } == .integer(0))
        }
        #expect(try database.read { try $0.query("SELECT total FROM tally").first?[0] } == .integer(1))
    }

    @Test func refusesAnInMemoryPath() throws {
        let error = expectSQLiteError { _ = try SQLiteDatabase(path: ":memory:") }
        #expect(error?.message.contains("needs a file path") == true)
    }
}
}
