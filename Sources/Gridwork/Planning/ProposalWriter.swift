import Foundation
import GeoJSON
import OrderedCollections

/// Writes a proposal folder a planner opens in QGIS:
/// - `grids.geojson`: the proposed grids (coordinates at full double precision, so they tile exactly as computed) (grid_id, village_id, town_id, name, workload, households, residents,
///   incidents, polsby_popper, change, locked), ready for `gridwork plan apply`;
/// - `buildings.geojson`: every building with its proposed grid_id;
/// - `moves.csv`: each building that changes grid, with its households;
/// - `proposal.gpkg`: the same two layers as a GeoPackage (`OGRLayerWriter`, GDAL);
/// - `report.md`: before/after figures, notes, workers affected; `proposal.png`: a picture of the scope.
public struct ProposalWriter {
    public let proposal: GridProposal

    public init(proposal: GridProposal) {
        self.proposal = proposal
    }

    /// Writes the folder and returns the diff it reported on.
    @discardableResult
    public func write(to directory: String) throws -> PlanDiff {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let county = proposal.map.county
        let band = proposal.band

        // Full double precision: cut lines cross the old grid edges at points no 7-decimal coordinate holds, and
        // rounding them would open centimetre slivers between neighbours. Written exactly, the grids tile as computed.
        let grids = try GeoJSONFeatureWriter(path: path("grids.geojson"), options: GeoJSONWriteOptions(precision: 15))
        var gridFeatures: [Feature] = []
        for g in proposal.grids {
            gridFeatures.append(Feature(id: .string(g.gridID), geometry: g.geometry, properties: [
                "grid_id": .string(g.gridID), "village_id": .string(g.villageID),
                "town_id": g.townID.map(JSONValue.string) ?? .null, "name": .string(g.name),
                "workload": .number((g.workload * 100).rounded() / 100), "households": .number(Double(g.counts.households)),
                "residents": .number(Double(g.counts.residents)), "incidents": .number(Double(g.counts.incidents)),
                "polsby_popper": .number((g.polsbyPopper * 1000).rounded() / 1000), "change": .string(g.change.rawValue),
                "locked": .bool(g.locked),
            ]))
            try grids.write(gridFeatures[gridFeatures.count - 1])
        }
        try grids.finish()

        let ids = proposal.buildingGridIDs()
        let buildings = try GeoJSONFeatureWriter(path: path("buildings.geojson"))
        var buildingFeatures: [Feature] = []
        for (b, building) in county.buildings.enumerated() {
            var properties: OrderedDictionary<String, JSONValue> = [
                "building_id": .string(building.buildingID),
                "grid_id": (ids[b] ?? building.gridID).map(JSONValue.string) ?? .null,
                "village_id": building.villageID.map(JSONValue.string) ?? .null, "kind": .string(building.kind),
            ]
            if let floors = building.floors { properties["floors"] = .number(Double(floors)) }
            if let old = building.gridID, old != ids[b] { properties["previous_grid_id"] = .string(old) }
            buildingFeatures.append(Feature(id: .string(building.buildingID), geometry: building.geometry, properties: properties))
            try buildings.write(buildingFeatures[buildingFeatures.count - 1])
        }
        try buildings.finish()
        let geopackage = path("proposal.gpkg")
        try? FileManager.default.removeItem(atPath: geopackage)
        try OGRLayerWriter(path: geopackage, format: .gpkg).write(layer: "proposed_grids", features: gridFeatures,
                                                                  description: "proposed grids: \(proposal.operation)")
        try OGRLayerWriter(path: geopackage, format: .gpkg).write(layer: "buildings", features: buildingFeatures,
                                                                  description: "buildings with their proposed grid")

        let diff = try PlanDiff(before: county, after: proposal.proposedCounty(), weights: proposal.map.weights,
                                windowDays: proposal.map.windowDays, band: band,
                            villages: Set(proposal.scopeVillageIDs))
        try diff.writeMoves(to: path("moves.csv"))
        var report = diff.markdown(title: "Proposal: \(proposal.operation)")
        report += "\nSource: \(county.source). Seed \(proposal.seed). Workload: raw workload of the reports' index (WorkloadWeights: households \(proposal.map.weights.households), residents \(proposal.map.weights.residents), buildings \(proposal.map.weights.buildings), area_km2 \(proposal.map.weights.areaKm2), incidents \(proposal.map.weights.incidents), open_incidents \(proposal.map.weights.openIncidents)), incidents of \(proposal.map.windowDays) days"
        if let start = proposal.map.incidentWindowStart { report += ", window from \(start)" }
        report += ". Parcels: \(proposal.map.parcels.count).\n"
        let proposed = proposal.proposedCounty()
        let scope = Set(proposal.scopeVillageIDs)
        let check = try ProposalCheck.check(villages: proposed.villages.filter { scope.contains($0.villageID) },
                                            grids: proposed.grids.filter { scope.contains($0.villageID ?? "") })
        report += "\nTiling check (GEOS, \(scope.count) villages): " + (check.problems.isEmpty
            ? "every grid valid and in one piece; union of each village's grids = the village (largest relative " +
              "difference \(String(format: "%.1e", check.worstTilingError))); largest overlap between two grids " +
              "\(String(format: "%.1e", check.worstOverlap)) of the smaller one.\n"
            : "\(check.problems.count) problem(s):\n" + check.problems.prefix(20).map { "- \($0)" }.joined(separator: "\n") + "\n")
        if !proposal.notes.isEmpty {
            report += "\n## Why the band is not reached everywhere\n\n" + proposal.notes.prefix(300).map { "- \($0)" }.joined(separator: "\n") + "\n"
            if proposal.notes.count > 300 { report += "- … and \(proposal.notes.count - 300) more\n" }
        }
        if !proposal.map.unplacedHouseholds.isEmpty {
            report += "\n\(proposal.map.unplacedHouseholds.count) household(s) have neither a building in a grid nor a location: not counted.\n"
        }
        report += "\n![proposal: grids by workload index (100 = mean; pale yellow 50, orange 100, red 150, dark red 200), " +
            "current grid lines grey, proposed black](proposal.png)\n"
        try report.write(toFile: path("report.md"), atomically: true, encoding: .utf8)
        try ProposalPicture(proposal: proposal).map().writePNG(to: path("proposal.png"))
        return diff
    }
}

