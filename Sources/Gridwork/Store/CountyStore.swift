import Foundation
import GeoJSON
import GridGeometry
import GridProjection
import GridStore

/// One import of boundaries (a "generation", as MapIt calls it).
public struct BoundaryVersion: Sendable, Hashable {
    public var versionID: Int
    public var importedAt: String
    public var source: String
    public var note: String
}

/// How much of each kind the database holds (for the current boundary version).
public struct CountyCounts: Sendable, Hashable, CustomStringConvertible {
    public var versionID: Int?
    public var towns = 0
    public var villages = 0
    public var grids = 0
    public var buildings = 0
    public var households = 0
    public var residents = 0
    public var staff = 0
    public var departments = 0
    public var incidents = 0

    public var description: String {
        "boundary version \(versionID.map(String.init) ?? "none"): \(towns) towns, \(villages) villages, \(grids) grids, " +
            "\(buildings) buildings; \(households) households (\(residents) residents), \(staff) staff, " +
            "\(departments) departments, \(incidents) incidents"
    }
}

/// The county database: a SQLite file holding boundary versions, people and incident history.
///
/// Owns one `SQLiteConnection` and one `GEOSContext` (to decode WKB): use it from one thread or task at a time.
public final class CountyStore {
    public let connection: SQLiteConnection
    let geos: GEOSContext

    /// Opens (creating when allowed) the database at `path`, checks its structure (`SQLiteConnection.checkStructure`:
    /// a damaged file throws an `SQLITE_CORRUPT` error naming `PRAGMA integrity_check`) and brings its schema up to date.
    public init(path: String, create: Bool = true) throws {
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw StoreError("no database at \(path): run `gridwork import --db \(path) --grids ...` first")
        }
        connection = try SQLiteConnection(path: path, mode: create ? .create : .readWrite)
        geos = GEOSContext()
        // A damaged file is refused here, before anything reads half of it or writes into it (docs/reliability.md).
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

    func resolve(_ version: Int?) throws -> Int {
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

    public func towns(version: Int? = nil) throws -> [Town] {
        let v = try resolve(version)
        return try connection.query("SELECT town_id, name, geometry FROM town WHERE version_id = ? ORDER BY town_id",
                                    [.integer(Int64(v))]).map { row in
            let id = row[0].stringValue ?? ""
            return Town(townID: id, name: row[1].stringValue ?? "", geometry: try geometry(row[2], "town \(id)"))
        }
    }

    public func villages(version: Int? = nil) throws -> [Village] {
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

    public func grids(version: Int? = nil) throws -> [Grid] {
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

    public func buildings(version: Int? = nil) throws -> [Building] {
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
}

/// A store-level error with the fix in its message.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
