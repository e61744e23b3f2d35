import Foundation
import GeoJSON
import OrderedCollections

/// Writes a proposal folder a planner opens in QGIS:
/// - `grids.geojson`: the proposed grids (coordinates at full double precision, so they tile exactly as computed) (grid_id, village_id, town_id, name, workload, households, residents,
///   incidents, polsby_popper, change, locked), ready for `gridwork plan apply`;
/// - `buildings.geojson`: every building with its proposed grid_id;
/// - `moves.csv`: each building that changes grid, with its households;
/// - `report.md`: before/after figures, notes, workers affected; `proposal.svg`: a picture of the scope.
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
        for g in proposal.grids {
            try grids.write(Feature(id: .string(g.gridID), geometry: g.geometry, properties: [
                "grid_id": .string(g.gridID), "village_id": .string(g.villageID),
                "town_id": g.townID.map(JSONValue.string) ?? .null, "name": .string(g.name),
                "workload": .number((g.workload * 100).rounded() / 100), "households": .number(Double(g.counts.households)),
                "residents": .number(Double(g.counts.residents)), "incidents": .number(Double(g.counts.incidents)),
                "polsby_popper": .number((g.polsbyPopper * 1000).rounded() / 1000), "change": .string(g.change.rawValue),
                "locked": .bool(g.locked),
            ]))
        }
        try grids.finish()

        let ids = proposal.buildingGridIDs()
        let buildings = try GeoJSONFeatureWriter(path: path("buildings.geojson"))
        for (b, building) in county.buildings.enumerated() {
            var properties: OrderedDictionary<String, JSONValue> = [
                "building_id": .string(building.buildingID),
                "grid_id": (ids[b] ?? building.gridID).map(JSONValue.string) ?? .null,
                "village_id": building.villageID.map(JSONValue.string) ?? .null, "kind": .string(building.kind),
            ]
            if let floors = building.floors { properties["floors"] = .number(Double(floors)) }
            if let old = building.gridID, old != ids[b] { properties["previous_grid_id"] = .string(old) }
            try buildings.write(Feature(id: .string(building.buildingID), geometry: building.geometry, properties: properties))
        }
        try buildings.finish()

        let diff = PlanDiff(before: county, after: proposal.proposedCounty(), weights: proposal.map.weights, band: band,
                            villages: Set(proposal.scopeVillageIDs))
        try Self.writeMoves(diff, to: path("moves.csv"))
        var report = diff.markdown(title: "Proposal: \(proposal.operation)")
        report += "\nSource: \(county.source). Seed \(proposal.seed). Workload index: \(proposal.map.weights.description)"
        if let start = proposal.map.incidentWindowStart { report += ", window from \(start)" }
        report += ". Parcels: \(proposal.map.parcels.count).\n"
        if !proposal.notes.isEmpty {
            report += "\n## Why the band is not reached everywhere\n\n" + proposal.notes.prefix(80).map { "- \($0)" }.joined(separator: "\n") + "\n"
            if proposal.notes.count > 80 { report += "- … and \(proposal.notes.count - 80) more\n" }
        }
        if !proposal.map.unplacedHouseholds.isEmpty {
            report += "\n\(proposal.map.unplacedHouseholds.count) household(s) have neither a building in a grid nor a location: not counted.\n"
        }
        report += "\n![proposal](proposal.svg)\n"
        try report.write(toFile: path("report.md"), atomically: true, encoding: .utf8)
        try ProposalPicture(proposal: proposal).svg().write(toFile: path("proposal.svg"), atomically: true, encoding: .utf8)
        return diff
    }

    static func writeMoves(_ diff: PlanDiff, to path: String) throws {
        let csv = try CSVWriter(path: path)
        try csv.write(["building_id", "households", "from_grid_id", "to_grid_id"])
        for m in diff.buildingMoves { try csv.write([m.buildingID, String(m.households), m.from ?? "", m.to ?? ""]) }
        try csv.close()
    }
}

/// An SVG picture of a proposal over its scope: grids coloured by deviation from the mean (blue under, white in
/// band, red over), proposed boundaries in black, current ones dashed grey underneath.
struct ProposalPicture {
    let proposal: GridProposal

    func svg(width: Double = 1000) -> String {
        let scope = Set(proposal.scopeVillageIDs)
        let grids = proposal.grids.filter { scope.contains($0.villageID) }
        let old = proposal.map.county.grids.filter { scope.contains($0.villageID ?? "") }
        var box = BoundingBox(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
        for g in grids { if let b = g.geometry.boundingBox { box.extend(b) } }
        guard box.minX.isFinite else { return "<svg xmlns=\"http://www.w3.org/2000/svg\"/>" }
        let kx = cos((box.minY + box.maxY) / 2 * .pi / 180)
        let scale = width / max((box.maxX - box.minX) * kx, 1e-12)
        let height = (box.maxY - box.minY) * scale + 40
        func path(_ geometry: Geometry) -> String {
            geometry.polygons.flatMap(\.rings).map { ring in
                "M" + ring.positions.map { String(format: "%.1f,%.1f", ($0.x - box.minX) * kx * scale, (box.maxY - $0.y) * scale + 30) }
                    .joined(separator: "L") + "Z"
            }.joined()
        }
        let mean = grids.reduce(0) { $0 + $1.workload } / Double(max(1, grids.count))
        func colour(_ w: Double) -> String {
            let d = mean > 0 ? (w - mean) / mean : 0
            if abs(d) <= proposal.band { return "#f4f4f4" }
            let t = min(1, (abs(d) - proposal.band) / 0.5)
            let c = Int(230 - 150 * t)
            return d > 0 ? "rgb(240,\(c),\(c))" : "rgb(\(c),\(c),240)"
        }
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\">",
                   "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                   "<text x=\"4\" y=\"18\" font-size=\"14\">\(proposal.operation): \(grids.count) grids; white within ±\(Int(proposal.band * 100))% of the mean workload, red above, blue below; dashed: current grids</text>"]
        for g in grids {
            out.append("<path d=\"\(path(g.geometry))\" fill=\"\(colour(g.workload))\" fill-rule=\"evenodd\" stroke=\"none\"><title>\(g.gridID) workload \(Int(g.workload))</title></path>")
        }
        for g in old { out.append("<path d=\"\(path(g.geometry))\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.6\" stroke-dasharray=\"3,2\"/>") }
        for g in grids { out.append("<path d=\"\(path(g.geometry))\" fill=\"none\" stroke=\"black\" stroke-width=\"0.9\"/>") }
        out.append("</svg>")
        return out.joined(separator: "\n")
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
        let check = try ProposalCheck.check(villages: try store.villages(), grids: try LayerFile.grids(path: grids))
        if !check.problems.isEmpty { throw ImportFailed(problems: check.problems) }
        var options = ImportOptions(grids: grids)
        options.buildings = buildings
        options.note = note.isEmpty ? "plan apply \(fileName(proposalDirectory))" : note
        options.dryRun = dryRun
        return try CountyImporter(options: options).run(into: store)
    }
}
