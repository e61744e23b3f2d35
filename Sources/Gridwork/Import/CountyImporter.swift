import Foundation
import GeoJSON
import GridAddress
import GridGeometry
import GridProjection
import GridStore
import OrderedCollections

/// What to import, and how.
public struct ImportOptions: Sendable {
    public var grids: String
    public var towns: String?
    public var villages: String?
    public var buildings: String?
    public var households: String?
    public var staff: String?
    public var departments: String?
    public var incidents: String?
    /// The property holding a grid's id; the Feature `id` is used when the property is absent.
    public var gridIDField = "grid_id"
    public var villageIDField = "village_id"
    public var townIDField = "town_id"
    public var buildingIDField = "building_id"
    /// Repair what can be repaired (unclosed rings, degenerate holes, self-intersections) and say what changed.
    public var makeValid = false
    /// The CRS of the input coordinates, overriding what the files declare (default: the file's `.prj` or
    /// GeoPackage SRS; longitude/latitude for GeoJSON, KML and CSV).
    public var crs: String?
    /// Layer choice in multi-layer files, Shapefile encoding, axis order (`--layer`, `--encoding`, `--axis-order`).
    public var sourceOptions = LayerSourceOptions()
    public var note = ""
    /// Check everything, write nothing.
    public var dryRun = false

    public init(grids: String) {
        self.grids = grids
    }
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var versionID: Int?
    public var counts: OrderedDictionary<String, Int> = [:]
    /// Repairs and warnings (an import with errors throws `ImportFailed` instead).
    public var problems: [ImportProblem] = []
    public var dryRun = false
    /// Households that came with neither a building nor coordinates, by how their address matched a building
    /// (`GridAddress.AddressMatcher`); those placed (exact, building, road_number) got that building, the others
    /// are imported without one and listed as warnings.
    public var householdsByAddress: [AddressMatchStatus: Int] = [:]
}

/// Reads, validates and stores a county's layers in one transaction: either everything goes in as a new boundary
/// version, or nothing changes and every problem is reported.
public struct CountyImporter {
    public let options: ImportOptions

    public init(options: ImportOptions) {
        self.options = options
    }

    /// Gives households without a building or coordinates the building their address names, when it names one
    /// surely (exact, building, road_number); the others stay without a building and are listed as warnings.
    func placeByAddress(_ households: [Household], file: String, buildings: [Building], grids: [Grid],
                        counts: inout [AddressMatchStatus: Int], problems: inout [ImportProblem]) throws -> [Household] {
        let unplaced = households.indices.filter {
            households[$0].buildingID == nil && households[$0].location == nil && !households[$0].address.isEmpty
        }
        guard !unplaced.isEmpty, let matcher = try AddressMatcher.forBuildings(buildings, grids: grids) else { return households }
        var result = households
        for k in unplaced {
            let h = households[k]
            let m = matcher.match(h.address)
            counts[m.status, default: 0] += 1
            if let building = m.buildingID, [.exact, .building, .roadNumber].contains(m.status) {
                result[k].buildingID = building
            } else {
                problems.append(ImportProblem(
                    severity: .warning, file: file, place: "household \(h.householdID)", featureID: h.householdID,
                    field: "address",
                    reason: "address \(h.address) names no single building (\(m.status.rawValue)"
                        + (m.reason.map { ": \($0)" } ?? "")
                        + (m.candidates.isEmpty ? "" : "; candidates " + m.candidates.prefix(10).joined(separator: " ")) + ")",
                    fix: "give building_id or lon,lat, correct the address, or add an old name to an alias file"))
            }
        }
        return result
    }

