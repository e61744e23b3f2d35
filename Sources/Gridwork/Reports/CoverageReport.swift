import Foundation
import GeoJSON
import GridGeometry
import GridProjection

/// How the coverage report judges.
public struct CoverageOptions: Sendable, Hashable {
    /// Gaps and overlaps narrower than this (their widest inscribed circle) are slivers: digitising noise, listed
    /// apart from real gaps and overlaps and left out of `gap_area_m2` and `overlap_area_m2`.
    public var toleranceMetres: Double = 0.5

    public init(toleranceMetres: Double = 0.5) {
        self.toleranceMetres = toleranceMetres
    }
}

/// Does the grid layer tile the county? The checks of QGIS's topology checker ("must not have gaps", "must not
/// overlap", "must not have invalid geometries", "must be inside") and of PostGIS's coverage functions, computed with
/// GEOS, plus the people checks a grid office needs (buildings in one grid, households in some grid, a full-time
/// worker per grid, a head per urban building).
///
/// Areas are square metres on the WGS84 ellipsoid (`Geodesic.area`). JSON keys are snake_case (`coverage.json`).
public struct CoverageReport: Sendable, Hashable, Codable {
    public var toleranceMetres: Double
    /// Number of grids checked.
    public var grids: Int
    public var villages: Int
    /// Total area of the real (non-sliver) gaps and overlaps.
    public var gapAreaM2: Double
    public var overlapAreaM2: Double
    public var sliverGapAreaM2: Double
    public var sliverOverlapAreaM2: Double
    /// Parts of a village (or, without villages, of the county, or holes in the grid layer) that no grid covers.
    public var gaps: [Gap]
    public var sliverGaps: [Gap]
    /// Areas two grids both cover.
    public var overlaps: [Overlap]
    public var sliverOverlaps: [Overlap]
    public var invalidGrids: [InvalidGrid]
    /// Grids with a non-sliver part outside their village.
    public var gridsCrossingVillageBoundary: [BoundaryCrossing]
    /// Grids whose village is missing or unknown and that lie in no village (only checked with villages).
    public var gridsWithoutVillage: [String]
    public var buildingsNotWithinOneGrid: [BuildingPlacement]
    /// Households whose location is in no grid.
    public var householdsOutsideEveryGrid: [String]
    public var householdsWithoutLocation: Int
    /// Grids with no full-time grid worker (专职网格员) assigned.
    public var gridsWithoutFullTimeWorker: [String]
    /// Grids whose assigned full-time workers are all off duty (staffed on paper, uncovered today).
    public var gridsWithWorkerOffDuty: [String]
    /// Urban buildings with no building head (楼长) assigned.
    public var buildingsWithoutBuildingHead: [String]
    /// Urban buildings whose building heads are all off duty.
    public var buildingsWithHeadOffDuty: [String]
    public var byTown: [RollUp]
    public var byVillage: [RollUp]
    /// What was not checked for lack of data.
    public var notes: [String]

    public struct Gap: Sendable, Hashable, Codable {
        public var id: String
        public var villageID: String?
        public var townID: String?
        public var areaM2: Double
        public var sliver: Bool
        public var polygon: PolygonalValue
        enum CodingKeys: String, CodingKey {
            case id, sliver, polygon
            case villageID = "village_id", townID = "town_id", areaM2 = "area_m2"
        }
    }

    public struct Overlap: Sendable, Hashable, Codable {
        public var id: String
        /// The two grids, in id order.
        public var grids: [String]
        public var villages: [String]
        public var areaM2: Double
        public var sliver: Bool
        public var polygon: PolygonalValue
        enum CodingKeys: String, CodingKey {
            case id, grids, villages, sliver, polygon
            case areaM2 = "area_m2"
        }
    }

    public struct InvalidGrid: Sendable, Hashable, Codable {
        public var gridID: String
        public var reason: String
        enum CodingKeys: String, CodingKey { case reason, gridID = "grid_id" }
    }

    public struct BoundaryCrossing: Sendable, Hashable, Codable {
        public var gridID: String
        public var villageID: String
        public var areaOutsideM2: Double
        enum CodingKeys: String, CodingKey {
            case gridID = "grid_id", villageID = "village_id", areaOutsideM2 = "area_outside_m2"
        }
    }

