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
    public static func load(store: any CountyStore, version: Int? = nil) throws -> CountyLayers {
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

    /// Reads the layers from files. Grids are read with `LayerReader`'s `.keepInvalid` policy (an invalid geometry
    /// is kept and named in `invalidGrids`), the other layers strictly; any error (unreadable file, JSON syntax, a
    /// missing or duplicate id, a bad CSV row) throws `ImportFailed` (purpose `.report`) listing each one with its fix.
    public static func load(files: CountyFiles) throws -> CountyLayers {
        var problems: [ImportProblem] = []
        let context = GEOSContext()
        let lenient = LayerReader(policy: .keepInvalid, purpose: .report, context: context)
        let strict = LayerReader(policy: .strict, purpose: .report, context: context)
        let grids = lenient.grids(files.grids, problems: &problems)
        let towns = files.towns.map { strict.towns($0, problems: &problems) } ?? []
        let villages = files.villages.map { strict.villages($0, problems: &problems) } ?? []
        let countyFeatures = files.county.map { strict.features($0, idField: "county_id", problems: &problems) } ?? []
        let buildings = files.buildings.map { strict.buildings($0, problems: &problems) } ?? []
        let tables = TableReader(gridIDs: Set(grids.map(\.gridID)), buildingIDs: Set(buildings.map(\.buildingID)))
        let households = try files.households.map { try tables.households($0, &problems) } ?? []
        let staff = try files.staff.map { try tables.staff($0, &problems) } ?? []
        let incidents = try files.incidents.map { try tables.incidents($0, &problems) } ?? []
        try strict.refuseOnErrors(problems)

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
