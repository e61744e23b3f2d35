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

        // The villages, noded with the grids (same shapes; the grids' cut points on village lines are vertices of
        // the villages too), at full precision: `apply` imports them with the grids.
        let villages = try GeoJSONFeatureWriter(path: path("villages.geojson"), options: GeoJSONWriteOptions(precision: 15))
        for v in proposal.villages {
            try villages.write(Feature(id: .string(v.villageID), geometry: v.geometry, properties: [
                "village_id": .string(v.villageID), "town_id": v.townID.map(JSONValue.string) ?? .null, "name": .string(v.name),
            ]))
        }
        try villages.finish()

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
        let check = try ProposalCheck.compare(villages: county.villages.filter { scope.contains($0.villageID) },
                                              before: county.grids.filter { scope.contains($0.villageID ?? "") },
                                              after: proposed.grids.filter { scope.contains($0.villageID ?? "") })
        report += "\nTiling check (GEOS, against today's grids of the \(scope.count) village(s), slivers under " +
            "\(CoverageOptions().toleranceMetres) m as in `gridwork coverage`): " + (check.problems.isEmpty
            ? String(format: "no new gap, overlap or crossing of a village line; ground no proposed grid covers any more " +
                     "%.4f m², new overlap %.4f m² (%d sliver part(s) of overlay noise); overlaps carried over %.1f m².\n",
                     check.lostAreaM2, check.newOverlapAreaM2, check.slivers, check.carriedOverlapAreaM2)
            : "\(check.problems.count) problem(s):\n" + check.problems.prefix(20).map { "- \($0)" }.joined(separator: "\n") + "\n")
        if let trade = proposal.compactness {
            report += String(format: "\nCompactness: median Polsby-Popper of the scope's grids %.3f before, %.3f after (%+.1f%%); ",
                             trade.medianBefore, trade.medianAfter, trade.change * 100)
            report += trade.traded
                ? "--trade-compactness was given, so balance was allowed to cost compactness.\n"
                : "the guard keeps the fall within \(Int((trade.guardShare * 100).rounded()))%" +
                  (trade.villagesKept.isEmpty ? ".\n" : " by leaving \(trade.villagesKept.count) village part(s) as they are.\n")
        }
        let map = proposal.map
        let inScope = Set(proposal.scopeVillageIDs)
        let straddling = map.straddlingBuildings.filter { $0.villageIDs.contains(where: inScope.contains) }
        if !straddling.isEmpty || !map.overlaps.isEmpty || !map.exclaves.isEmpty || !map.buildingsOutsideEveryGrid.isEmpty {
            report += "\n## Faults of today's grids, carried over\n\n"
            let across = straddling.filter(\.crossesVillageLine)
            if !straddling.isEmpty {
                report += "- \(straddling.count) building(s) are not inside one grid (\(across.count) cross a village line); each belongs to " +
                    "the grid holding most of its footprint and never moves other grids' or villages' ground:\n"
                for b in straddling.prefix(40) {
                    report += "  - \(b.buildingID): grid \(b.gridID) (\(Int((b.shareInGrid * 100).rounded()))% of it), also in " +
                        "\(b.gridIDs.dropFirst().joined(separator: ", "))\(b.crossesVillageLine ? ", across villages \(b.villageIDs.joined(separator: " | "))" : "")\n"
                }
                if straddling.count > 40 { report += "  - … and \(straddling.count - 40) more\n" }
            }
            for o in map.overlaps.prefix(20) {
                report += "- grids \(o.lowerGridID) and \(o.higherGridID) overlap by \(String(format: "%.1f", o.areaM2)) m²: " +
                    "the overlap counts in \(o.lowerGridID) (lowest id, as the reports) and is carried over, never enlarged\n"
            }
            for e in map.exclaves.prefix(20) { report += "- \(e)\n" }
            if !map.buildingsOutsideEveryGrid.isEmpty {
                report += "- buildings in no grid (listed, not moved): \(map.buildingsOutsideEveryGrid.prefix(30).joined(separator: ", "))\n"
            }
            if !map.gridsWithoutTerritory.isEmpty {
                report += "- grids wholly inside lower-id grids, retired: \(map.gridsWithoutTerritory.joined(separator: ", "))\n"
            }
        }
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
/// validated exactly like any import; the previous version stays as history. Grids are first compared with
/// today's (`ProposalCheck.compare`): only real new gaps, overlaps and crossings of village lines are refused,
/// with the coverage report's sliver tolerance, so a county `import` accepted can be changed.
public struct PlanApplier {
    public var proposalDirectory: String
    public var note: String

    public init(proposalDirectory: String, note: String = "") {
        self.proposalDirectory = proposalDirectory
        self.note = note
    }

    public func apply(to store: any CountyStore, dryRun: Bool = false) throws -> ImportSummary {
        let grids = (proposalDirectory as NSString).appendingPathComponent("grids.geojson")
        let buildings = (proposalDirectory as NSString).appendingPathComponent("buildings.geojson")
        guard FileManager.default.fileExists(atPath: grids), FileManager.default.fileExists(atPath: buildings) else {
            throw PlanningError("\(proposalDirectory) is not a proposal folder (grids.geojson and buildings.geojson); " +
                                "make one with `gridwork plan rebalance --out DIR`")
        }
        let proposed = try LayerReader(policy: .strict, purpose: .import).read { $0.grids(grids, problems: &$1) }
        let check = try ProposalCheck.compare(villages: try store.villages(), before: try store.grids(), after: proposed)
        if !check.problems.isEmpty { throw ImportFailed(problems: check.problems) }
        var options = ImportOptions(grids: grids)
        options.buildings = buildings
        let villages = (proposalDirectory as NSString).appendingPathComponent("villages.geojson")
        if FileManager.default.fileExists(atPath: villages) { options.villages = villages }
        options.note = note.isEmpty ? "plan apply \(fileName(proposalDirectory))" : note
        options.dryRun = dryRun
        return try CountyImporter(options: options).run(into: store)
    }
}
