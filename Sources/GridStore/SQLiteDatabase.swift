import Foundation

/// A database file shared by many threads or tasks: one writer connection used under a lock, and a small pool of
/// read-only connections for concurrent readers.
///
/// In WAL mode readers never wait for the writer and the writer never waits for readers, so the HTTP server can
/// answer reads while one writer commits. Each `read` runs in a deferred transaction (one consistent snapshot for
/// all its queries); each `write` runs in an `IMMEDIATE` transaction under the writer lock (so writes are
/// serialized here and never meet `SQLITE_BUSY` from each other).
///
/// **Why a class and `@unchecked Sendable` rather than an actor.** An actor runs one job at a time, which would
/// serialize the readers, and its methods are `async`, while SQLite calls are blocking C calls that need a
/// connection confined to one thread for the duration of a call. Here the non-`Sendable` connections never leave
/// this object except inside a synchronous `body` on the calling thread; every mutable field (`idleReaders`,
/// `openReaders`) is read and written only under `readerCondition`, and the writer connection only under
/// `writerLock`. A connection is therefore used by one thread at a time, which is what `SQLITE_OPEN_NOMUTEX`
/// requires, and the object is safe to share: the compiler cannot see locks, hence `@unchecked`.
///
/// Bodies are synchronous and block their thread while SQLite works; keep them short when called from async code.
/// Nested calls on one thread are safe: a `write` inside a `write` reuses the writer (a savepoint), and a `read`
/// inside a `read` reuses the thread's reader (so nesting cannot exhaust the pool and deadlock).
public final class SQLiteDatabase: @unchecked Sendable {
    /// The database file.
    public let path: String
    /// The most read-only connections open at once; a `read` beyond that waits for a free one.
    public let maximumReaders: Int
    /// The migration versions applied when this object opened the database.
    public let appliedMigrations: [Int]

    private let busyTimeout: Duration
    private let writer: SQLiteConnection
    private let writerLock = NSRecursiveLock()
    /// How many `write` calls are running on the writer (nested ones on the thread holding `writerLock`).
    private var writeDepth = 0
    private let readerCondition = NSCondition()
    private var idleReaders: [SQLiteConnection] = []
    private var openReaders = 0
    /// Key of this database's reader in the current thread's dictionary, for nested `read` calls.
    private let threadReaderKey: String

    /// Opens (or creates) the file with a writer connection, migrates it, and prepares a pool of up to
    /// `readers` read-only connections, opened on first need.
    ///
    /// - Throws: `SQLiteError` when the file cannot be opened (see `SQLiteConnection.init`) or `path` is
    ///   `":memory:"` (each in-memory connection is a separate database, so readers would not see the writer);
    ///   `MigrationError` when migrating fails.
    public init(path: String, readers: Int = 4, busyTimeout: Duration = .seconds(5), migrator: Migrator? = nil) throws {
        precondition(readers >= 1, "SQLiteDatabase needs at least one reader connection, got \(readers)")
        if path.isEmpty || path == ":memory:" || path.hasPrefix("file::memory:") {
            throw SQLiteError(code: 21 /* SQLITE_MISUSE */, message: "SQLiteDatabase needs a file path: each in-memory connection is a separate database, so its readers would not see the writer's data",
                              context: "opening database at '\(path)'")
        }
        self.path = path
        self.maximumReaders = readers
        self.busyTimeout = busyTimeout
        self.writer = try SQLiteConnection(path: path, mode: .create, busyTimeout: busyTimeout)
        self.appliedMigrations = try migrator?.migrate(writer) ?? []
        self.threadReaderKey = "gridwork.SQLiteDatabase.reader.\(UInt(bitPattern: ObjectIdentifier(writer).hashValue))"
    }

    /// Runs `body` with a read-only connection, inside a deferred transaction: every query in `body` sees the same
    /// committed snapshot, and other readers and the writer go on meanwhile. Writing through it fails with
    /// `SQLITE_READONLY`.
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let thread = Thread.current
        if let nested = thread.threadDictionary[threadReaderKey] as? SQLiteConnection {
            return try body(nested)  // already inside this database's read transaction on this thread
        }
        let reader = try checkOutReader()
        thread.threadDictionary[threadReaderKey] = reader
        defer {
            thread.threadDictionary[threadReaderKey] = nil
            checkIn(reader)
        }
        return try reader.transaction(.deferred) { try body(reader) }
    }

    /// Runs `body` with the writer connection under the writer lock, inside an `IMMEDIATE` transaction:
    /// committed when `body` returns, rolled back when it throws.
    ///
    /// A transaction left open by an earlier failure (a `ROLLBACK` that failed too, after a disk error) is rolled back
    /// first, or the call throws: a new write must never become a savepoint of a transaction that will not commit.
    public func write<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        if writeDepth == 0 && writer.isInTransaction {
            try? writer.execute("ROLLBACK")
            if writer.isInTransaction {
                throw SQLiteError(code: 1 /* SQLITE_ERROR */, message: "a failed transaction could not be rolled back",
                                  context: "starting a write on '\(path)'")
            }
        }
        writeDepth += 1
        defer { writeDepth -= 1 }
        return try writer.transaction(.immediate) { try body(writer) }
    }

    /// Runs `body` with the writer connection under the writer lock, without a transaction: for statements that
    /// cannot run in one (`VACUUM`, `PRAGMA wal_checkpoint`) or that manage their own.
    public func withWriter<T>(_ body: (SQLiteConnection) throws -> T) rethrows -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        return try body(writer)
    }

    /// Read-only connections currently open (idle or in use).
    public var openReaderCount: Int {
        readerCondition.lock()
        defer { readerCondition.unlock() }
        return openReaders
    }

    private func checkOutReader() throws -> SQLiteConnection {
        readerCondition.lock()
        while true {
            if let reader = idleReaders.popLast() {
                readerCondition.unlock()
                return reader
            }
            if openReaders < maximumReaders {
                openReaders += 1
                readerCondition.unlock()
                do {
                    return try SQLiteConnection(path: path, mode: .readOnly, busyTimeout: busyTimeout)
                } catch {
                    readerCondition.lock()
                    openReaders -= 1
                    readerCondition.signal()
                    readerCondition.unlock()
                    throw error
                }
            }
            readerCondition.wait()
        }
    }

    private func checkIn(_ reader: SQLiteConnection) {
        readerCondition.lock()
        defer { readerCondition.unlock() }
        if reader.isInTransaction {
            openReaders -= 1  // could not roll back: drop it rather than hand a dirty connection to the next reader
        } else {
            idleReaders.append(reader)
        }
        readerCondition.signal()
    }
}
