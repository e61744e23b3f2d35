import GridStore

/// The county database schema, as ordered migrations (`PRAGMA user_version` counts them).
///
/// Boundaries are versioned like MapIt's generations: each import of grids makes a new `boundary_version`,
/// and the towns, villages, grids and buildings of that import belong to it. Older versions stay, so history,
/// old reports and old incidents keep the grids they were made against. People and incidents are not versioned.
/// Geometries are stored as little-endian WKB in longitude/latitude (EPSG:4326/4490), with their bounding box
/// in plain columns for cheap window queries.
public enum CountySchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "county hierarchy, boundary versions, people", sql: """
            CREATE TABLE boundary_version (
                version_id   INTEGER PRIMARY KEY,
                imported_at  TEXT NOT NULL,
                source       TEXT NOT NULL,
                note         TEXT NOT NULL DEFAULT ''
            );
            CREATE TABLE town (
                version_id INTEGER NOT NULL REFERENCES boundary_version(version_id),
                town_id    TEXT NOT NULL,
                name       TEXT NOT NULL,
                geometry   BLOB NOT NULL,
                min_x REAL NOT NULL, min_y REAL NOT NULL, max_x REAL NOT NULL, max_y REAL NOT NULL,
                area_m2    REAL NOT NULL,
                PRIMARY KEY (version_id, town_id)
            );
            CREATE TABLE village (
                version_id INTEGER NOT NULL REFERENCES boundary_version(version_id),
                village_id TEXT NOT NULL,
                town_id    TEXT,
                name       TEXT NOT NULL,
                geometry   BLOB NOT NULL,
                min_x REAL NOT NULL, min_y REAL NOT NULL, max_x REAL NOT NULL, max_y REAL NOT NULL,
                area_m2    REAL NOT NULL,
                PRIMARY KEY (version_id, village_id)
            );
            CREATE TABLE grid (
                version_id INTEGER NOT NULL REFERENCES boundary_version(version_id),
                grid_id    TEXT NOT NULL,
                village_id TEXT,
                town_id    TEXT,
                name       TEXT NOT NULL,
                properties TEXT NOT NULL DEFAULT '{}',
                geometry   BLOB NOT NULL,
                min_x REAL NOT NULL, min_y REAL NOT NULL, max_x REAL NOT NULL, max_y REAL NOT NULL,
                area_m2    REAL NOT NULL,
                PRIMARY KEY (version_id, grid_id)
            );
            CREATE INDEX grid_by_village ON grid(version_id, village_id);
            CREATE TABLE building (
                version_id  INTEGER NOT NULL REFERENCES boundary_version(version_id),
                building_id TEXT NOT NULL,
                grid_id     TEXT,
                village_id  TEXT,
                kind        TEXT NOT NULL DEFAULT 'urban',
                floors      INTEGER,
                geometry    BLOB NOT NULL,
                min_x REAL NOT NULL, min_y REAL NOT NULL, max_x REAL NOT NULL, max_y REAL NOT NULL,
                area_m2     REAL NOT NULL,
                PRIMARY KEY (version_id, building_id)
            );
            CREATE TABLE household (
                household_id TEXT PRIMARY KEY,
                building_id  TEXT,
                address      TEXT NOT NULL,
                lon          REAL,
                lat          REAL,
                residents    INTEGER NOT NULL CHECK (residents >= 0)
            );
            CREATE INDEX household_by_building ON household(building_id);
            CREATE TABLE staff (
                staff_id    TEXT PRIMARY KEY,
                role        TEXT NOT NULL CHECK (role IN ('grid_worker', 'part_time_worker', 'building_head')),
                grid_id     TEXT,
                building_id TEXT,
                name        TEXT NOT NULL,
                phone       TEXT NOT NULL DEFAULT '',
                on_duty     INTEGER NOT NULL DEFAULT 1
            );
            CREATE INDEX staff_by_grid ON staff(grid_id);
            CREATE TABLE department (
                department_id TEXT PRIMARY KEY,
                name          TEXT NOT NULL,
                categories    TEXT NOT NULL DEFAULT ''
            );
            CREATE TABLE incident_history (
                incident_id TEXT PRIMARY KEY,
                reported_at TEXT NOT NULL,
                category    TEXT NOT NULL,
                lon         REAL NOT NULL,
                lat         REAL NOT NULL,
                status      TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX incident_history_by_time ON incident_history(reported_at);
            """),
        Migration(version: 2, name: "building door-plate addresses", sql: """
            ALTER TABLE building ADD COLUMN address TEXT;
            """),
    ]
}