    public struct BuildingPlacement: Sendable, Hashable, Codable {
        public var buildingID: String
        /// Grids that cover the whole building (more than one only where grids overlap).
        public var coveringGrids: [String]
        /// Grids the building touches or crosses.
        public var intersectingGrids: [String]
        public var reason: String
        enum CodingKeys: String, CodingKey {
            case reason
            case buildingID = "building_id", coveringGrids = "covering_grids", intersectingGrids = "intersecting_grids"
        }
    }

    /// Totals for one town or village.
    public struct RollUp: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var grids = 0
        public var gridAreaM2 = 0.0
        public var gaps = 0
        public var gapAreaM2 = 0.0
        public var overlaps = 0
        public var overlapAreaM2 = 0.0
        public var invalidGrids = 0
        public var gridsCrossingVillageBoundary = 0
        public var gridsWithoutFullTimeWorker = 0
        enum CodingKeys: String, CodingKey {
            case id, name, grids, gaps, overlaps
            case gridAreaM2 = "grid_area_m2", gapAreaM2 = "gap_area_m2", overlapAreaM2 = "overlap_area_m2"
            case invalidGrids = "invalid_grids", gridsCrossingVillageBoundary = "grids_crossing_village_boundary"
            case gridsWithoutFullTimeWorker = "grids_without_full_time_worker"
        }
    }

    enum CodingKeys: String, CodingKey {
        case grids, villages, gaps, overlaps, notes
        case toleranceMetres = "tolerance_metres"
        case gapAreaM2 = "gap_area_m2", overlapAreaM2 = "overlap_area_m2"
        case sliverGapAreaM2 = "sliver_gap_area_m2", sliverOverlapAreaM2 = "sliver_overlap_area_m2"
        case sliverGaps = "sliver_gaps", sliverOverlaps = "sliver_overlaps", invalidGrids = "invalid_grids"
        case gridsCrossingVillageBoundary = "grids_crossing_village_boundary"
        case gridsWithoutVillage = "grids_without_village"
        case buildingsNotWithinOneGrid = "buildings_not_within_one_grid"
        case householdsOutsideEveryGrid = "households_outside_every_grid"
        case householdsWithoutLocation = "households_without_location"
        case gridsWithoutFullTimeWorker = "grids_without_full_time_worker"
        case gridsWithWorkerOffDuty = "grids_with_worker_off_duty"
        case buildingsWithoutBuildingHead = "buildings_without_building_head"
        case buildingsWithHeadOffDuty = "buildings_with_head_off_duty"
        case byTown = "by_town", byVillage = "by_village"
    }
}

extension CoverageReport {
    /// Runs every check on one thread with its own GEOS context.
    ///
    /// Gaps: per village, the village minus the union of its grids (`GEOSCoverageUnion_r` when the village's grids
    /// are valid and do not overlap, `GEOSUnaryUnion_r` otherwise), then `GEOSDifference_r`. Without villages: the
    /// county minus all grids, or, without a county, the holes in the union of the grids. Overlaps: candidate pairs
    /// from an STR tree of grid envelopes, then `GEOSIntersection_r`; touching grids leave only lines, which are
    /// dropped. Every gap and overlap polygon is classified as real or sliver with `CoverageOptions.toleranceMetres`.
    public static func compute(_ layers: CountyLayers, options: CoverageOptions = CoverageOptions()) throws -> CoverageReport {
        try CoverageComputation(layers: layers, options: options).run()
    }
}

/// The working state of one coverage computation (GEOS objects stay inside it).
private final class CoverageComputation {
    let layers: CountyLayers
    let options: CoverageOptions
    let context = GEOSContext()
    var notes: [String] = []

    init(layers: CountyLayers, options: CoverageOptions) {
        self.layers = layers
        self.options = options
    }

    func run() throws -> CoverageReport {
        let grids = layers.grids
        // GEOS geometries of the grids; invalid ones are repaired for the overlay work (they are reported as invalid).
        var geos: [GEOSGeometry] = []
        var repairedGeometry: [Geometry] = []
        geos.reserveCapacity(grids.count)
        for grid in grids {
            var g = try GEOSGeometry(grid.geometry, context: context)
            if layers.invalidGrids[grid.gridID] != nil {
                g = try g.makeValid().polygonalPart()
                repairedGeometry.append(try g.toGeometry())
            } else {
                repairedGeometry.append(grid.geometry)
            }
            geos.append(g)
        }
        let boxes = repairedGeometry.map { $0.boundingBox ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) }

