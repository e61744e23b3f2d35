import Foundation
import GeoJSON
import GridGeometry

/// Everything a report reads: the boundary layers of one version and the people and incidents.
///
/// Unlike an import, loading for a report is lenient with grids: a grid with an invalid geometry is kept (it is what
/// the coverage report must name), with GEOS's reason in `invalidGrids`. Other layers are read as an import reads them.
public struct CountyLayers: Sendable {
    public var county: Geometry?
    public var towns: [Town] = []
    public var villages: [Village] = []
    public var grids: [Grid] = []
    public var buildings: [Building] = []
    public var households: [Household] = []
    public var staff: [StaffMember] = []
    public var incidents: [IncidentRecord] = []
    /// Grids whose geometry GEOS finds invalid (`GEOSisValidDetail_r`), by id, with the reason and place.
    public var invalidGrids: [String: String] = [:]

    public init(county: Geometry? = nil, towns: [Town] = [], villages: [Village] = [], grids: [Grid],
                buildings: [Building] = [], households: [Household] = [], staff: [StaffMember] = [],
                incidents: [IncidentRecord] = []) {
        self.county = county
        self.towns = towns
        self.villages = villages
        self.grids = grids
        self.buildings = buildings
        self.households = households
        self.staff = staff
        self.incidents = incidents
    }
}

/// The files a report can read instead of a database.
public struct CountyFiles: Sendable {
    public var grids: String
    public var county: String?
    public var towns: String?
    public var villages: String?
    public var buildings: String?
    public var households: String?
    public var staff: String?
    public var incidents: String?

    public init(grids: String, county: String? = nil, towns: String? = nil, villages: String? = nil,
                buildings: String? = nil, households: String? = nil, staff: String? = nil, incidents: String? = nil) {
        self.grids = grids
        self.county = county
        self.towns = towns
        self.villages = villages
        self.buildings = buildings
        self.households = households
        self.staff = staff
        self.incidents = incidents
    }
}

extension CountyLayers {
    /// Reads the layers of a boundary version (default: the newest) and all people and incidents from the database.
    public static func load(store: CountyStore, version: Int? = nil) throws -> CountyLayers {
        let towns = try store.towns(version: version)
        let villages = try store.villages(version: version)
        var layers = CountyLayers(towns: towns, villages: villages, grids: try store.grids(version: version),
                                  buildings: try store.buildings(version: version), households: try store.households(),
                                  staff: try store.staff(), incidents: try store.incidentHistory())
        if !towns.isEmpty {
            layers.county = .multiPolygon(MultiPolygon(towns.flatMap(\.geometry.polygons)))
        }
        try layers.checkGridValidity()
        return layers
    }

    /// Reads the layers from files. Grids are read leniently (invalid geometries are kept and named); every other
    /// problem (unreadable file, missing id, bad CSV row) throws `ImportFailed` listing each one with its fix.
    public static func load(files: CountyFiles) throws -> CountyLayers {
        var problems: [ImportProblem] = []
        let grids = try readGrids(files.grids, &problems)
        let validator = PolygonValidator(context: GEOSContext(), makeValid: false)
        func polygons(_ path: String?, _ idField: String) throws -> [ValidFeature] {
            guard let path else { return [] }
            return try CountyImporter.readLayer(path, idField: idField, validator: validator, transformer: nil, &problems)
        }
        let towns = try polygons(files.towns, "town_id").map {
            Town(townID: $0.id, name: $0.properties["name"]?.stringValue ?? $0.id, geometry: $0.geometry)
        }
        let villages = try polygons(files.villages, "village_id").map {
            Village(villageID: $0.id, townID: $0.properties["town_id"]?.identifierValue,
                    name: $0.properties["name"]?.stringValue ?? $0.id, geometry: $0.geometry)
        }
        let countyFeatures = try polygons(files.county, "county_id")
        let buildings = try polygons(files.buildings, "building_id").map { f in
            Building(buildingID: f.id, gridID: f.properties["grid_id"]?.identifierValue,
                     villageID: f.properties["village_id"]?.identifierValue,
                     kind: f.properties["kind"]?.stringValue ?? "urban",
                     floors: f.properties["floors"]?.doubleValue.map { Int($0) }, geometry: f.geometry)
        }
        let tables = TableReader(gridIDs: Set(grids.map(\.gridID)), buildingIDs: Set(buildings.map(\.buildingID)))
        let households = try files.households.map { try tables.households($0, &problems) } ?? []
        let staff = try files.staff.map { try tables.staff($0, &problems) } ?? []
        let incidents = try files.incidents.map { try tables.incidents($0, &problems) } ?? []
        if problems.contains(where: { $0.severity == .error }) { throw ImportFailed(problems: problems) }

        var layers = CountyLayers(towns: towns, villages: villages, grids: grids, buildings: buildings,
                                  households: households, staff: staff, incidents: incidents)
        if !countyFeatures.isEmpty {
            layers.county = .multiPolygon(MultiPolygon(countyFeatures.flatMap(\.geometry.polygons)))
        } else if !towns.isEmpty {
            layers.county = .multiPolygon(MultiPolygon(towns.flatMap(\.geometry.polygons)))
        }
        try layers.checkGridValidity()
        return layers
    }

