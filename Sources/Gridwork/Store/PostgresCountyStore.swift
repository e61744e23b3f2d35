import Foundation
import GeoJSON
import GridGeometry
import GridPostgres
import GridProjection

/// One county of a PostgreSQL + PostGIS database holding many (`PostgresCountySchema`), behind `CountyStore`.
///
/// Opening checks the server is reachable and has PostGIS, brings the schema up to date (when `create`), and picks
/// the county: the one given, or the only one the database holds. An import (`write`) is one transaction that
/// first takes the county's transaction-level advisory lock (`pg_try_advisory_xact_lock(namespace, code)`, not
/// waiting): a second import into the same county at the same time is refused at once with a clear error and
/// writes nothing, while imports into other counties proceed. Rows go in with `COPY … FROM STDIN`.
///
/// Owns one `PostgresSession` (one connection) and one `GEOSContext`: use it from one thread or task at a time.
public final class PostgresCountyStore: CountyStore {
    public var engine: String { "PostgreSQL" }
    public var countyCode: String? { county }
    public let county: String
    public let session: PostgresSession
    let geos = GEOSContext()

    /// Opens the county `county` (6 digits; nil: the database's only county) in the database at `location`.
    public init(location: PostgresLocation, county: String?, create: Bool) throws {
        let code = try county.map { try CountyCode.validated($0) }
        let session = try PostgresSession.open(location)
        do {
            try session.requirePostGIS()
            try Self.migrate(session, create: create)
            let counties = try Self.counties(session)
            if let code {
                if !create && !counties.contains(code) {
                    throw StoreError("county \(code) is not in \(location) (it holds "
                                     + (counties.isEmpty ? "no county yet" : Self.list(counties))
                                     + "): import it with `gridwork import --db URL --county \(code) --grids ...`")
                }
                self.county = code
            } else if counties.count == 1 {
                self.county = counties[0]
            } else if counties.isEmpty {
                throw StoreError(create
                    ? "\(location) holds no county yet: give the county's 6-digit code with --county (e.g. 330182)"
                    : "\(location) holds no county yet: run `gridwork import --db URL --county CODE --grids ...` first")
            } else {
                throw StoreError("\(location) holds \(counties.count) counties (\(Self.list(counties))): "
                                 + "choose one with --county CODE")
            }
        } catch {
            session.close()
            throw error
        }
        self.session = session
    }

    deinit { session.close() }

    static func list(_ codes: [String]) -> String {
        codes.prefix(12).joined(separator: ", ") + (codes.count > 12 ? ", … \(codes.count - 12) more" : "")
    }

    /// The county codes the database holds, in order.
    public static func counties(_ session: PostgresSession) throws -> [String] {
        let exists = try session.query("SELECT to_regclass('gridwork.county') IS NOT NULL")
        guard exists.first?.first?.boolValue == true else { return [] }
        return try session.query("SELECT county_code FROM gridwork.county ORDER BY county_code").compactMap { $0[0].stringValue }
    }

