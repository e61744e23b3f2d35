import GridStore

/// The dispatch tables, kept in the county database file beside `CountySchema`'s.
///
/// They carry their own version counter (table `dispatch_schema`) instead of more `CountySchema` migrations, so the
/// county schema's `PRAGMA user_version` stays owned by the import side and the two lists can grow independently.
/// Each migration runs once, in its own `IMMEDIATE` transaction with the counter update.
///
/// Times are UTC milliseconds since 1970 (INTEGER): compared and indexed as numbers.
public enum DispatchSchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "dispatch incidents, events, tokens", sql: """
            CREATE TABLE dispatch_incident (
                incident_id       INTEGER PRIMARY KEY AUTOINCREMENT,
                category          TEXT NOT NULL,
                description       TEXT NOT NULL,
                lon               REAL NOT NULL,
                lat               REAL NOT NULL,
                source_x          REAL NOT NULL,
                source_y          REAL NOT NULL,
                source_crs        TEXT NOT NULL,
                address           TEXT NOT NULL DEFAULT '',
                boundary_version  INTEGER NOT NULL,
                grid_id           TEXT,
                building_id       TEXT,
                village_id        TEXT,
                town_id           TEXT,
                geocode_status    TEXT NOT NULL,
                place_key         TEXT NOT NULL,
                state             TEXT NOT NULL CHECK (state IN ('reported','dispatched','accepted','in_progress','resolved','rated','closed')),
                assignee_kind     TEXT NOT NULL CHECK (assignee_kind IN ('staff','department','village')),
                assignee_id       TEXT NOT NULL,
                escalation_level  INTEGER NOT NULL DEFAULT 0 CHECK (escalation_level BETWEEN 0 AND 3),
                reported_at       INTEGER NOT NULL,
                deadline_at       INTEGER NOT NULL,
                due_at            INTEGER NOT NULL,
                updated_at        INTEGER NOT NULL,
                resolved_at       INTEGER,
                closed_at         INTEGER,
                rating            INTEGER CHECK (rating BETWEEN 1 AND 5),
                reporter_contact  TEXT NOT NULL DEFAULT '',
                reporter_token_id INTEGER NOT NULL,
                idempotency_key   TEXT,
                routing_reason    TEXT NOT NULL,
                repeat_of         INTEGER REFERENCES dispatch_incident(incident_id),
                UNIQUE (reporter_token_id, idempotency_key)
            );
            CREATE INDEX dispatch_incident_by_assignee ON dispatch_incident(assignee_id, state);
            CREATE INDEX dispatch_incident_by_grid ON dispatch_incident(grid_id, state);
            CREATE INDEX dispatch_incident_by_place ON dispatch_incident(category, place_key, reported_at);
            CREATE INDEX dispatch_incident_by_time ON dispatch_incident(reported_at);
            CREATE INDEX dispatch_incident_open_due ON dispatch_incident(due_at)
                WHERE state IN ('reported','dispatched','accepted','in_progress');
            CREATE TABLE dispatch_event (
                event_id    INTEGER PRIMARY KEY,
                incident_id INTEGER NOT NULL REFERENCES dispatch_incident(incident_id),
                at          INTEGER NOT NULL,
                actor       TEXT NOT NULL,
                action      TEXT NOT NULL,
                from_state  TEXT,
                to_state    TEXT NOT NULL,
                note        TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX dispatch_event_by_incident ON dispatch_event(incident_id, event_id);
            CREATE TABLE dispatch_token (
                token_id      INTEGER PRIMARY KEY,
                token_hash    TEXT NOT NULL UNIQUE,
                role          TEXT NOT NULL CHECK (role IN ('reporter','grid_worker','department','dispatcher','planner','admin')),
                staff_id      TEXT,
                department_id TEXT,
                label         TEXT NOT NULL DEFAULT '',
                created_at    INTEGER NOT NULL,
                revoked_at    INTEGER
            );
            """),
        Migration(version: 2, name: "dispatch media (photos of reports and steps)", sql: """
            CREATE TABLE dispatch_media (
                media_id      INTEGER PRIMARY KEY,
                incident_id   INTEGER NOT NULL REFERENCES dispatch_incident(incident_id),
                event_id      INTEGER NOT NULL REFERENCES dispatch_event(event_id),
                content_type  TEXT NOT NULL CHECK (content_type IN ('image/jpeg','image/png','image/webp')),
                bytes         INTEGER NOT NULL,
                sha256        TEXT NOT NULL,
                original_name TEXT NOT NULL DEFAULT '',
                created_at    INTEGER NOT NULL
            );
            CREATE INDEX dispatch_media_by_incident ON dispatch_media(incident_id, media_id);
            """),
    ]

    /// Brings the dispatch tables up to date on `connection` (a writer). Returns the versions applied now.
    @discardableResult
    public static func migrate(_ connection: SQLiteConnection) throws -> [Int] {
        try connection.execute("CREATE TABLE IF NOT EXISTS dispatch_schema (version INTEGER NOT NULL)")
        var applied: [Int] = []
        for migration in migrations {
            let done = try connection.transaction(.immediate) { () throws -> Bool in
                let current = try connection.query("SELECT coalesce(max(version), 0) FROM dispatch_schema").first?[0].intValue ?? 0
                guard current < migration.version else { return false }
                do {
                    try connection.execute(migration.sql)
                } catch let error as SQLiteError {
                    throw MigrationError.migrationFailed(version: migration.version, name: "dispatch: " + migration.name,
                                                         keptVersion: current, underlying: error)
                }
                try connection.run("INSERT INTO dispatch_schema (version) VALUES (?)", [.integer(Int64(migration.version))])
                return true
            }
            if done { applied.append(migration.version) }
        }
        return applied
    }
}
