import Foundation
import GeoJSON

/// Everything the planner reads: boundaries of one boundary version, people and incident history.
///
/// Load it from a county database (`init(store:version:)`) or from a folder in the sample layout
/// (`init(directory:)`: villages.geojson, grids.geojson, buildings.geojson, households.csv, incidents.csv,
/// staff.csv). A proposal folder (`withProposal(directory:)`) can replace the grids and the buildings' grids,
/// so edits chain: rebalance, then move a few buildings, then diff and apply.
public struct PlanningCounty: Sendable {
    public var villages: [Village]
    public var grids: [Grid]
    public var buildings: [Building]
    public var households: [Household]
    public var incidents: [IncidentRecord]
    public var staff: [StaffMember]
    /// Where the data came from, for reports.
    public var source: String

    public init(villages: [Village], grids: [Grid], buildings: [Building], households: [Household],
                incidents: [IncidentRecord], staff: [StaffMember], source: String) {
        self.villages = villages
        self.grids = grids
        self.buildings = buildings
        self.households = households
        self.incidents = incidents
        self.staff = staff
        self.source = source
    }

    /// Reads a boundary version (default: the newest) and the people of a county database.
    public init(store: any CountyStore, version: Int? = nil) throws {
        let v = try store.resolve(version)
        self.init(villages: try store.villages(version: v), grids: try store.grids(version: v),
                  buildings: try store.buildings(version: v), households: try store.households(),
                  incidents: try store.incidentHistory(), staff: try store.staff(),
                  source: "boundary version \(v)")
    }

    /// Reads a folder in the sample layout, validating like an import (throws `ImportFailed`, purpose `.planning`, listing every problem).
    public init(directory: String) throws {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        for required in ["villages.geojson", "grids.geojson", "buildings.geojson", "households.csv"]
        where !FileManager.default.fileExists(atPath: path(required)) {
            throw PlanningError("\(directory) has no \(required); a planning folder holds villages.geojson, " +
                                "grids.geojson, buildings.geojson, households.csv (and incidents.csv, staff.csv)")
        }
        let reader = LayerReader(policy: .strict, purpose: .planning)
        var problems: [ImportProblem] = []
        let villages = reader.villages(path("villages.geojson"), problems: &problems)
        let grids = reader.grids(path("grids.geojson"), problems: &problems)
        let buildings = reader.buildings(path("buildings.geojson"), problems: &problems)
        let tables = TableReader(gridIDs: Set(grids.map(\.gridID)), buildingIDs: Set(buildings.map(\.buildingID)))
        let households = try tables.households(path("households.csv"), &problems)
        let incidents = FileManager.default.fileExists(atPath: path("incidents.csv"))
            ? try tables.incidents(path("incidents.csv"), &problems) : []
        let staff = FileManager.default.fileExists(atPath: path("staff.csv"))
            ? try tables.staff(path("staff.csv"), &problems) : []
        try reader.refuseOnErrors(problems)
        self.init(villages: villages, grids: grids, buildings: buildings, households: households,
                  incidents: incidents, staff: staff, source: directory)
    }

    /// This county with the grids of a proposal folder (its grids.geojson, and buildings.geojson for the
    /// buildings' grids), e.g. to edit a proposal further or to compare it.
    public func withProposal(directory: String) throws -> PlanningCounty {
        let gridsPath = (directory as NSString).appendingPathComponent("grids.geojson")
        let buildingsPath = (directory as NSString).appendingPathComponent("buildings.geojson")
        guard FileManager.default.fileExists(atPath: gridsPath), FileManager.default.fileExists(atPath: buildingsPath)
        else {
            throw PlanningError("\(directory) is not a proposal folder: it needs grids.geojson and buildings.geojson " +
                                "(as written by `gridwork plan rebalance --out DIR`)")
        }
        var copy = self
        let reader = LayerReader(policy: .strict, purpose: .planning)
        var problems: [ImportProblem] = []
        copy.grids = reader.grids(gridsPath, problems: &problems)
        copy.buildings = reader.buildings(buildingsPath, problems: &problems)
        let villagesPath = (directory as NSString).appendingPathComponent("villages.geojson")
        if FileManager.default.fileExists(atPath: villagesPath) { copy.villages = reader.villages(villagesPath, problems: &problems) }
        try reader.refuseOnErrors(problems)
        copy.source = "\(source) with proposal \(directory)"
        return copy
    }
}