    public func run(into store: CountyStore) throws -> ImportSummary {
        var problems: [ImportProblem] = []
        let context = GEOSContext()
        var system: CoordinateReferenceSystem?
        if let crs = options.crs {
            do {
                system = try CoordinateReferenceSystem(parsing: crs)
            } catch {
                throw ImportFailed(problems: [ImportProblem(file: "--crs", place: "option", reason: "\(error)",
                                                            fix: "give an EPSG code such as EPSG:4549")])
            }
            if let system, system != .wgs84 && system != .cgcs2000 {
                // Fails early, once, when PROJ has no way from this CRS to longitude/latitude.
                _ = try CoordinateTransformer(from: system, to: .wgs84)
            }
        }
        let reader = LayerReader(policy: .strict, purpose: .import,
                                 fields: LayerFields(town: options.townIDField, village: options.villageIDField,
                                                     grid: options.gridIDField, building: options.buildingIDField),
                                 makeValid: options.makeValid, crs: system, sourceOptions: options.sourceOptions,
                                 context: context)
        let towns = options.towns.map { reader.features(.town, $0, problems: &problems) }
        let villages = options.villages.map { reader.features(.village, $0, problems: &problems) }
        let grids = reader.features(.grid, options.grids, problems: &problems)
        let buildings = options.buildings.map { reader.features(.building, $0, problems: &problems) }

        // References between layers: a grid's village must exist, a village's town must exist.
        let previous = try store.currentVersionID()
        let villageIDs: Set<String>? = try villages.map { Set($0.map(\.id)) }
            ?? (previous != nil ? Set(try store.villages(version: previous).map(\.villageID)) : nil)
        let townIDs: Set<String>? = try towns.map { Set($0.map(\.id)) }
            ?? (previous != nil ? Set(try store.towns(version: previous).map(\.townID)) : nil)
        if let villageIDs, !villageIDs.isEmpty {
            for grid in grids {
                if let v = grid.properties[options.villageIDField]?.identifierValue, !villageIDs.contains(v) {
                    problems.append(ImportProblem(file: fileName(options.grids), place: grid.place, featureID: grid.id,
                                                  field: options.villageIDField,
                                                  reason: "village \(v) is not among the imported villages",
                                                  fix: "correct the village id, or add the village to the villages file"))
                }
            }
        }
        if let townIDs, !townIDs.isEmpty, let villages, let villagesPath = options.villages {
            for village in villages {
                if let t = village.properties[options.townIDField]?.identifierValue, !townIDs.contains(t) {
                    problems.append(ImportProblem(file: fileName(villagesPath), place: village.place,
                                                  featureID: village.id, field: options.townIDField,
                                                  reason: "town \(t) is not among the imported towns",
                                                  fix: "correct the town id, or add the town to the towns file"))
                }
            }
        }

        let gridIDs = Set(grids.map(\.id))
        let buildingIDs: Set<String> = Set(buildings?.map(\.id) ?? [])
        let tables = TableReader(gridIDs: gridIDs, buildingIDs: buildingIDs)
        var households = try options.households.map { try tables.households($0, &problems) }
        var householdsByAddress: [AddressMatchStatus: Int] = [:]
        if let list = households, let path = options.households {
            let buildingList = try buildings.map { $0.map { $0.building(reader.fields) } }
                ?? (previous == nil ? [] : store.buildings(version: previous))
            households = try placeByAddress(list, file: fileName(path), buildings: buildingList,
                                            grids: grids.map { $0.grid(reader.fields) }, counts: &householdsByAddress,
                                            problems: &problems)
        }
        let staff = try options.staff.map { try tables.staff($0, &problems) }
        let departments = try options.departments.map { try tables.departments($0, &problems) }
        let incidents = try options.incidents.map { try tables.incidents($0, &problems) }

        if problems.contains(where: { $0.severity == .error }) {
            throw ImportFailed(problems: problems)
        }

        var summary = ImportSummary()
        summary.problems = problems
        summary.householdsByAddress = householdsByAddress
        summary.dryRun = options.dryRun
        summary.counts["grids"] = grids.count
        if let towns { summary.counts["towns"] = towns.count }
        if let villages { summary.counts["villages"] = villages.count }
        if let buildings { summary.counts["buildings"] = buildings.count }
        if let households { summary.counts["households"] = households.count }
        if let staff { summary.counts["staff"] = staff.count }
        if let departments { summary.counts["departments"] = departments.count }
        if let incidents { summary.counts["incidents"] = incidents.count }
        if options.dryRun { return summary }

        let db = store.connection
        let source = ([options.grids] + [options.towns, options.villages, options.buildings].compactMap { $0 })
            .map(fileName).joined(separator: ", ")
        summary.versionID = try db.transaction(.immediate) { () throws -> Int in
            let stamp = ISO8601DateFormatter().string(from: Date())
            try db.run("INSERT INTO boundary_version (imported_at, source, note) VALUES (?, ?, ?)",
                       [.text(stamp), .text(source), .text(options.note)])
            let version = Int(db.lastInsertRowID)
            let v = SQLiteValue.integer(Int64(version))
            let writer = GeometryRowWriter(context: context)

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
            let fields = reader.fields
            if let towns {
                for town in towns.map({ $0.town() }) {
                    try insert("town", ["town_id": .text(town.townID), "name": .text(town.name)], town.geometry)
                }
            } else {
                try carryOver("town", ["town_id", "name"])
            }
            if let villages {
                for village in villages.map({ $0.village(fields) }) {
                    try insert("village", ["village_id": .text(village.villageID), "town_id": optional(village.townID),
                                           "name": .text(village.name)], village.geometry)
                }
            } else {
                try carryOver("village", ["village_id", "town_id", "name"])
            }
            for grid in grids.map({ $0.grid(fields) }) {
                try insert("grid", ["grid_id": .text(grid.gridID), "village_id": optional(grid.villageID),
                                    "town_id": optional(grid.townID), "name": .text(grid.name),
                                    "properties": .text(grid.extraProperties)], grid.geometry)
            }
            if let buildings {
                for building in buildings.map({ $0.building(fields) }) {
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
            if let households {
                try db.run("DELETE FROM household", [])
                for h in households {
                    try db.run("INSERT INTO household (household_id, building_id, address, lon, lat, residents) VALUES (?, ?, ?, ?, ?, ?)",
                               [.text(h.householdID), h.buildingID.map(SQLiteValue.text) ?? .null, .text(h.address),
                                h.location.map { .real($0.x) } ?? .null, h.location.map { .real($0.y) } ?? .null,
                                .integer(Int64(h.residents))])
                }
            }
            if let staff {
                try db.run("DELETE FROM staff", [])
                for s in staff {
                    try db.run("INSERT INTO staff (staff_id, role, grid_id, building_id, name, phone, on_duty) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [.text(s.staffID), .text(s.role.rawValue), s.gridID.map(SQLiteValue.text) ?? .null,
                                s.buildingID.map(SQLiteValue.text) ?? .null, .text(s.name), .text(s.phone),
                                .integer(s.onDuty ? 1 : 0)])
                }
            }
            if let departments {
                try db.run("DELETE FROM department", [])
                for d in departments {
                    try db.run("INSERT INTO department (department_id, name, categories) VALUES (?, ?, ?)",
                               [.text(d.departmentID), .text(d.name), .text(d.categories.joined(separator: ";"))])
                }
            }
            if let incidents {
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
        return summary
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