    /// Grids straight from GeoJSON: polygonal geometries are kept even when invalid (validity is checked later).
    static func readGrids(_ path: String, _ problems: inout [ImportProblem]) throws -> [Grid] {
        let file = fileName(path)
        let reader: GeoJSONFeatureReader
        do {
            reader = try GeoJSONFeatureReader(path: path)
        } catch {
            throw ImportFailed(problems: [ImportProblem(file: file, place: "file", reason: "cannot read the file: \(error)",
                                                        fix: "check the path, and that the file is GeoJSON")])
        }
        var grids: [Grid] = []
        var seen: Set<String> = []
        while let record = try reader.next() {
            let place = record.location.description
            guard let id = record.properties["grid_id"]?.identifierValue ?? record.id?.description, !id.isEmpty else {
                problems.append(ImportProblem(file: file, place: place, field: "grid_id", reason: "the feature has no id",
                                              fix: "set the Feature \"id\" or a \"grid_id\" property"))
                continue
            }
            guard seen.insert(id).inserted else {
                problems.append(ImportProblem(file: file, place: place, featureID: id, field: "grid_id",
                                              reason: "duplicate id \(id)", fix: "give every grid its own id"))
                continue
            }
            let geometry: Geometry
            switch record.geometry {
            case .success(.some(let g)) where g.typeName == "Polygon" || g.typeName == "MultiPolygon":
                geometry = g
            case .success(let g):
                problems.append(ImportProblem(file: file, place: place, featureID: id, field: "geometry",
                                              reason: "expected a Polygon or MultiPolygon, found \(g?.typeName ?? "null")",
                                              fix: "export the grid layer as polygons"))
                continue
            case .failure(let error):
                problems.append(ImportProblem(file: file, place: place, featureID: id, field: error.path,
                                              reason: "unreadable geometry: \(error.reason)",
                                              fix: "write the geometry as GeoJSON Polygon or MultiPolygon coordinates"))
                continue
            }
            var extra = record.properties
            for key in ["grid_id", "village_id", "town_id", "name"] { extra.removeValue(forKey: key) }
            grids.append(Grid(gridID: id, villageID: record.properties["village_id"]?.identifierValue,
                              townID: record.properties["town_id"]?.identifierValue,
                              name: record.properties["name"]?.stringValue ?? id, geometry: geometry,
                              extraProperties: JSONValue.object(extra).jsonText))
        }
        return grids
    }

    /// Fills `invalidGrids` with GEOS's verdict on every grid.
    mutating func checkGridValidity() throws {
        let context = GEOSContext()
        invalidGrids = [:]
        for grid in grids {
            let reason: String?
            do {
                let geos = try GEOSGeometry(grid.geometry, context: context)
                if case .invalid(let why, let location) = try geos.validity() {
                    reason = location.map { "\(why) at \(describe($0))" } ?? why
                } else {
                    reason = nil
                }
            } catch {
                reason = "GEOS cannot build the geometry: \(error)"
            }
            if let reason { invalidGrids[grid.gridID] = reason }
        }
    }
}
