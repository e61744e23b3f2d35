/// One schema step: a script run once, in its own transaction, to bring the database to `version`.
///
/// The script must not hold `BEGIN`/`COMMIT` (the migrator wraps it in a transaction) nor pragmas that are
/// no-ops inside a transaction (`foreign_keys`, `journal_mode`).
public struct Migration: Sendable, Hashable {
    /// Schema version reached after this migration; versions start at 1 and increase strictly.
    public var version: Int
    /// A short human name, shown in errors (`create grids`).
    public var name: String
    /// The script.
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// A migration problem that is not a plain SQL failure.
public enum MigrationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The list of migrations is malformed (versions below 1, or not strictly increasing).
    case invalidMigrationList(String)
    /// The database was migrated by newer code than this one; opening it could corrupt data.
    case databaseNewerThanCode(path: String, databaseVersion: Int, latestKnownVersion: Int)
    /// A migration's script failed; its transaction was rolled back and the database stays at `keptVersion`.
    case migrationFailed(version: Int, name: String, keptVersion: Int, underlying: SQLiteError)

    public var description: String {
        switch self {
        case .invalidMigrationList(let detail):
            "invalid migration list: \(detail)"
        case let .databaseNewerThanCode(path, databaseVersion, latest):
            "the database at '\(path)' has schema version \(databaseVersion) but this program knows versions up to \(latest): "
                + "it was written by a newer gridwork; upgrade gridwork, or open a backup made with this version"
        case let .migrationFailed(version, name, kept, underlying):
            "migration \(version) (\(name)) failed and was rolled back; the database stays at version \(kept): \(underlying)"
        }
    }
}

/// Applies `Migration`s in order, tracking the schema version in `PRAGMA user_version`.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(_ migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The highest version the migrations reach (0 when there are none).
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Brings `db` up to `latestVersion`, each pending migration in its own `IMMEDIATE` transaction that also sets
    /// `user_version`, and returns the versions applied (empty when the database was current).
    ///
    /// - Throws: `MigrationError.invalidMigrationList` for a malformed list (checked before touching the database),
    ///   `.databaseNewerThanCode` when the database's version exceeds `latestVersion`,
    ///   `.migrationFailed` when a script fails (earlier migrations of this call stay applied).
    public func migrate(_ db: SQLiteConnection) throws -> [Int] {
        try validate()
        let current = try db.userVersion()
        guard current <= latestVersion else {
            throw MigrationError.databaseNewerThanCode(path: db.path, databaseVersion: current, latestKnownVersion: latestVersion)
        }
        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            let ran = try db.transaction(.immediate) { () throws -> Bool in
                // Re-read inside the write lock: another process may have migrated meanwhile.
                let version = try db.userVersion()
                if version > latestVersion {
                    throw MigrationError.databaseNewerThanCode(path: db.path, databaseVersion: version, latestKnownVersion: latestVersion)
                }
                guard version < migration.version else { return false }
                do {
                    try db.execute(migration.sql)
                } catch let error as SQLiteError {
                    throw MigrationError.migrationFailed(version: migration.version, name: migration.name,
                                                         keptVersion: version, underlying: error)
                }
                try db.setUserVersion(migration.version)
                return true
            }
            if ran { applied.append(migration.version) }
        }
        return applied
    }

    private func validate() throws {
        var previous = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw MigrationError.invalidMigrationList(
                    migration.version < 1
                        ? "migration '\(migration.name)' has version \(migration.version); versions start at 1"
                        : "migration \(migration.version) ('\(migration.name)') follows version \(previous); versions must increase strictly")
            }
            previous = migration.version
        }
    }
}