/// A PNG picture of a proposal over its scope, drawn with the reports module's `WorkloadMap`: grids filled by
/// workload index (100 = the scope's mean; the report's colour scale), current grid lines in light grey under the
/// proposed ones in black.
struct ProposalPicture {
    let proposal: GridProposal

    func map(width: Int = 1200) -> WorkloadMap {
        let scope = Set(proposal.scopeVillageIDs)
        let grids = proposal.grids.filter { scope.contains($0.villageID) }
        let old = proposal.map.county.grids.filter { scope.contains($0.villageID ?? "") }
        var box: BoundingBox?
        for g in grids { if let b = g.geometry.boundingBox { box = box.map { var m = $0; m.extend(b); return m } ?? b } }
        var picture = WorkloadMap(box: box ?? BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1), width: width)
        let mean = grids.reduce(0) { $0 + $1.workload } / Double(max(1, grids.count))
        for g in grids { picture.fill(g.geometry, colour: WorkloadMap.colour(mean > 0 ? 100 * g.workload / mean : 0)) }
        for g in old { picture.outline(g.geometry, colour: (170, 170, 170)) }
        for g in grids { picture.outline(g.geometry, colour: (0, 0, 0)) }
        return picture
    }
}

/// Makes a proposal folder the new boundary version of a county database, through `CountyImporter`, so it is
/// validated exactly like any import; the previous version stays as history. Grids are first checked to tile
/// their villages (`ProposalCheck`).
public struct PlanApplier {
    public var proposalDirectory: String
    public var note: String

    public init(proposalDirectory: String, note: String = "") {
        self.proposalDirectory = proposalDirectory
        self.note = note
    }

    public func apply(to store: CountyStore, dryRun: Bool = false) throws -> ImportSummary {
        let grids = (proposalDirectory as NSString).appendingPathComponent("grids.geojson")
        let buildings = (proposalDirectory as NSString).appendingPathComponent("buildings.geojson")
        guard FileManager.default.fileExists(atPath: grids), FileManager.default.fileExists(atPath: buildings) else {
            throw PlanningError("\(proposalDirectory) is not a proposal folder (grids.geojson and buildings.geojson); " +
                                "make one with `gridwork plan rebalance --out DIR`")
        }
        let proposed = try LayerReader(policy: .strict, purpose: .import).read { $0.grids(grids, problems: &$1) }
        let check = try ProposalCheck.check(villages: try store.villages(), grids: proposed)
        if !check.problems.isEmpty { throw ImportFailed(problems: check.problems) }
        var options = ImportOptions(grids: grids)
        options.buildings = buildings
        options.note = note.isEmpty ? "plan apply \(fileName(proposalDirectory))" : note
        options.dryRun = dryRun
        return try CountyImporter(options: options).run(into: store)
    }
}
