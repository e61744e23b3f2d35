import Foundation
import GeoJSON
import GridGeometry

/// What a rebalance did to compactness: the median Polsby-Popper of the scope's grids before and after, and the
/// village parts left as they are to keep the fall within the guard.
public struct CompactnessTrade: Sendable, Hashable {
    public var medianBefore: Double
    public var medianAfter: Double
    public var guardShare: Double
    public var traded: Bool
    public var villagesKept: [String]
    /// Relative change of the median (negative: less compact).
    public var change: Double { medianBefore > 0 ? medianAfter / medianBefore - 1 : 0 }
}

/// One grid of a proposal.
public struct ProposedGrid: Sendable, Hashable {
    public enum Change: String, Sendable, Codable {
        /// Exactly the territory of the current grid of the same id: its geometry is the current one (vertices of
        /// neighbours' new cut lines are inserted into its edges; the shape is the same).
        case unchanged
        /// Keeps the id of the current grid it overlaps most, with other parcels.
        case changed
        /// A grid with a new id.
        case new
    }

    public var gridID: String
    public var villageID: String
    public var townID: String?
    public var name: String
    public var parcels: [Int]
    public var geometry: Geometry
    public var counts: WorkloadCounts
    public var workload: Double
    public var areaM2: Double
    public var polsbyPopper: Double
    public var change: Change
    public var locked: Bool
}

/// A proposal: the county's grids after a rebalance or an edit, built from whole parcels, with notes saying what
/// could not be done and why. Nothing is written to a database until `PlanApplier` applies its folder.
public struct GridProposal: Sendable {
    public var operation: String
    public var map: ParcelMap
    public var grids: [ProposedGrid]
    /// The villages, noded with the proposed grids: the same shapes, with the grids' new cut points on village
    /// lines inserted as vertices (written to villages.geojson and applied with the grids).
    public var villages: [Village]
    /// Current grids that no longer exist.
    public var retiredGridIDs: [String]
    /// Why the band could not be reached somewhere, and other things a planner should know.
    public var notes: [String]
    /// The villages the operation worked on (figures are given over their grids).
    public var scopeVillageIDs: [String]
    public var band: Double
    public var seed: UInt64
    /// The median Polsby-Popper of the scope before and after (rebalance only; estimated from parcels).
    public var compactness: CompactnessTrade?

    /// The new grid id of each building (nil for a building in no parcel).
    public func buildingGridIDs() -> [String?] {
        var gridOfParcel = [String?](repeating: nil, count: map.parcels.count)
        for g in grids { for p in g.parcels { gridOfParcel[p] = g.gridID } }
        return map.parcelOfBuilding.map { $0.flatMap { gridOfParcel[$0] } }
    }

    /// The county as it would be with this proposal applied (grids and the buildings' grid ids).
    public func proposedCounty() -> PlanningCounty {
        var county = map.county
        county.villages = villages
        county.grids = grids.map { g in
            Grid(gridID: g.gridID, villageID: g.villageID, townID: g.townID, name: g.name, geometry: g.geometry)
        }
        let ids = buildingGridIDs()
        for b in county.buildings.indices { county.buildings[b].gridID = ids[b] ?? county.buildings[b].gridID }
        county.source = "\(map.county.source), proposal: \(operation)"
        return county
    }