        // Villages of the grids.
        let villagesByID = Dictionary(layers.villages.map { ($0.villageID, $0) }, uniquingKeysWith: { a, _ in a })
        var villageOfGrid: [String?] = []
        var gridsWithoutVillage: [String] = []
        if !layers.villages.isEmpty {
            let villageGeos = try layers.villages.map { try GEOSGeometry($0.geometry, context: context).prepared() }
            for (i, grid) in grids.enumerated() {
                if let v = grid.villageID, villagesByID[v] != nil {
                    villageOfGrid.append(v)
                    continue
                }
                let inside = try geos[i].pointOnSurface()
                let found = try layers.villages.indices.first { try villageGeos[$0].covers(inside) }
                villageOfGrid.append(found.map { layers.villages[$0].villageID })
                if found == nil { gridsWithoutVillage.append(grid.gridID) }
            }
        } else {
            villageOfGrid = grids.map(\.villageID)
        }
        func townOf(grid i: Int) -> String? {
            grids[i].townID ?? villageOfGrid[i].flatMap { villagesByID[$0]?.townID }
        }

        // Overlaps and building placements, striped over all cores; each worker has its own GEOS context.
        let stripes = max(1, min(ProcessInfo.processInfo.activeProcessorCount * 2, grids.count))
        let work = Striped<StripeResult>(count: stripes)
        let repaired = repairedGeometry, tolerance = options.toleranceMetres, buildings = layers.buildings
        let gridIDs = grids.map(\.gridID)
        let failure = Striped<String>(count: stripes)
        DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
            do {
                work[stripe] = try Self.stripe(stripe, of: stripes, grids: repaired, boxes: boxes, gridIDs: gridIDs,
                                               buildings: buildings, toleranceMetres: tolerance)
            } catch {
                failure[stripe] = "\(error)"
            }
        }
        if let message = failure.values.compactMap({ $0 }).first { throw ReportError("coverage failed: \(message)") }
        var overlaps: [CoverageReport.Overlap] = []
        var gridsInOverlap = Set<Int>()
        var placements: [CoverageReport.BuildingPlacement] = []
        for result in work.values.compactMap({ $0 }) {
            for (i, j, part, area, sliver) in result.overlaps {
                if !sliver { gridsInOverlap.formUnion([i, j]) }
                overlaps.append(CoverageReport.Overlap(
                    id: "", grids: [grids[i].gridID, grids[j].gridID].sorted(),
                    villages: Array(Set([villageOfGrid[i], villageOfGrid[j]].compactMap { $0 })).sorted(),
                    areaM2: area, sliver: sliver, polygon: PolygonalValue(.polygon(part))))
            }
            placements += result.placements
        }
        overlaps.sort { ($0.grids.first ?? "", $0.grids.last ?? "", $0.areaM2) < ($1.grids.first ?? "", $1.grids.last ?? "", $1.areaM2) }
        placements.sort { $0.buildingID < $1.buildingID }

        // Gaps and grids outside their village.
        var gaps: [CoverageReport.Gap] = []
        var crossings: [CoverageReport.BoundaryCrossing] = []
        func addGaps(_ geometry: GEOSGeometry, village: Village?) throws {
            for part in try Measure.polygons(of: geometry) {
                let area = Geodesic.area(of: part)
                guard area > 0 else { continue }
                let sliver = try Measure.isSliver(part, toleranceMetres: options.toleranceMetres, context: context)
                gaps.append(CoverageReport.Gap(id: "", villageID: village?.villageID, townID: village?.townID,
                                               areaM2: area, sliver: sliver, polygon: PolygonalValue(.polygon(part))))
            }
        }
        func union(_ members: [Int]) throws -> GEOSGeometry {
            let collection = try GEOSGeometry.collection(members.map { geos[$0] }, context: context)
            let clean = members.allSatisfy { !gridsInOverlap.contains($0) && layers.invalidGrids[grids[$0].gridID] == nil }
            if clean, let coverage = try? collection.coverageUnion() { return coverage }
            return try collection.unaryUnion()
        }
        if !layers.villages.isEmpty {
            var members: [String: [Int]] = [:]
            for (i, v) in villageOfGrid.enumerated() { if let v { members[v, default: []].append(i) } }
            let unclean = Set(grids.indices.filter { gridsInOverlap.contains($0) || layers.invalidGrids[grids[$0].gridID] != nil })
            let villages = layers.villages, memberMap = members
            let villageStripes = max(1, min(ProcessInfo.processInfo.activeProcessorCount * 2, villages.count))
            let found = Striped<([CoverageReport.Gap], [CoverageReport.BoundaryCrossing])>(count: villageStripes)
            DispatchQueue.concurrentPerform(iterations: villageStripes) { stripe in
                do {
                    found[stripe] = try Self.villageStripe(stripe, of: villageStripes, villages: villages, members: memberMap,
                                                           grids: repaired, gridIDs: gridIDs, unclean: unclean,
                                                           toleranceMetres: tolerance)
                } catch {
                    failure[stripe] = "\(error)"
                }
            }
            if let message = failure.values.compactMap({ $0 }).first { throw ReportError("coverage failed: \(message)") }
            for (g, c) in found.values.compactMap({ $0 }) {
                gaps += g
                crossings += c
            }
            crossings.sort { $0.gridID < $1.gridID }
        } else {
            let all = try union(Array(grids.indices))
            if let county = layers.county {
                try addGaps(try GEOSGeometry(county, context: context).difference(all), village: nil)
                notes.append("no villages given: gaps are the parts of the county no grid covers")
            } else {
                let holes = try Measure.polygons(of: all).flatMap { $0.holes.map { Polygon(exterior: $0) } }
                for hole in holes {
                    try addGaps(try GEOSGeometry(.polygon(hole), context: context), village: nil)
                }
                notes.append("no villages or county given: gaps are only the holes enclosed by grids")
            }
        }
        gaps.sort { ($0.villageID ?? "", -$0.areaM2) < ($1.villageID ?? "", -$1.areaM2) }
        for k in gaps.indices { gaps[k].id = "gap-\(k + 1)" }
        for k in overlaps.indices { overlaps[k].id = "overlap-\(k + 1)" }

        if layers.buildings.isEmpty { notes.append("no buildings given: buildings_not_within_one_grid not checked") }

        // Households in no grid.
        var outsideHouseholds: [String] = []
        var withoutLocation = 0
        if !layers.households.isEmpty {
            let repairedGrids = grids.enumerated().map { i, g in
                Grid(gridID: g.gridID, villageID: g.villageID, townID: g.townID, name: g.name, geometry: repairedGeometry[i])
            }
            let locator = try GridLocator(grids: repairedGrids)
            let located = layers.households.filter { $0.location != nil }
            withoutLocation = layers.households.count - located.count
            let indices = locator.gridIndices(xs: located.map { $0.location!.x }, ys: located.map { $0.location!.y })
            for (k, index) in indices.enumerated() where index < 0 { outsideHouseholds.append(located[k].householdID) }
        } else {
            notes.append("no households given: households_outside_every_grid not checked")
        }

        // Staff.
        var withoutWorker: [String] = []
        var workerOffDuty: [String] = []
        var withoutHead: [String] = []
        var headOffDuty: [String] = []
        if layers.staff.isEmpty {
            notes.append("no staff given: grids_without_full_time_worker and buildings_without_building_head not checked")
        } else {
            // Assignment decides "without"; duty only splits the assigned into covered today or not.
            let workers = layers.staff.filter { $0.role == .gridWorker }
            let assigned = Set(workers.compactMap(\.gridID))
            let onDuty = Set(workers.filter(\.onDuty).compactMap(\.gridID))
            withoutWorker = grids.map(\.gridID).filter { !assigned.contains($0) }
            workerOffDuty = grids.map(\.gridID).filter { assigned.contains($0) && !onDuty.contains($0) }
            let heads = layers.staff.filter { $0.role == .buildingHead }
            let headed = Set(heads.compactMap(\.buildingID))
            let headsOnDuty = Set(heads.filter(\.onDuty).compactMap(\.buildingID))
            let urban = layers.buildings.filter { $0.kind == "urban" }.map(\.buildingID)
            withoutHead = urban.filter { !headed.contains($0) }
            headOffDuty = urban.filter { headed.contains($0) && !headsOnDuty.contains($0) }
        }

        // Roll-ups.
        var byVillage: [String: CoverageReport.RollUp] = [:]
        var byTown: [String: CoverageReport.RollUp] = [:]
        for v in layers.villages { byVillage[v.villageID] = CoverageReport.RollUp(id: v.villageID, name: v.name) }
        for t in layers.towns { byTown[t.townID] = CoverageReport.RollUp(id: t.townID, name: t.name) }
        func update(village: String?, town: String?, _ body: (inout CoverageReport.RollUp) -> Void) {
            if let village { body(&byVillage[village, default: CoverageReport.RollUp(id: village, name: village)]) }
            if let town { body(&byTown[town, default: CoverageReport.RollUp(id: town, name: town)]) }
        }
        let invalidIDs = Set(layers.invalidGrids.keys)
        let crossingIDs = Set(crossings.map(\.gridID))
        let withoutWorkerIDs = Set(withoutWorker)
        var indexOfGrid: [String: Int] = [:]
        for (i, grid) in grids.enumerated() {
            indexOfGrid[grid.gridID] = i
            let area = Geodesic.area(of: repairedGeometry[i])
            update(village: villageOfGrid[i], town: townOf(grid: i)) { r in
                r.grids += 1
                r.gridAreaM2 += area
                if invalidIDs.contains(grid.gridID) { r.invalidGrids += 1 }
                if crossingIDs.contains(grid.gridID) { r.gridsCrossingVillageBoundary += 1 }
                if withoutWorkerIDs.contains(grid.gridID) { r.gridsWithoutFullTimeWorker += 1 }
            }
        }
        for gap in gaps where !gap.sliver {
            update(village: gap.villageID, town: gap.townID) { r in
                r.gaps += 1
                r.gapAreaM2 += gap.areaM2
            }
        }
        for overlap in overlaps where !overlap.sliver {
            let involved = overlap.grids.compactMap { indexOfGrid[$0] }
            for village in Set(involved.compactMap { villageOfGrid[$0] }) {
                update(village: village, town: nil) { r in r.overlaps += 1; r.overlapAreaM2 += overlap.areaM2 }
            }
            for town in Set(involved.compactMap(townOf(grid:))) {
                update(village: nil, town: town) { r in r.overlaps += 1; r.overlapAreaM2 += overlap.areaM2 }
            }
        }

        let realGaps = gaps.filter { !$0.sliver }, sliverGaps = gaps.filter(\.sliver)
        let realOverlaps = overlaps.filter { !$0.sliver }, sliverOverlaps = overlaps.filter(\.sliver)
        return CoverageReport(
            toleranceMetres: options.toleranceMetres, grids: grids.count, villages: layers.villages.count,
            gapAreaM2: realGaps.reduce(0) { $0 + $1.areaM2 }, overlapAreaM2: realOverlaps.reduce(0) { $0 + $1.areaM2 },
            sliverGapAreaM2: sliverGaps.reduce(0) { $0 + $1.areaM2 },
            sliverOverlapAreaM2: sliverOverlaps.reduce(0) { $0 + $1.areaM2 },
            gaps: realGaps, sliverGaps: sliverGaps, overlaps: realOverlaps, sliverOverlaps: sliverOverlaps,
            invalidGrids: layers.invalidGrids.map { CoverageReport.InvalidGrid(gridID: $0.key, reason: $0.value) }
                .sorted { $0.gridID < $1.gridID },
            gridsCrossingVillageBoundary: crossings, gridsWithoutVillage: gridsWithoutVillage,
            buildingsNotWithinOneGrid: placements, householdsOutsideEveryGrid: outsideHouseholds,
            householdsWithoutLocation: withoutLocation, gridsWithoutFullTimeWorker: withoutWorker,
            gridsWithWorkerOffDuty: workerOffDuty,
            buildingsWithoutBuildingHead: withoutHead, buildingsWithHeadOffDuty: headOffDuty,
            byTown: byTown.values.sorted { $0.id < $1.id }, byVillage: byVillage.values.sorted { $0.id < $1.id },
            notes: notes)
    }

    /// One worker's share of villages: gaps (village minus the union of its grids) and grids with a real part
    /// outside their village (found from the union minus the village, so a village whose grids stay inside costs
    /// one overlay, not one per grid).
    static func villageStripe(_ stripe: Int, of count: Int, villages: [Village], members: [String: [Int]],
                              grids: [Geometry], gridIDs: [String], unclean: Set<Int>,
                              toleranceMetres: Double) throws -> ([CoverageReport.Gap], [CoverageReport.BoundaryCrossing]) {
        let context = GEOSContext()
        var gaps: [CoverageReport.Gap] = []
        var crossings: [CoverageReport.BoundaryCrossing] = []
        func addGaps(_ geometry: GEOSGeometry, _ village: Village) throws {
            for part in try Measure.polygons(of: geometry) {
                let area = Geodesic.area(of: part)
                guard area > 0 else { continue }
                let sliver = try Measure.isSliver(part, toleranceMetres: toleranceMetres, context: context)
                gaps.append(CoverageReport.Gap(id: "", villageID: village.villageID, townID: village.townID,
                                               areaM2: area, sliver: sliver, polygon: PolygonalValue(.polygon(part))))
            }
        }
        for k in stride(from: stripe, to: villages.count, by: count) {
            let village = villages[k]
            let shape = try GEOSGeometry(village.geometry, context: context)
            let inVillage = members[village.villageID] ?? []
            if inVillage.isEmpty {
                try addGaps(shape, village)
                continue
            }
            let geos = try inVillage.map { try GEOSGeometry(grids[$0], context: context) }
            let collection = try GEOSGeometry.collection(geos, context: context)
            let clean = inVillage.allSatisfy { !unclean.contains($0) }
            let union = try (clean ? (try? collection.coverageUnion()) : nil) ?? collection.unaryUnion()
            try addGaps(shape.difference(union), village)
            let outside = try Measure.polygons(of: union.difference(shape))
            let realOutside = try outside.contains {
                try !Measure.isSliver($0, toleranceMetres: toleranceMetres, context: context)
            }
            guard realOutside else { continue }
            for (n, i) in inVillage.enumerated() {
                let parts = try Measure.polygons(of: geos[n].difference(shape))
                let real = try parts.contains { try !Measure.isSliver($0, toleranceMetres: toleranceMetres, context: context) }
                if real {
                    crossings.append(CoverageReport.BoundaryCrossing(
                        gridID: gridIDs[i], villageID: village.villageID,
                        areaOutsideM2: parts.reduce(0) { $0 + Geodesic.area(of: $1) }))
                }
            }
        }
        return (gaps, crossings)
    }

    struct StripeResult: Sendable {
        var overlaps: [(Int, Int, Polygon, Double, Bool)] = []
        var placements: [CoverageReport.BuildingPlacement] = []
    }

    /// One worker's share: overlaps of grids i ≡ stripe (mod count) with later grids, and placements of buildings
    /// k ≡ stripe (mod count). Builds its own GEOS context, geometries, prepared geometries and STR tree.
    static func stripe(_ stripe: Int, of count: Int, grids: [Geometry], boxes: [BoundingBox], gridIDs: [String],
                       buildings: [Building], toleranceMetres: Double) throws -> StripeResult {
        let context = GEOSContext()
        let geos = try grids.map { try GEOSGeometry($0, context: context) }
        let prepared = try geos.map { try $0.prepared() }
        let tree = try STRtree(boxes: boxes, context: context)
        var result = StripeResult()
        for i in stride(from: stripe, to: grids.count, by: count) {
            for j in try tree.query(boxes[i]) where j > i {
                guard try prepared[i].intersects(geos[j]) else { continue }
                for part in try Measure.polygons(of: geos[i].intersection(geos[j])) {
                    let area = Geodesic.area(of: part)
                    guard area > 0 else { continue }
                    let sliver = try Measure.isSliver(part, toleranceMetres: toleranceMetres, context: context)
                    result.overlaps.append((i, j, part, area, sliver))
                }
            }
        }
        for k in stride(from: stripe, to: buildings.count, by: count) {
            let building = buildings[k]
            guard let box = building.geometry.boundingBox else { continue }
            let shape = try GEOSGeometry(building.geometry, context: context)
            var covering: [String] = []
            var touching: [String] = []
            for j in try tree.query(box) {
                if try prepared[j].covers(shape) {
                    covering.append(gridIDs[j])
                } else if try prepared[j].intersects(shape) {
                    touching.append(gridIDs[j])
                }
            }
            if covering.count == 1 { continue }
            let reason: String = if covering.count > 1 {
                "lies in \(covering.count) overlapping grids: \(covering.joined(separator: ", "))"
            } else if touching.isEmpty {
                "lies in no grid"
            } else if touching.count == 1 {
                "crosses the edge of grid \(touching[0]) into no other grid"
            } else {
                "crosses the boundary between grids \(touching.joined(separator: ", "))"
            }
            result.placements.append(CoverageReport.BuildingPlacement(
                buildingID: building.buildingID, coveringGrids: covering, intersectingGrids: touching, reason: reason))
        }
        return result
    }
}

/// One slot per worker, written by that worker only and read after all workers end.
final class Striped<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(index: Int) -> T? {
        get { lock.withLock { slots[index] } }
        set { lock.withLock { slots[index] = newValue } }
    }
    var values: [T?] { lock.withLock { slots } }
}
