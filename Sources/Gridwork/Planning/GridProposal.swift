import Foundation
import GeoJSON
import GridGeometry

/// One grid of a proposal.
public struct ProposedGrid: Sendable, Hashable {
    public enum Change: String, Sendable, Codable {
        /// Same parcels as the current grid of the same id: its geometry is the current one, untouched.
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
    /// Current grids that no longer exist.
    public var retiredGridIDs: [String]
    /// Why the band could not be reached somewhere, and other things a planner should know.
    public var notes: [String]
    /// The villages the operation worked on (figures are given over their grids).
    public var scopeVillageIDs: [String]
    public var band: Double
    public var seed: UInt64

    /// The new grid id of each building (nil for a building in no parcel).
    public func buildingGridIDs() -> [String?] {
        var gridOfParcel = [String?](repeating: nil, count: map.parcels.count)
        for g in grids { for p in g.parcels { gridOfParcel[p] = g.gridID } }
        return map.parcelOfBuilding.map { $0.flatMap { gridOfParcel[$0] } }
    }

    /// The county as it would be with this proposal applied (grids and the buildings' grid ids).
    public func proposedCounty() -> PlanningCounty {
        var county = map.county
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
    /// numbering. A district whose parcels are exactly a current grid's keeps that grid's geometry untouched; any
    /// other is the GEOS union of its parcels.
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
        var grids: [ProposedGrid] = []
        for (d, parcels) in districts.enumerated() where !parcels.isEmpty {
            let v = map.parcels[parcels[0]].villageIndex
            let village = county.villages[v]
            let frame = MetricFrame(latitude: ParcelMap.centre(of: village.geometry).y)
            let counts = parcels.reduce(WorkloadCounts()) { $0 + map.parcels[$1].counts }
            let sorted = parcels.sorted()
            let id: String, name: String, change: ProposedGrid.Change, geometry: Geometry
            if let g = gridOfDistrict[d] {
                id = county.grids[g].gridID
                name = county.grids[g].name
                if parcelsOfGrid[g] == sorted {
                    change = .unchanged
                    geometry = county.grids[g].geometry
                } else {
                    change = .changed
                    geometry = try union(parcels: sorted, map: map, context: context)
                }
            } else {
                id = newID(village: village)
                name = "\(village.name) \(id)"
                change = .new
                geometry = try union(parcels: sorted, map: map, context: context)
            }
            let area = sorted.reduce(0) { $0 + map.parcels[$1].areaM2 }
            let perimeter = frame.perimeter(geometry)
            grids.append(ProposedGrid(gridID: id, villageID: village.villageID, townID: village.townID, name: name,
                                      parcels: sorted, geometry: geometry, counts: counts,
                                      workload: map.weights.rawWorkload(of: counts), areaM2: area,
                                      polsbyPopper: perimeter > 0 ? 4 * .pi * area / (perimeter * perimeter) : 0,
                                      change: change, locked: gridOfDistrict[d].map(locked.contains) ?? false))
        }
        grids.sort { $0.gridID < $1.gridID }
        let retired = county.grids.indices.filter { !takenGrid.contains($0) }.map { county.grids[$0].gridID }
        return GridProposal(operation: operation, map: map, grids: grids, retiredGridIDs: retired, notes: notes,
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
