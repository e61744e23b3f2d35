/// The PostgreSQL + PostGIS schema of the county store (schema `gridwork`), as ordered migrations.
///
/// Many counties in one database. Every county table has the county's 6-digit administrative division code
/// `county_code` as its first column and in its primary key, and references go through it too: that is the
/// distribution column when the tables are distributed with Citus (`create_distributed_table(…, 'county_code')`,
/// all co-located), and a county's import touches its own rows only. `schema_migration` is the one table without
/// it (a reference table under Citus).
///
/// Geometries are `geometry(Geometry, 4326)`: longitude/latitude as the importer writes them (it transforms other
/// systems to WGS 84 and treats CGCS2000 as equal to it — the two differ by centimetres), so 4326 says what the
/// numbers are and every GIS client (QGIS, ogr2ogr, web maps) reads it without a CGCS2000 (4490) definition.
/// Each has a GiST index. Areas (`area_m2`) are the importer's geodesic areas, as in SQLite. Households get a
/// generated point `geom` from lon/lat for spatial joins. Text ids sort with `COLLATE "C"` so both engines return
/// rows in the same (byte) order.
public enum PostgresCountySchema {
    /// Advisory-lock namespace (first key of the two-key form): 'grid' in ASCII.
    public static let lockNamespace: Int = 0x6772_6964

    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var statements: [String]
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "counties, boundary versions, people, incident history", statements: [
            """
            CREATE TABLE gridwork.county (
                county_code  char(6) PRIMARY KEY CHECK (county_code ~ '^[0-9]{6}$'),
                first_import timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE gridwork.boundary_version (
                county_code char(6) NOT NULL REFERENCES gridwork.county (county_code),
                version_id  integer NOT NULL,
                imported_at text NOT NULL,
                source      text NOT NULL,
                note        text NOT NULL DEFAULT '',
                PRIMARY KEY (county_code, version_id)
            )
            """,
            """
            CREATE TABLE gridwork.town (
                county_code char(6) NOT NULL,
                version_id  integer NOT NULL,
                town_id     text NOT NULL,
                name        text NOT NULL,
                geom        geometry(Geometry, 4326) NOT NULL,
                area_m2     double precision NOT NULL,
                PRIMARY KEY (county_code, version_id, town_id),
                FOREIGN KEY (county_code, version_id) REFERENCES gridwork.boundary_version (county_code, version_id)
            )
            """,
            """
            CREATE TABLE gridwork.village (
                county_code char(6) NOT NULL,
                version_id  integer NOT NULL,
                village_id  text NOT NULL,
                town_id     text,
                name        text NOT NULL,
                geom        geometry(Geometry, 4326) NOT NULL,
                area_m2     double precision NOT NULL,
                PRIMARY KEY (county_code, version_id, village_id),
                FOREIGN KEY (county_code, version_id) REFERENCES gridwork.boundary_version (county_code, version_id)
            )
            """,
            """
            CREATE TABLE gridwork.grid (
                county_code char(6) NOT NULL,
                version_id  integer NOT NULL,
                grid_id     text NOT NULL,
                village_id  text,
                town_id     text,
                name        text NOT NULL,
                properties  text NOT NULL DEFAULT '{}',
                geom        geometry(Geometry, 4326) NOT NULL,
                area_m2     double precision NOT NULL,
                PRIMARY KEY (county_code, version_id, grid_id),
                FOREIGN KEY (county_code, version_id) REFERENCES gridwork.boundary_version (county_code, version_id)
            )
            """,
            """
            CREATE TABLE gridwork.building (
                county_code char(6) NOT NULL,
                version_id  integer NOT NULL,
                building_id text NOT NULL,
                grid_id     text,
                village_id  text,
                kind        text NOT NULL DEFAULT 'urban',
                floors      integer,
                address     text,
                geom        geometry(Geometry, 4326) NOT NULL,
                area_m2     double precision NOT NULL,
                PRIMARY KEY (county_code, version_id, building_id),
                FOREIGN KEY (county_code, version_id) REFERENCES gridwork.boundary_version (county_code, version_id)
            )
            """,
            """
            CREATE TABLE gridwork.household (
                county_code  char(6) NOT NULL REFERENCES gridwork.county (county_code),
                household_id text NOT NULL,
                building_id  text,
                address      text NOT NULL,
                lon          double precision,
                lat          double precision,
                residents    integer NOT NULL CHECK (residents >= 0),
                geom         geometry(Point, 4326) GENERATED ALWAYS AS (
                                 CASE WHEN lon IS NULL OR lat IS NULL THEN NULL
                                      ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED,
                PRIMARY KEY (county_code, household_id)
            )
            """,
            """
            CREATE TABLE gridwork.staff (
                county_code char(6) NOT NULL REFERENCES gridwork.county (county_code),
                staff_id    text NOT NULL,
                role        text NOT NULL CHECK (role IN ('grid_worker', 'part_time_worker', 'building_head')),
                grid_id     text,
                building_id text,
                name        text NOT NULL,
                phone       text NOT NULL DEFAULT '',
                on_duty     boolean NOT NULL DEFAULT true,
                PRIMARY KEY (county_code, staff_id)
            )
            """,
            """
            CREATE TABLE gridwork.department (
                county_code   char(6) NOT NULL REFERENCES gridwork.county (county_code),
                department_id text NOT NULL,
                name          text NOT NULL,
                categories    text NOT NULL DEFAULT '',
                PRIMARY KEY (county_code, department_id)
            )
            """,
            """
            CREATE TABLE gridwork.incident_history (
                county_code char(6) NOT NULL REFERENCES gridwork.county (county_code),
                incident_id text NOT NULL,
                reported_at text NOT NULL,
                category    text NOT NULL,
                lon         double precision NOT NULL,
                lat         double precision NOT NULL,
                status      text NOT NULL,
                description text NOT NULL DEFAULT '',
                PRIMARY KEY (county_code, incident_id)
            )
            """,
            "CREATE INDEX town_geom ON gridwork.town USING gist (geom)",
            "CREATE INDEX village_geom ON gridwork.village USING gist (geom)",
            "CREATE INDEX grid_geom ON gridwork.grid USING gist (geom)",
            "CREATE INDEX grid_by_village ON gridwork.grid (county_code, version_id, village_id)",
            "CREATE INDEX building_geom ON gridwork.building USING gist (geom)",
            "CREATE INDEX household_geom ON gridwork.household USING gist (geom)",
            "CREATE INDEX household_by_building ON gridwork.household (county_code, building_id)",
            "CREATE INDEX staff_by_grid ON gridwork.staff (county_code, grid_id)",
            "CREATE INDEX incident_history_by_time ON gridwork.incident_history (county_code, reported_at)",
        ]),
    ]
}