    /// Creates or upgrades the schema under a database-wide advisory lock (two first imports cannot race).
    static func migrate(_ session: PostgresSession, create: Bool) throws {
        let latest = PostgresCountySchema.migrations.last!.version
        func current() throws -> Int {
            let exists = try session.query("SELECT to_regclass('gridwork.schema_migration') IS NOT NULL")
            guard exists.first?.first?.boolValue == true else { return 0 }
            return try session.query("SELECT coalesce(max(version), 0) FROM gridwork.schema_migration").first?[0].intValue ?? 0
        }
        let found = try current()
        if found == latest { return }
        if found > latest {
            throw StoreError("\(session.location) has county schema version \(found), newer than this gridwork (\(latest)): "
                             + "use a newer gridwork")
        }
        if !create && found == 0 {
            throw StoreError("\(session.location) has no gridwork county tables: "
                             + "run `gridwork import --db URL --county CODE --grids ...` first")
        }
        try session.transaction {
            try session.run("SELECT pg_advisory_xact_lock($1::int4, 0)", [.int(PostgresCountySchema.lockNamespace)])
            let now = try current()
            try session.run("CREATE SCHEMA IF NOT EXISTS gridwork")
            try session.run("""
                CREATE TABLE IF NOT EXISTS gridwork.schema_migration (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            for migration in PostgresCountySchema.migrations where migration.version > now {
                for statement in migration.statements { try session.run(statement) }
                try session.run("INSERT INTO gridwork.schema_migration (version, name) VALUES ($1, $2)",
                                [.int(migration.version), .text(migration.name)])
            }
        }
    }

    private var code: PGValue { .text(county) }

    // MARK: Versions

    public func versions() throws -> [BoundaryVersion] {
        try session.query("""
            SELECT version_id, imported_at, source, note FROM gridwork.boundary_version
            WHERE county_code = $1 ORDER BY version_id
            """, [code]).map { row in
            BoundaryVersion(versionID: row[0].intValue ?? 0, importedAt: row[1].stringValue ?? "",
                            source: row[2].stringValue ?? "", note: row[3].stringValue ?? "")
        }
    }

    public func currentVersionID() throws -> Int? {
        try session.query("SELECT max(version_id) FROM gridwork.boundary_version WHERE county_code = $1", [code])
            .first?[0].intValue
    }

    public func resolve(_ version: Int?) throws -> Int {
        if let version {
            guard try !session.query("SELECT 1 FROM gridwork.boundary_version WHERE county_code = $1 AND version_id = $2",
                                     [code, .int(version)]).isEmpty
            else {
                throw StoreError("boundary version \(version) of county \(county) does not exist; "
                                 + "`gridwork versions --county \(county)` lists them")
            }
            return version
        }
        guard let current = try currentVersionID() else {
            throw StoreError("county \(county) has no grids yet: run `gridwork import --county \(county) --grids ...` first")
        }
        return current
    }

    // MARK: Reading

    private func geometry(_ value: PGValue, _ what: String) throws -> Geometry {
        guard let wkb = value.bytesValue else { throw StoreError("\(what) has no geometry") }
        return try GEOSGeometry(wkb: wkb, context: geos).toGeometry()
    }

    public func towns(version: Int?) throws -> [Town] {
        let v = try resolve(version)
        return try session.query("""
            SELECT town_id, name, ST_AsBinary(geom) FROM gridwork.town
            WHERE county_code = $1 AND version_id = $2 ORDER BY town_id COLLATE "C"
            """, [code, .int(v)]).map { row in
            let id = row[0].stringValue ?? ""
            return Town(townID: id, name: row[1].stringValue ?? "", geometry: try geometry(row[2], "town \(id)"))
        }
    }

    public func villages(version: Int?) throws -> [Village] {
        let v = try resolve(version)
        return try session.query("""
            SELECT village_id, town_id, name, ST_AsBinary(geom) FROM gridwork.village
            WHERE county_code = $1 AND version_id = $2 ORDER BY village_id COLLATE "C"
            """, [code, .int(v)]).map { row in
            let id = row[0].stringValue ?? ""
            return Village(villageID: id, townID: row[1].stringValue, name: row[2].stringValue ?? "",
                           geometry: try geometry(row[3], "village \(id)"))
        }
    }

    public func grids(version: Int?) throws -> [Grid] {
        let v = try resolve(version)
        return try session.query("""
            SELECT grid_id, village_id, town_id, name, ST_AsBinary(geom), properties FROM gridwork.grid
            WHERE county_code = $1 AND version_id = $2 ORDER BY grid_id COLLATE "C"
            """, [code, .int(v)]).map { row in
            let id = row[0].stringValue ?? ""
            return Grid(gridID: id, villageID: row[1].stringValue, townID: row[2].stringValue,
                        name: row[3].stringValue ?? "", geometry: try geometry(row[4], "grid \(id)"),
                        extraProperties: row[5].stringValue ?? "{}")
        }
    }

    public func buildings(version: Int?) throws -> [Building] {
        let v = try resolve(version)
        return try session.query("""
            SELECT building_id, grid_id, village_id, kind, floors, ST_AsBinary(geom), address FROM gridwork.building
            WHERE county_code = $1 AND version_id = $2 ORDER BY building_id COLLATE "C"
            """, [code, .int(v)]).map { row in
            let id = row[0].stringValue ?? ""
            return Building(buildingID: id, gridID: row[1].stringValue, villageID: row[2].stringValue,
                            kind: row[3].stringValue ?? "urban", floors: row[4].intValue, address: row[6].stringValue,
                            geometry: try geometry(row[5], "building \(id)"))
        }
    }

    public func households() throws -> [Household] {
        try session.query("""
            SELECT household_id, building_id, address, lon, lat, residents FROM gridwork.household
            WHERE county_code = $1 ORDER BY household_id COLLATE "C"
            """, [code]).map { row in
            let location: Position? = if let lon = row[3].doubleValue, let lat = row[4].doubleValue {
                Position(lon, lat)
            } else { nil }
            return Household(householdID: row[0].stringValue ?? "", buildingID: row[1].stringValue,
                             address: row[2].stringValue ?? "", location: location, residents: row[5].intValue ?? 0)
        }
    }

    public func staff() throws -> [StaffMember] {
        try session.query("""
            SELECT staff_id, role, grid_id, building_id, name, phone, on_duty FROM gridwork.staff
            WHERE county_code = $1 ORDER BY staff_id COLLATE "C"
            """, [code]).map { row in
            StaffMember(staffID: row[0].stringValue ?? "",
                        role: StaffRole(rawValue: row[1].stringValue ?? "") ?? .partTimeWorker,
                        gridID: row[2].stringValue, buildingID: row[3].stringValue, name: row[4].stringValue ?? "",
                        phone: row[5].stringValue ?? "", onDuty: row[6].boolValue ?? true)
        }
    }

    public func departments() throws -> [Department] {
        try session.query("""
            SELECT department_id, name, categories FROM gridwork.department
            WHERE county_code = $1 ORDER BY department_id COLLATE "C"
            """, [code]).map { row in
            Department(departmentID: row[0].stringValue ?? "", name: row[1].stringValue ?? "",
                       categories: (row[2].stringValue ?? "").split(separator: ";").map(String.init))
        }
    }

    public func incidentHistory() throws -> [IncidentRecord] {
        try session.query("""
            SELECT incident_id, reported_at, category, lon, lat, status, description FROM gridwork.incident_history
            WHERE county_code = $1 ORDER BY reported_at COLLATE "C", incident_id COLLATE "C"
            """, [code]).map { row in
            IncidentRecord(incidentID: row[0].stringValue ?? "",
                           reportedAt: IncidentTime.parse(row[1].stringValue ?? "") ?? .distantPast,
                           category: row[2].stringValue ?? "",
                           location: Position(row[3].doubleValue ?? .nan, row[4].doubleValue ?? .nan),
                           state: IncidentState(registerStatus: row[5].stringValue ?? "") ?? .reported,
                           description: row[6].stringValue ?? "")
        }
    }

    public func counts() throws -> CountyCounts {
        var counts = CountyCounts()
        counts.versionID = try currentVersionID()
        func count(_ sql: String, _ params: [PGValue]) throws -> Int {
            try session.query(sql, params).first?[0].intValue ?? 0
        }
        if let v = counts.versionID {
            let p: [PGValue] = [code, .int(v)]
            counts.towns = try count("SELECT count(*) FROM gridwork.town WHERE county_code = $1 AND version_id = $2", p)
            counts.villages = try count("SELECT count(*) FROM gridwork.village WHERE county_code = $1 AND version_id = $2", p)
            counts.grids = try count("SELECT count(*) FROM gridwork.grid WHERE county_code = $1 AND version_id = $2", p)
            counts.buildings = try count("SELECT count(*) FROM gridwork.building WHERE county_code = $1 AND version_id = $2", p)
        }
        counts.households = try count("SELECT count(*) FROM gridwork.household WHERE county_code = $1", [code])
        counts.residents = try count("SELECT coalesce(sum(residents), 0)::bigint FROM gridwork.household WHERE county_code = $1", [code])
        counts.staff = try count("SELECT count(*) FROM gridwork.staff WHERE county_code = $1", [code])
        counts.departments = try count("SELECT count(*) FROM gridwork.department WHERE county_code = $1", [code])
        counts.incidents = try count("SELECT count(*) FROM gridwork.incident_history WHERE county_code = $1", [code])
        return counts
    }

    // MARK: Writing

    /// Stores one import of this county in one transaction, bulk-loaded with COPY; refused at once (nothing
    /// written) while another session imports into the same county.
    public func write(_ batch: CountyImportBatch) throws -> Int {
        return try session.transaction { () throws -> Int in
            // postgres-nio's copyFrom quotes the table name as one identifier, so COPY finds the tables through the
            // search path (PostGIS stays reachable in public); LOCAL: only for this transaction.
            try session.run("SET LOCAL search_path TO gridwork, public")
            try lockCounty()
            try session.run("INSERT INTO gridwork.county (county_code) VALUES ($1) ON CONFLICT DO NOTHING", [code])
            let previous = try currentVersionID()
            let version = (previous ?? 0) + 1
            let (towns, villages, grids, buildings, households, staff, departments, incidents) =
                try boundaryRows(batch, version: version)
            try session.run("""
                INSERT INTO gridwork.boundary_version (county_code, version_id, imported_at, source, note)
                VALUES ($1, $2, $3, $4, $5)
                """, [code, .int(version), .text(ISO8601DateFormatter().string(from: Date())), .text(batch.source),
                      .text(batch.note)])
            func load(_ table: String, _ columns: [String], _ data: CopyText?) throws {
                guard let data else {
                    try carryOver(table, columns.dropFirst(2), from: previous, to: version)
                    return
                }
                try session.copy(into: table, columns: columns, data: data)
            }
            try load("town", ["county_code", "version_id", "town_id", "name", "geom", "area_m2"], towns)
            try load("village", ["county_code", "version_id", "village_id", "town_id", "name", "geom", "area_m2"], villages)
            try load("grid", ["county_code", "version_id", "grid_id", "village_id", "town_id", "name", "properties", "geom",
                              "area_m2"], grids)
            try load("building", ["county_code", "version_id", "building_id", "grid_id", "village_id", "kind", "floors",
                                  "address", "geom", "area_m2"], buildings)
            if let households {
                try session.run("DELETE FROM gridwork.household WHERE county_code = $1", [code])
                try session.copy(into: "household",
                                 columns: ["county_code", "household_id", "building_id", "address", "lon", "lat", "residents"],
                                 data: households)
            }
            if let staff {
                try session.run("DELETE FROM gridwork.staff WHERE county_code = $1", [code])
                try session.copy(into: "staff",
                                 columns: ["county_code", "staff_id", "role", "grid_id", "building_id", "name", "phone", "on_duty"],
                                 data: staff)
            }
            if let departments {
                try session.run("DELETE FROM gridwork.department WHERE county_code = $1", [code])
                try session.copy(into: "department", columns: ["county_code", "department_id", "name", "categories"],
                                 data: departments)
            }
            if let incidents {
                try session.run("""
                    CREATE TEMPORARY TABLE incident_load (LIKE gridwork.incident_history INCLUDING DEFAULTS) ON COMMIT DROP
                    """)
                try session.copy(into: "incident_load",
                                 columns: ["county_code", "incident_id", "reported_at", "category", "lon", "lat", "status",
                                           "description"], data: incidents)
                try session.run("""
                    INSERT INTO gridwork.incident_history SELECT * FROM incident_load
                    ON CONFLICT (county_code, incident_id) DO UPDATE SET reported_at = excluded.reported_at,
                        category = excluded.category, lon = excluded.lon, lat = excluded.lat, status = excluded.status,
                        description = excluded.description
                    """)
            }
            return version
        }
    }

    /// `batch` as COPY rows, boundary layers as version `version` (nil: not given; layers are carried over, people
    /// left as they are). Encoded under the county lock, once the version id is known.
    private func boundaryRows(_ batch: CountyImportBatch, version: Int)
        throws -> (towns: CopyText?, villages: CopyText?, grids: CopyText, buildings: CopyText?, households: CopyText?,
                   staff: CopyText?, departments: CopyText?, incidents: CopyText?) {
        let srid: Int32 = 4326
        func ewkb(_ geometry: Geometry) throws -> String {
            CopyText.ewkbHex(wkb: try GEOSGeometry(geometry, context: geos).wkb(), srid: srid)
        }
        func area(_ geometry: Geometry) -> String { "\(Geodesic.area(of: geometry))" }
        let c = county, ver = String(version)
        var towns: CopyText?, villages: CopyText?, buildings: CopyText?
        var grids = CopyText()
        if let list = batch.towns {
            var data = CopyText()
            for t in list { data.append(rawRow: [c, ver, escape(t.townID), escape(t.name), try ewkb(t.geometry), area(t.geometry)]) }
            towns = data
        }
        if let list = batch.villages {
            var data = CopyText()
            for village in list {
                data.append(rawRow: [c, ver, escape(village.villageID), village.townID.map(escape), escape(village.name),
                                     try ewkb(village.geometry), area(village.geometry)])
            }
            villages = data
        }
        for g in batch.grids {
            grids.append(rawRow: [c, ver, escape(g.gridID), g.villageID.map(escape), g.townID.map(escape), escape(g.name),
                                  escape(g.extraProperties), try ewkb(g.geometry), area(g.geometry)])
        }
        if let list = batch.buildings {
            var data = CopyText()
            for b in list {
                data.append(rawRow: [c, ver, escape(b.buildingID), b.gridID.map(escape), b.villageID.map(escape),
                                     escape(b.kind), b.floors.map(String.init), b.address.map(escape),
                                     try ewkb(b.geometry), area(b.geometry)])
            }
            buildings = data
        }
        var households: CopyText?, staff: CopyText?, departments: CopyText?, incidents: CopyText?
        if let list = batch.households {
            var data = CopyText()
            for h in list {
                data.append([.text(c), .text(h.householdID), h.buildingID.map(PGValue.text) ?? .null, .text(h.address),
                             h.location.map { .double($0.x) } ?? .null, h.location.map { .double($0.y) } ?? .null,
                             .int(h.residents)])
            }
            households = data
        }
        if let list = batch.staff {
            var data = CopyText()
            for s in list {
                data.append([.text(c), .text(s.staffID), .text(s.role.rawValue), s.gridID.map(PGValue.text) ?? .null,
                             s.buildingID.map(PGValue.text) ?? .null, .text(s.name), .text(s.phone), .bool(s.onDuty)])
            }
            staff = data
        }
        if let list = batch.departments {
            var data = CopyText()
            for d in list {
                data.append([.text(c), .text(d.departmentID), .text(d.name), .text(d.categories.joined(separator: ";"))])
            }
            departments = data
        }
        if let list = batch.incidents {
            var data = CopyText()
            // The last row of an id wins, as INSERT OR REPLACE does in SQLite.
            var seen = Set<String>()
            for i in list.reversed() where seen.insert(i.incidentID).inserted {
                data.append([.text(c), .text(i.incidentID), .text(IncidentTime.string(i.reportedAt)), .text(i.category),
                             .double(i.location.x), .double(i.location.y), .text(i.state.rawValue), .text(i.description)])
            }
            incidents = data
        }

        return (towns, villages, grids, buildings, households, staff, departments, incidents)
    }

    /// Takes this county's import lock for the current transaction, or fails at once naming who holds it.
    func lockCounty() throws {
        let key: [PGValue] = [.int(PostgresCountySchema.lockNamespace), .int(Int(county)!)]
        let got = try session.query("SELECT pg_try_advisory_xact_lock($1::int4, $2::int4)", key).first?[0].boolValue
        guard got == true else {
            let holder = try session.query("""
                SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local')
                FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid AND l.granted
                """, key).first
            let who = holder.map { "server process \($0[0].intValue ?? 0), \($0[1].stringValue ?? "") from \($0[2].stringValue ?? "")" }
                ?? "another session"
            throw StoreError("another import into county \(county) is running (\(who)); nothing was written: "
                             + "run this import again when that one has finished")
        }
    }

    /// A boundary layer not given: the previous version's rows, as they were.
    private func carryOver(_ table: String, _ columns: ArraySlice<String>, from previous: Int?, to version: Int) throws {
        guard let previous else { return }
        let names = columns.joined(separator: ", ")
        try session.run("""
            INSERT INTO gridwork.\(table) (county_code, version_id, \(names))
            SELECT county_code, $2, \(names) FROM gridwork.\(table) WHERE county_code = $1 AND version_id = $3
            """, [code, .int(version), .int(previous)])
    }
}

/// A text field in COPY form (for rows built with `append(rawRow:)`).
private func escape(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return s }
    var out = ""
    out.reserveCapacity(s.utf8.count + 8)
    for ch in s.unicodeScalars {
        switch ch {
        case "\\": out += "\\\\"
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out
}