    /// Builds the proposal from districts (sets of parcels). Each district gets the id of the current grid it shares
    /// most area with (each current id goes to one district at most); the others get new ids in their village's
    /// numbering. A district whose parcels are exactly a current grid's territory keeps that grid's geometry; any
    /// other is the GEOS union of its parcels. All grids are then noded together, and their figures are the
    /// workload report's on the proposed grids.
    static func build(map: ParcelMap, districts: [[Int]], locked: Set<Int>, operation: String, notes: [String],
                      scope: [Int], band: Double, seed: UInt64) throws -> GridProposal {
        let county = map.county
        var parcelsOfGrid = [[Int]](repeating: [], count: county.grids.count)
        for p in map.parcels { parcelsOfGrid[p.gridIndex].append(p.index) }

        // Ids: greedy matching on shared area.
        var overlaps: [(area: Double, district: Int, grid: Int)] = []
        for (d, parcels) in districts.enumerated() {
            var byGrid: [Int: Double] = [:]
            for p in parcels { byGrid[map.parcels[p].gridIndex, default: 0] += map.parcels[p].areaM2 }
            for (g, area) in byGrid { overlaps.append((area, d, g)) }
        }
        overlaps.sort { ($0.area, -$0.district, -$0.grid) > ($1.area, -$1.district, -$1.grid) }
        var gridOfDistrict = [Int?](repeating: nil, count: districts.count)
        var takenGrid = Set<Int>()
        for o in overlaps where gridOfDistrict[o.district] == nil && !takenGrid.contains(o.grid) {
            gridOfDistrict[o.district] = o.grid
            takenGrid.insert(o.grid)
        }
        var usedIDs = Set(county.grids.map(\.gridID))
        var nextNumber: [String: Int] = [:]
        func newID(village: Village) -> String {
            let prefix = village.villageID + "-G"
            var n = nextNumber[village.villageID] ?? (county.grids.filter { $0.villageID == village.villageID }
                .compactMap { $0.gridID.hasPrefix(prefix) ? Int($0.gridID.dropFirst(prefix.count)) : nil }.max() ?? 0) + 1
            while usedIDs.contains(prefix + String(format: "%02d", n)) { n += 1 }
            nextNumber[village.villageID] = n + 1
            usedIDs.insert(prefix + String(format: "%02d", n))
            return prefix + String(format: "%02d", n)
        }

        let context = GEOSContext()
        struct Draft { var id: String; var name: String; var village: Int; var parcels: [Int]; var change: ProposedGrid.Change
                       var geometry: Geometry; var locked: Bool }
        var drafts: [Draft] = []
        for (d, parcels) in districts.enumerated() where !parcels.isEmpty {
            let v = map.parcels[parcels[0]].villageIndex
            let village = county.villages[v]
            let sorted = parcels.sorted()
            if let g = gridOfDistrict[d] {
                // Unchanged only when the district is exactly the grid's territory: then its geometry is today's
                // (an overlap it had with a lower id is carried over, not enlarged).
                let same = parcelsOfGrid[g] == sorted
                let geometry = same ? county.grids[g].geometry : try union(parcels: sorted, map: map, context: context)
                drafts.append(Draft(id: county.grids[g].gridID, name: county.grids[g].name, village: v, parcels: sorted,
                                    change: same ? .unchanged : .changed, geometry: geometry, locked: locked.contains(g)))
            } else {
                let id = newID(village: village)
                drafts.append(Draft(id: id, name: "\(village.name) \(id)", village: v, parcels: sorted, change: .new,
                                    geometry: try union(parcels: sorted, map: map, context: context), locked: false))
            }
        }

        // Shared edges stay shared: node all grids of the county together, so a cut point on an edge is a vertex
        // of both grids along it (an unchanged neighbour gets the vertex inserted into its edge; its shape does not
        // change). Without this, `gridwork coverage` finds slivers along every cut line.
        // The villages are noded with them: a cut point on a village line is then a vertex of the village too, so
        // the grids cover their village exactly (the villages are written with the proposal and applied with it).
        var flat: [Polygon] = []
        var partsOf: [Range<Int>] = []
        for geometry in drafts.map(\.geometry) + county.villages.map(\.geometry) {
            let start = flat.count
            flat += geometry.polygons
            partsOf.append(start..<flat.count)
        }
        Noder.node(&flat, tolerance: 1e-10)
        func noded(_ k: Int) -> Geometry {
            let parts = Array(flat[partsOf[k]])
            return parts.count == 1 ? .polygon(parts[0]) : .multiPolygon(MultiPolygon(parts))
        }
        for k in drafts.indices { drafts[k].geometry = noded(k) }
        var villages = county.villages
        for v in villages.indices { villages[v].geometry = noded(drafts.count + v) }

        // Figures: the workload report itself on the proposed grids and the buildings' proposed grids, so the
        // proposal shows what `gridwork workload` will show after `apply` (same lowest-id rule on shared edges).
        var gridOfParcel = [String?](repeating: nil, count: map.parcels.count)
        for draft in drafts { for p in draft.parcels { gridOfParcel[p] = draft.id } }
        var buildings = county.buildings
        for b in buildings.indices {
            if let id = map.parcelOfBuilding[b].flatMap({ gridOfParcel[$0] }) { buildings[b].gridID = id }
        }
        let proposedGrids = drafts.map { d in
            Grid(gridID: d.id, villageID: county.villages[d.village].villageID, townID: county.villages[d.village].townID,
                 name: d.name, geometry: d.geometry)
        }
        let report = try WorkloadReport.compute(
            CountyLayers(villages: villages, grids: proposedGrids, buildings: buildings,
                         households: county.households, staff: county.staff, incidents: county.incidents),
            options: WorkloadOptions(weights: map.weights, windowDays: map.windowDays))
        let rows = Dictionary(report.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })

        var grids: [ProposedGrid] = []
        for draft in drafts {
            let village = county.villages[draft.village]
            let frame = MetricFrame(latitude: ParcelMap.centre(of: village.geometry).y)
            let counts = rows[draft.id]?.counts ?? WorkloadCounts()
            let area = frame.area(draft.geometry), perimeter = frame.perimeter(draft.geometry)
            grids.append(ProposedGrid(gridID: draft.id, villageID: village.villageID, townID: village.townID, name: draft.name,
                                      parcels: draft.parcels, geometry: draft.geometry, counts: counts,
                                      workload: rows[draft.id]?.rawWorkload ?? 0, areaM2: area,
                                      polsbyPopper: perimeter > 0 ? 4 * .pi * area / (perimeter * perimeter) : 0,
                                      change: draft.change, locked: draft.locked))
        }
        grids.sort { $0.gridID < $1.gridID }
        let retired = county.grids.indices.filter { !takenGrid.contains($0) }.map { county.grids[$0].gridID }
        return GridProposal(operation: operation, map: map, grids: grids, villages: villages, retiredGridIDs: retired, notes: notes,
                            scopeVillageIDs: scope.map { county.villages[$0].villageID }, band: band, seed: seed)
    }

    /// The GEOS union of parcels (`unaryUnion`), as one polygon when the parcels are connected.
    static func union(parcels: [Int], map: ParcelMap, context: GEOSContext) throws -> Geometry {
        let parts = try parcels.map { try GEOSGeometry(map.parcels[$0].geometry, context: context) }
        let merged = try GEOSGeometry.collection(parts, context: context).unaryUnion().polygonalPart().toGeometry()
        let polygons = merged.polygons
        return polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
    }
}
