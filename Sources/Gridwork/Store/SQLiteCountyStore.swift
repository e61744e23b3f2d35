import Foundation
import GeoJSON
import GridGeometry
import GridProjection
import GridStore

/// The county database in a SQLite file (the default `--db`): one county's boundary versions, people and incident
/// history. `countyCode` is nil: the file is one county, whatever `--county` says.
///
/// Owns one `SQLiteConnection` and one `GEOSContext` (to decode WKB): use it from one thread or task at a time.
public final class SQLiteCountyStore: CountyStore {
    public var engine: String { "SQLite" }
    public var countyCode: String? { nil }
    public let path: String

    public let connection: SQLiteConnection
    let geos: GEOSContext

    /// Opens (creating when allowed) the database at `path` and brings its schema up to date.
    public init(path: String, create: Bool = true) throws {
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw StoreError("no database at \(path): run `gridwork import --db \(path) --grids ...` first")
        }
        self.path = path
        connection = try SQLiteConnection(path: path, mode: create ? .create : .readWrite)
        geos = GEOSContext()
        // A damaged file is refused here, before anything reads half of it or writes into it (docs/reliability.md):
        // `SQLiteConnection.checkStructure` throws an `SQLITE_CORRUPT` error naming `PRAGMA integrity_check`.
        try connection.checkStructure()
        _ = try Migrator(CountySchema.migrations).migrate(connection)
    }

    // MARK: Versions

    /// All boundary versions, oldest first.
    public func versions() throws -> [BoundaryVersion] {
        try connection.query("SELECT version_id, imported_at, source, note FROM boundary_version ORDER BY version_id", [])
            .map { row in
                BoundaryVersion(versionID: row[0].intValue ?? 0, importedAt: row[1].stringValue ?? "",
                                source: row[2].stringValue ?? "", note: row[3].stringValue ?? "")
            }
    }

    /// The newest boundary version, or nil before the first import.
    public func currentVersionID() throws -> Int? {
        try connection.query("SELECT max(version_id) FROM boundary_version", []).first?[0].intValue
    }

    public func resolve(_ version: Int?) throws -> Int {
        if let version {
            guard try connection.query("SELECT 1 FROM boundary_version WHERE version_id = ?", [.integer(Int64(version))])
                .first != nil
            else { throw StoreError("boundary version \(version) does not exist; `gridwork versions` lists them") }
            return version
        }
        guard let current = try currentVersionID() else {
            throw StoreError("the database has no grids yet: run `gridwork import --grids ...` first")
        }
        return current
    }

    // MARK: Reading layers

    private func geometry(_ value: SQLiteValue, _ what: String) throws -> Geometry {
        guard let wkb = value.blobValue else { throw StoreError("\(what) has no geometry") }
        return try GEOSGeometry(wkb: wkb, context: geos).toGeometry()
    }

    public func towns(version: Int?) throws -> [Town] {
        let v = try resolve(version)
        return try connection.query("SELECT town_id, name, geometry FROM town WHERE version_id = ? ORDER BY town_id",
                                    [.integer(Int64(v))]).map { row in
            let id = row[0].stringValue ?? ""
            return Town(townID: id, name: row[1].stringValue ?? "", geometry: try geometry(row[2], "town \(id)"))
        }
    }

    public func villages(version: Int?) throws -> [Village] {
        let v = try resolve(version)
        return try connection.query(
            "SELECT village_id, town_id, name, geometry FROM village WHERE version_id = ? ORDER BY village_id",
            [.integer(Int64(v))]
        ).map { row in
            let id = row[0].stringValue ?? ""
            return Village(villageID: id, townID: row[1].stringValue, name: row[2].stringValue ?? "",
                           geometry: try geometry(row[3], "village \(id)"))
        }
    }

    public func grids(version: Int?) throws -> [Grid] {
        let v = try resolve(version)
        return try connection.query(
            "SELECT grid_id, village_id, town_id, name, geometry, properties FROM grid WHERE version_id = ? ORDER BY grid_id",
            [.integer(Int64(v))]
        ).map { row in
            let id = row[0].stringValue ?? ""
            return Grid(gridID: id, villageID: row[1].stringValue, townID: row[2].stringValue,
                        name: row[3].stringValue ?? "", geometry: try geometry(row[4], "grid \(id)"),
                        extraProperties: row[5].stringValue ?? "{}")
        }
    }

    public func buildings(version: Int?) throws -> [Building] {
        let v = try resolve(version)
        return try connection.query(
            "SELECT building_id, grid_id, village_id, kind, floors, geometry, address FROM building WHERE version_id = ? ORDER BY building_id",
            [.integer(Int64(v))]
        ).map { row in
            let id = row[0].stringValue ?? ""
            return Building(buildingID: id, gridID: row[1].stringValue, villageID: row[2].stringValue,
                            kind: row[3].stringValue ?? "urban", floors: row[4].intValue, address: row[6].stringValue,
                            geometry: try geometry(row[5], "building \(id)"))
        }
    }

    public func households() throws -> [Household] {
        try connection.query("SELECT household_id, building_id, address, lon, lat, residents FROM household ORDER BY household_id", [])
            .map { row in
                let location: Position? = if let lon = row[3].doubleValue, let lat = row[4].doubleValue {
                    Position(lon, lat)
                } else { nil }
                return Household(householdID: row[0].stringValue ?? "", buildingID: row[1].stringValue,
                                 address: row[2].stringValue ?? "", location: location, residents: row[5].intValue ?? 0)
            }
    }

    public func staff() throws -> [StaffMember] {
        try connection.query("SELECT staff_id, role, grid_id, building_id, name, phone, on_duty FROM staff ORDER BY staff_id", [])
            .map { row in
                StaffMember(staffID: row[0].stringValue ?? "",
                            role: StaffRole(rawValue: row[1].stringValue ?? "") ?? .partTimeWorker,
                            gridID: row[2].stringValue, buildingID: row[3].stringValue, name: row[4].stringValue ?? "",
                            phone: row[5].stringValue ?? "", onDuty: (row[6].intValue ?? 1) != 0)
            }
    }

    public func departments() throws -> [Department] {
        try connection.query("SELECT department_id, name, categories FROM department ORDER BY department_id", []).map { row in
            Department(departmentID: row[0].stringValue ?? "", name: row[1].stringValue ?? "",
                       categories: (row[2].stringValue ?? "").split(separator: ";").map(String.init))
        }
    }

    public func incidentHistory() throws -> [IncidentRecord] {
        try connection.query(
            "SELECT incident_id, reported_at, category, lon, lat, status, description FROM incident_history ORDER BY reported_at, incident_id",
            []
        ).map { (row: SQLiteRow) -> IncidentRecord in
            // Rows imported before times and states were checked: an unreadable time is in no report window
            // (distant past), an unknown status counts as open (as "anything but closed" did).
            IncidentRecord(incidentID: row[0].stringValue ?? "",
                           reportedAt: IncidentTime.parse(row[1].stringValue ?? "") ?? .distantPast,
                           category: row[2].stringValue ?? "",
                           location: Position(row[3].doubleValue ?? .nan, row[4].doubleValue ?? .nan),
                           state: IncidentState(registerStatus: row[5].stringValue ?? "") ?? .reported,
                           description: row[6].stringValue ?? "")
        }
    }

    /// Counts for the current boundary version.
    public func counts() throws -> CountyCounts {
        var counts = CountyCounts()
        counts.versionID = try currentVersionID()
        func count(_ sql: String, _ params: [SQLiteValue] = []) throws -> Int {
            try connection.query(sql, params).first?[0].intValue ?? 0
        }
        if let v = counts.versionID {
            let p: [SQLiteValue] = [.integer(Int64(v))]
            counts.towns = try count("SELECT count(*) FROM town WHERE version_id = ?", p)
            counts.villages = try count("SELECT count(*) FROM village WHERE version_id = ?", p)
            counts.grids = try count("SELECT count(*) FROM grid WHERE version_id = ?", p)
            counts.buildings = try count("SELECT count(*) FROM building WHERE version_id = ?", p)
        }
        counts.households = try count("SELECT count(*) FROM household")
        counts.residents = try count("SELECT coalesce(sum(residents), 0) FROM household")
        counts.staff = try count("SELECT count(*) FROM staff")
        counts.departments = try count("SELECT count(*) FROM department")
        counts.incidents = try count("SELECT count(*) FROM incident_history")
        return counts
    }

    // MARK: Writing

    public func write(_ batch: CountyImportBatch) throws -> Int {
        let db = connection
        return try db.transaction(.immediate) { () throws -> Int in
            let previous = try currentVersionID()
            let stamp = ISO8601DateFormatter().string(from: Date())
            try db.run("INSERT INTO boundary_version (imported_at, source, note) VALUES (?, ?, ?)",
                       [.text(stamp), .text(batch.source), .text(batch.note)])
            let version = Int(db.lastInsertRowID)
            let v = SQLiteValue.integer(Int64(version))
            let writer = GeometryRowWriter(context: geos)

            func optional(_ text: String?) -> SQLiteValue { text.map(SQLiteValue.text) ?? .null }
            let geometryColumns = ["geometry", "min_x", "min_y", "max_x", "max_y", "area_m2"]
            /// One feature of a boundary layer: its own columns, then the geometry's.
            func insert(_ table: String, _ columns: KeyValuePairs<String, SQLiteValue>, _ geometry: Geometry) throws {
                let names = ["version_id"] + columns.map(\.key) + geometryColumns
                try db.run("INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (" +
                           Array(repeating: "?", count: names.count).joined(separator: ", ") + ")",
                           [v] + columns.map(\.value) + (try writer.row(geometry)))
            }
            /// A layer not given: the previous version's rows, as they were.
            func carryOver(_ table: String, _ columns: [String]) throws {
                guard let previous else { return }
                let names = (columns + geometryColumns).joined(separator: ", ")
                try db.run("INSERT INTO \(table) (version_id, \(names)) SELECT ?, \(names) FROM \(table) WHERE version_id = ?",
                           [v, .integer(Int64(previous))])
            }
            if let towns = batch.towns {
                for town in towns {
                    try insert("town", ["town_id": .text(town.townID), "name": .text(town.name)], town.geometry)
                }
            } else {
                try carryOver("town", ["town_id", "name"])
            }
            if let villages = batch.villages {
                for village in villages {
                    try insert("village", ["village_id": .text(village.villageID), "town_id": optional(village.townID),
                                           "name": .text(village.name)], village.geometry)
                }
            } else {
                try carryOver("village", ["village_id", "town_id", "name"])
            }
            for grid in batch.grids {
                try insert("grid", ["grid_id": .text(grid.gridID), "village_id": optional(grid.villageID),
                                    "town_id": optional(grid.townID), "name": .text(grid.name),
                                    "properties": .text(grid.extraProperties)], grid.geometry)
            }
            if let buildings = batch.buildings {
                for building in buildings {
                    try insert("building", ["building_id": .text(building.buildingID),
                                            "grid_id": optional(building.gridID), "village_id": optional(building.villageID),
                                            "kind": .text(building.kind),
                                            "floors": building.floors.map { .integer(Int64($0)) } ?? .null,
                                            "address": optional(building.address)],
                               building.geometry)
                }
            } else {
                try carryOver("building", ["building_id", "grid_id", "village_id", "kind", "floors", "address"])
            }
            if let households = batch.households {
                try db.run("DELETE FROM household", [])
                for h in households {
                    try db.run("INSERT INTO household (household_id, building_id, address, lon, lat, residents) VALUES (?, ?, ?, ?, ?, ?)",
                               [.text(h.householdID), h.buildingID.map(SQLiteValue.text) ?? .null, .text(h.address),
                                h.location.map { .real($0.x) } ?? .null, h.location.map { .real($0.y) } ?? .null,
                                .integer(Int64(h.residents))])
                }
            }
            if let staff = batch.staff {
                try db.run("DELETE FROM staff", [])
                for s in staff {
                    try db.run("INSERT INTO staff (staff_id, role, grid_id, building_id, name, phone, on_duty) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [.text(s.staffID), .text(s.role.rawValue), s.gridID.map(SQLiteValue.text) ?? .null,
                                s.buildingID.map(SQLiteValue.text) ?? .null, .text(s.name), .text(s.phone),
                                .integer(s.onDuty ? 1 : 0)])
                }
            }
            if let departments = batch.departments {
                try db.run("DELETE FROM department", [])
                for d in departments {
                    try db.run("INSERT INTO department (department_id, name, categories) VALUES (?, ?, ?)",
                               [.text(d.departmentID), .text(d.name), .text(d.categories.joined(separator: ";"))])
                }
            }
            if let incidents = batch.incidents {
                for i in incidents {
                    try db.run("""
                        INSERT OR REPLACE INTO incident_history (incident_id, reported_at, category, lon, lat, status, description)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, [.text(i.incidentID), .text(IncidentTime.string(i.reportedAt)), .text(i.category),
                              .real(i.location.x), .real(i.location.y), .text(i.state.rawValue), .text(i.description)])
                }
            }
            return version
        }
    }
}

/// Turns a polygon into the stored columns: WKB, bounding box and geodesic area in square metres.
struct GeometryRowWriter {
    let context: GEOSContext

    func row(_ geometry: Geometry) throws -> [SQLiteValue] {
        let wkb = try GEOSGeometry(geometry, context: context).wkb()
        let box = geometry.boundingBox ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
        return [.blob(wkb), .real(box.minX), .real(box.minY), .real(box.maxX), .real(box.maxY),
                .real(Geodesic.area(of: geometry))]
    }
}
