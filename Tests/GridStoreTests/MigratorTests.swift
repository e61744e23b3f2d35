import Foundation
import Testing
@testable import GridStore

extension GridStoreTests {
@Suite struct MigratorTests {
    let dir: TemporaryDirectory
    let path: String

    init() throws {
        dir = try TemporaryDirectory()
        path = dir.path("county.sqlite")
    }

    static let base = [
        Migration(version: 1, name: "create villages", sql: """
            CREATE TABLE village (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
            """),
        Migration(version: 2, name: "create grids", sql: """
            CREATE TABLE grid (id INTEGER PRIMARY KEY, village_id INTEGER NOT NULL REFERENCES village(id), code TEXT NOT NULL UNIQUE);
            CREATE INDEX grid_village ON grid (village_id);
            """),
        Migration(version: 5, name: "grid geometry", sql: "ALTER TABLE grid ADD COLUMN wkb BLOB;"),
    ]

    func tableNames(_ db: SQLiteConnection) throws -> [String] {
        try db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap { $0[0].stringValue }
    }

    @Test func migrationsApplyOnceAndAreIdempotentOnReopen() throws {
        do {
            let db = try SQLiteConnection(path: path)
            #expect(try Migrator(Self.base).migrate(db) == [1, 2, 5])
            #expect(try db.userVersion() == 5)
            #expect(try tableNames(db) == ["grid", "village"])
            #expect(try Migrator(Self.base).migrate(db) == [], "a second run applies nothing")
            try db.run("INSERT INTO village (code, name) VALUES (?, ?)", ["330182001", "梅城镇"])
        }
        // Re-open: nothing to apply, data intact.
        let db = try SQLiteConnection(path: path)
        #expect(try Migrator(Self.base).migrate(db) == [])
        #expect(try db.query("SELECT name FROM village").first?[0] == .text("梅城镇"))
        #expect(try db.query("SELECT wkb FROM grid").isEmpty)

        // A later release adds one migration: only it runs.
        let later = Self.base + [Migration(version: 6, name: "staff", sql: "CREATE TABLE staff (id INTEGER PRIMARY KEY, grid_id INTEGER REFERENCES grid(id));")]
        #expect(try Migrator(later).migrate(db) == [6])
        #expect(try db.userVersion() == 6)
        #expect(try tableNames(db) == ["grid", "staff", "village"])
    }

    @Test func refusesADatabaseNewerThanTheCode() throws {
        let db = try SQLiteConnection(path: path)
        _ = try Migrator(Self.base).migrate(db)
        try db.setUserVersion(9)
        do {
            _ = try Migrator(Self.base).migrate(db)
            Issue.record("a newer database must be refused")
        } catch let error as MigrationError {
            #expect(error == .databaseNewerThanCode(path: path, databaseVersion: 9, latestKnownVersion: 5))
            #expect(error.description.contains("schema version 9"))
            #expect(error.description.contains("knows versions up to 5"))
            #expect(error.description.contains("newer gridwork"))
        }
        #expect(try db.userVersion() == 9, "the database is left alone")
    }

    @Test func failingMigrationLeavesThePreviousVersion() throws {
        let broken = Self.base + [Migration(version: 6, name: "broken", sql: """
            CREATE TABLE half_done (id INTEGER PRIMARY KEY);
            INSERT INTO village (code, name) VALUES ('dup', 'a');
            INSERT INTO village (code, name) VALUES ('dup', 'b');
            """)]
        let db = try SQLiteConnection(path: path)
        do {
            _ = try Migrator(broken).migrate(db)
            Issue.record("the broken migration must fail")
        } catch let error as MigrationError {
            guard case let .migrationFailed(version, name, kept, underlying) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(version == 6 && name == "broken" && kept == 5)
            #expect(underlying.isConstraintViolation)
            #expect(underlying.message == "UNIQUE constraint failed: village.code")
            #expect(error.description.contains("migration 6 (broken) failed and was rolled back; the database stays at version 5"))
        }
        #expect(try db.userVersion() == 5, "migrations 1, 2 and 5 are kept")
        #expect(try tableNames(db) == ["grid", "village"], "the failed migration's table is rolled back")
        #expect(try db.query("SELECT count(*) FROM village").first?[0] == .integer(0))
        #expect(!db.isInTransaction)

        // Fixed in the next release: it applies.
        var fixed = broken
        fixed[3].sql = "CREATE TABLE half_done (id INTEGER PRIMARY KEY);"
        #expect(try Migrator(fixed).migrate(db) == [6])
    }

    @Test func migrationListMustIncreaseStrictly() throws {
        let db = try SQLiteConnection(path: path)
        let repeated = [Self.base[0], Self.base[1], Migration(version: 2, name: "again", sql: "SELECT 1")]
        #expect(throws: MigrationError.invalidMigrationList("migration 2 ('again') follows version 2; versions must increase strictly")) {
            _ = try Migrator(repeated).migrate(db)
        }
        let zero = [Migration(version: 0, name: "zero", sql: "SELECT 1")]
        #expect(throws: MigrationError.self) { _ = try Migrator(zero).migrate(db) }
        #expect(try db.userVersion() == 0)
        #expect(try tableNames(db).isEmpty, "a malformed list touches nothing")
        #expect(try Migrator([]).migrate(db) == [])
    }
}
}
