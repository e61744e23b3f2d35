import Foundation
import GeoJSON
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
    /// The CRS of the input coordinates (default: longitude/latitude, EPSG:4326 or EPSG:4490).
    public var crs: String?
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
}

/// A polygon feature that passed validation.
struct ValidFeature {
    var id: String
    var properties: OrderedDictionary<String, JSONValue>
    var geometry: Geometry
    var place: String
}

/// Reads, validates and stores a county's layers in one transaction: either everything goes in as a new boundary
/// version, or nothing changes and every problem is reported.
public struct CountyImporter {
    public let options: ImportOptions

    public init(options: ImportOptions) {
        self.options = options
    }

    public func run(into store: CountyStore) throws -> ImportSummary {
        var problems: [ImportProblem] = []
        let context = GEOSContext()
        var transformer: CoordinateTransformer?
        if let crs = options.crs {
            let system: CoordinateReferenceSystem
            do {
                system = try CoordinateReferenceSystem(parsing: crs)
            } catch {
                throw ImportFailed(problems: [ImportProblem(file: "--crs", place: "option", reason: "\(error)",
                                                            fix: "give an EPSG code such as EPSG:4549")])
            }
            if system != .wgs84 && system != .cgcs2000 {
                transformer = try CoordinateTransformer(from: system, to: .wgs84)
            }
        }
        let validator = PolygonValidator(context: context, makeValid: options.makeValid)

        let towns = try options.towns.map {
            try Self.readLayer($0, idField: options.townIDField, validator: validator, transformer: transformer, &problems)
        }
        let villages = try options.villages.map {
            try Self.readLayer($0, idField: options.villageIDField, validator: validator, transformer: transformer, &problems)
        }
        let grids = try Self.readLayer(options.grids, idField: options.gridIDField, validator: validator,
                                  transformer: transformer, &problems)
        let buildings = try options.buildings.map {
            try Self.readLayer($0, idField: options.buildingIDField, validator: validator, transformer: transformer, &problems)
        }

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
        let households = try options.households.map { try tables.households($0, &problems) }
        let staff = try options.staff.map { try tables.staff($0, &problems) }
        let departments = try options.departments.map { try tables.departments($0, &problems) }
        let incidents = try options.incidents.map { try tables.incidents($0, &problems) }

        if problems.contains(where: { $0.severity == .error }) {
            throw ImportFailed(problems: problems)
        }

        var summary = ImportSummary()
        summary.problems = problems
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

            if let towns {
                for f in towns {
                    let g = try writer.row(f.geometry)
                    try db.run("""
                        INSERT INTO town (version_id, town_id, name, geometry, min_x, min_y, max_x, max_y, area_m2)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [v, .text(f.id), .text(name(f))] + g)
                }
            } else if let previous {
                try db.run("INSERT INTO town SELECT ?, town_id, name, geometry, min_x, min_y, max_x, max_y, area_m2 FROM town WHERE version_id = ?",
                           [v, .integer(Int64(previous))])
            }
            if let villages {
                for f in villages {
                    let g = try writer.row(f.geometry)
                    try db.run("""
                        INSERT INTO village (version_id, village_id, town_id, name, geometry, min_x, min_y, max_x, max_y, area_m2)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [v, .text(f.id), text(f.properties[options.townIDField]), .text(name(f))] + g)
                }
            } else if let previous {
                try db.run("INSERT INTO village SELECT ?, village_id, town_id, name, geometry, min_x, min_y, max_x, max_y, area_m2 FROM village WHERE version_id = ?",
                           [v, .integer(Int64(previous))])
            }
            for f in grids {
                let g = try writer.row(f.geometry)
                var extra = f.properties
                for key in [options.gridIDField, options.villageIDField, options.townIDField, "name"] {
                    extra.removeValue(forKey: key)
                }
                try db.run("""
                    INSERT INTO grid (version_id, grid_id, village_id, town_id, name, properties, geometry,
                                      min_x, min_y, max_x, max_y, area_m2)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [v, .text(f.id), text(f.properties[options.villageIDField]),
                          text(f.properties[options.townIDField]), .text(name(f)),
                          .text(JSONValue.object(extra).jsonText)] + g)
            }
            if let buildings {
                for f in buildings {
                    let g = try writer.row(f.geometry)
                    let floors = f.properties["floors"]?.doubleValue.map { SQLiteValue.integer(Int64($0)) } ?? .null
                    try db.run("""
                        INSERT INTO building (version_id, building_id, grid_id, village_id, kind, floors, geometry,
                                              min_x, min_y, max_x, max_y, area_m2)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [v, .text(f.id), text(f.properties[options.gridIDField]),
                              text(f.properties[options.villageIDField]),
                              .text(f.properties["kind"]?.stringValue ?? "urban"), floors] + g)
                }
            } else if let previous {
                try db.run("INSERT INTO building SELECT ?, building_id, grid_id, village_id, kind, floors, geometry, min_x, min_y, max_x, max_y, area_m2 FROM building WHERE version_id = ?",
                           [v, .integer(Int64(previous))])
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

    private func name(_ f: ValidFeature) -> String {
        f.properties["name"]?.stringValue ?? f.id
    }

    private func text(_ value: JSONValue?) -> SQLiteValue {
        value?.identifierValue.map(SQLiteValue.text) ?? .null
    }

    /// Reads one polygon layer, validating every feature; problems are collected, never thrown,
    /// except when the file itself cannot be read as GeoJSON.
    static func readLayer(_ path: String, idField: String, validator: PolygonValidator, transformer: CoordinateTransformer?,
                   _ problems: inout [ImportProblem]) throws -> [ValidFeature] {
        let file = fileName(path)
        let reader: GeoJSONFeatureReader
        do {
            reader = try GeoJSONFeatureReader(path: path)
        } catch {
            problems.append(ImportProblem(file: file, place: "file", reason: "cannot read the file: \(error)",
                                          fix: "check the path, and that the file is GeoJSON"))
            return []
        }
        var features: [ValidFeature] = []
        var seen: [String: String] = [:]
        while true {
            let record: FeatureRecord
            do {
                guard let next = try reader.next() else { break }
                record = next
            } catch {
                problems.append(ImportProblem(file: file, place: "file", reason: "not valid GeoJSON: \(error)",
                                              fix: "repair the JSON syntax at that line and column"))
                return features
            }
            let place = record.location.description
            let id = record.properties[idField]?.identifierValue ?? record.id?.description
            guard let id, !id.isEmpty else {
                problems.append(ImportProblem(file: file, place: place, field: idField, reason: "the feature has no id",
                                              fix: "set the Feature \"id\" or a \"\(idField)\" property " +
                                                  "(or name the id property with --id-field)"))
                continue
            }
            if let first = seen[id] {
                problems.append(ImportProblem(file: file, place: place, featureID: id, field: idField,
                                              reason: "duplicate id: \(id) is also the id of \(first)",
                                              fix: "give every feature its own id"))
                continue
            }
            seen[id] = place
            var geometry: Geometry?
            switch record.geometry {
            case .failure(let error):
                problems.append(ImportProblem(file: file, place: place, featureID: id, field: error.path,
                                              reason: "unreadable geometry: \(error.reason)",
                                              fix: "write the geometry as GeoJSON Polygon or MultiPolygon coordinates"))
                continue
            case .success(let g):
                geometry = g
            }
            if let transformer, let g = geometry {
                do {
                    geometry = try transformer.transform(g)
                } catch {
                    problems.append(ImportProblem(file: file, place: place, featureID: id, field: "geometry",
                                                  reason: "cannot transform to longitude/latitude: \(error)",
                                                  fix: "check that --crs names the file's real CRS"))
                    continue
                }
            }
            let (valid, found) = validator.validate(
                geometry, at: PolygonValidator.Place(file: file, place: place, featureID: id))
            problems += found
            if let valid {
                features.append(ValidFeature(id: id, properties: record.properties, geometry: valid, place: place))
            }
        }
        if features.isEmpty && !problems.contains(where: { $0.file == file }) {
            problems.append(ImportProblem(file: file, place: "file", reason: "the file holds no features",
                                          fix: "export the layer again; a FeatureCollection needs at least one feature"))
        }
        return features
    }
}

func fileName(_ path: String) -> String {
    (path as NSString).lastPathComponent
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

/// Reads grid and building layers straight from GeoJSON files (for jobs that do not need a database),
/// with the same validation as an import. Throws `ImportFailed` listing every problem when a feature is bad.
public enum LayerFile {
    public static func grids(path: String, idField: String = "grid_id", villageIDField: String = "village_id",
                             makeValid: Bool = false) throws -> [Grid] {
        let features = try read(path: path, idField: idField, makeValid: makeValid)
        return features.map { f in
            Grid(gridID: f.id, villageID: f.properties[villageIDField]?.identifierValue,
                 townID: f.properties["town_id"]?.identifierValue,
                 name: f.properties["name"]?.stringValue ?? f.id, geometry: f.geometry)
        }
    }

    public static func buildings(path: String, idField: String = "building_id", makeValid: Bool = false) throws -> [Building] {
        let features = try read(path: path, idField: idField, makeValid: makeValid)
        return features.map { f in
            Building(buildingID: f.id, gridID: f.properties["grid_id"]?.identifierValue,
                     villageID: f.properties["village_id"]?.identifierValue,
                     kind: f.properties["kind"]?.stringValue ?? "urban",
                     floors: f.properties["floors"]?.doubleValue.map { Int($0) }, geometry: f.geometry)
        }
    }

    static func read(path: String, idField: String, makeValid: Bool) throws -> [ValidFeature] {
        var problems: [ImportProblem] = []
        let validator = PolygonValidator(context: GEOSContext(), makeValid: makeValid)
        let features = try CountyImporter.readLayer(path, idField: idField, validator: validator, transformer: nil, &problems)
        if problems.contains(where: { $0.severity == .error }) { throw ImportFailed(problems: problems) }
        return features
    }
}
