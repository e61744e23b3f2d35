import Foundation
import GeoJSON
import GridGeometry
import GridProjection

/// A parcel (地块): a small piece of one current grid's territory, cut by GEOS along straight lines through the
/// gaps between buildings. Parcels tile the union of today's grids exactly (gaps stay gaps, an overlap belongs to
/// the lower id), so any grouping of them covers every square metre once; proposals are groupings of parcels.
public struct Parcel: Sendable, Hashable {
    public var index: Int
    public var villageIndex: Int
    /// The current grid whose territory the parcel was cut from (a parcel never spans two grids).
    public var gridIndex: Int
    public var geometry: Geometry
    public var bbox: BoundingBox
    public var areaM2: Double
    public var perimeterM: Double
    /// Buildings whose home is the parcel (the piece of their grid holding most of their footprint; pieces of that
    /// grid a building overlaps are merged, so it straddles parcels only where it straddles grids).
    public var buildings: [Int]
    public var counts: WorkloadCounts
}

/// Two of today's grids that overlap (area in m², WGS84 ellipsoid).
public struct GridOverlap: Sendable, Hashable {
    public var lowerGridID: String
    public var higherGridID: String
    public var areaM2: Double
}

/// A building whose footprint is not inside one grid's territory.
public struct StraddlingBuilding: Sendable, Hashable {
    public var buildingID: String
    /// The grid it belongs to: the one holding most of its footprint.
    public var gridID: String
    /// Every grid holding part of it, largest share first.
    public var gridIDs: [String]
    /// The villages of those grids (more than one: the building crosses a village line).
    public var villageIDs: [String]
    /// Share of the footprint inside `gridID`.
    public var shareInGrid: Double
    /// Share of the footprint inside no grid.
    public var outsideEveryGrid: Double
    public var crossesVillageLine: Bool { villageIDs.count > 1 }
}

/// An edge of the parcel graph: two parcels of one village that share a boundary of positive length
/// (`sharedM` 0: a link to an exclave, a part of the village that shares no edge with the rest).
public struct ParcelNeighbour: Sendable, Hashable {
    public var parcel: Int
    public var sharedM: Double
}

/// The parcels of a county, their workloads and their adjacency graph.
public struct ParcelMap: Sendable {
    public let county: PlanningCounty
    public let weights: WorkloadWeights
    /// Incidents of the last `windowDays` days (ending at the newest report) count in the workload.
    public let windowDays: Int
    public var parcels: [Parcel]
    public var neighbours: [[ParcelNeighbour]]
    /// Parcel indices of each village.
    public var parcelsOfVillage: [[Int]]
    /// Parcel of each building (nil when the building lies in no parcel: outside every grid).
    public var parcelOfBuilding: [Int?]
    public var villageIndex: [String: Int]
    public var gridIndex: [String: Int]
    /// Households that could be placed neither through their building nor by their location.
    public var unplacedHouseholds: [String]
    /// Incidents of the window that fell in no parcel.
    public var unplacedIncidents = 0
    /// The first day of the incident window (ISO 8601), nil when there are no incidents.
    public var incidentWindowStart: String?
    /// Overlaps between today's grids: the area belongs to the lower id in the parcels (as in the reports); a grid
    /// that stays unchanged keeps its geometry, so the overlap is carried over, never enlarged.
    public var overlaps: [GridOverlap] = []
    /// Buildings whose footprint is not inside one grid: each belongs to the grid holding most of it.
    public var straddlingBuildings: [StraddlingBuilding] = []
    /// Buildings lying in no grid at all (in a gap or outside every village).
    public var buildingsOutsideEveryGrid: [String] = []
    /// Parts of villages that share no edge with the rest of their village, and how they are linked.
    public var exclaves: [String] = []
    /// Grids lying wholly inside lower-id grids (nothing of their own): they are retired by any proposal.
    public var gridsWithoutTerritory: [String] = []

    /// Workload index of a parcel.
    public func workload(_ p: Int) -> Double { weights.rawWorkload(of: parcels[p].counts) }

    /// Cuts every village's grids into parcels.
    ///
    /// Each grid's **territory** is the grid minus any lower-id grid it overlaps (the reports' lowest-id rule), so
    /// territories never overlap and their union is exactly the union of today's grids: gaps stay gaps, and an
    /// overlap belongs to the lower id (the overlap itself is carried over and listed in `overlaps`). Parcels are
    /// pieces of one territory: never of two grids, never of two villages. A building belongs to the grid whose
    /// territory holds most of its footprint and to the piece of that grid holding most of it (pieces of that
    /// grid it overlaps are merged); the part of a footprint in another grid stays with that grid, and such
    /// buildings are listed in `straddlingBuildings`.
    ///
    /// Fineness: no parcel carries more than `parcelLoadShare` of the mean grid workload unless its buildings
    /// leave no straight gap to cut through, and a grid is cut into at least about `parcelsPerGrid` parcels.
    public init(county: PlanningCounty, weights: WorkloadWeights = WorkloadWeights(), windowDays: Int = 365,
                parcelLoadShare: Double = 0.06, parcelsPerGrid: Double = 10) throws {
        self.windowDays = windowDays
        self.county = county
        self.weights = weights
        let context = GEOSContext()
        let villageIndex = Dictionary(county.villages.enumerated().map { ($1.villageID, $0) }, uniquingKeysWith: { a, _ in a })
        let gridIndex = Dictionary(county.grids.enumerated().map { ($1.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        let buildingIndex = Dictionary(county.buildings.enumerated().map { ($1.buildingID, $0) },
                                       uniquingKeysWith: { a, _ in a })
        var villageOfGrid: [Int] = []
        for grid in county.grids {
            guard let vid = grid.villageID, let v = villageIndex[vid] else {
                throw PlanningError("grid \(grid.gridID) has no village (village_id \(grid.villageID ?? "missing") is not " +
                                    "among the villages); grids never cross village lines, so every grid needs its village")
            }
            villageOfGrid.append(v)
        }

        // 1. Territories: each grid minus the lower-id grids it overlaps (ids in byte order, as the reports).
        let gridBoxes = county.grids.map { $0.geometry.boundingBox ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) }
        let gridGEOS = try county.grids.map { try GEOSGeometry($0.geometry, context: context) }
        let gridTree = try STRtree(boxes: gridBoxes, context: context)
        var territory: [Geometry] = county.grids.map(\.geometry)
        var overlaps: [GridOverlap] = []
        for g in county.grids.indices {
            let id = county.grids[g].gridID
            var lower: [GEOSGeometry] = []
            for h in try gridTree.query(gridBoxes[g]) where h != g && county.grids[h].gridID < id {
                let shared = try gridGEOS[g].intersection(gridGEOS[h]).polygonalPart()
                let area = try shared.isEmpty() ? 0 : Geodesic.area(of: try shared.toGeometry())
                guard area > 0 else { continue }
                lower.append(gridGEOS[h])
                overlaps.append(GridOverlap(lowerGridID: county.grids[h].gridID, higherGridID: id, areaM2: area))
            }
            guard !lower.isEmpty else { continue }
            let rest = try Measure.polygons(of: gridGEOS[g].difference(GEOSGeometry.collection(lower, context: context).unaryUnion()))
            territory[g] = rest.count == 1 ? .polygon(rest[0]) : .multiPolygon(MultiPolygon(rest))
        }
        let territoryGEOS = try territory.indices.map { g in
            try territory[g] == county.grids[g].geometry ? gridGEOS[g] : GEOSGeometry(territory[g], context: context)
        }
        let territoryPrepared = try territoryGEOS.map { try $0.prepared() }

        // 2. The grid of each building: the territory that holds most of its footprint.
        var gridOfBuilding = [Int?](repeating: nil, count: county.buildings.count)
        var straddling: [StraddlingBuilding] = []
        var buildingsOutside: [String] = []
        var footprints: [GEOSGeometry?] = Array(repeating: nil, count: county.buildings.count)
        for (b, building) in county.buildings.enumerated() {
            guard let box = building.geometry.boundingBox else { continue }
            let footprint = try GEOSGeometry(building.geometry, context: context)
            footprints[b] = footprint
            let candidates = try gridTree.query(box)
            if let only = try candidates.first(where: { try territoryPrepared[$0].covers(footprint) }) {
                gridOfBuilding[b] = only
                continue
            }
            var shares: [(grid: Int, area: Double)] = []
            for g in candidates where try territoryPrepared[g].intersects(footprint) {
                let part = try footprint.intersection(territoryGEOS[g]).polygonalPart()
                let area = try part.isEmpty() ? 0 : try part.area()
                if area > 0 { shares.append((g, area)) }
            }
            shares.sort { ($0.area, county.grids[$1.grid].gridID) > ($1.area, county.grids[$0.grid].gridID) }
            guard let home = shares.first else { buildingsOutside.append(building.buildingID); continue }
            gridOfBuilding[b] = home.grid
            let total = try footprint.area()
            let grids = shares.map { county.grids[$0.grid].gridID }
            let villages = Array(Set(shares.map { county.villages[villageOfGrid[$0.grid]].villageID })).sorted()
            straddling.append(StraddlingBuilding(
                buildingID: building.buildingID, gridID: county.grids[home.grid].gridID, gridIDs: grids,
                villageIDs: villages, shareInGrid: home.area / max(total, 1e-300),
                outsideEveryGrid: max(0, 1 - shares.reduce(0) { $0 + $1.area } / max(total, 1e-300))))
        }

        // Load of each building (itself, its households and residents) and the buildings of each grid.
        var buildingLoad = [Double](repeating: 0, count: county.buildings.count)
        for h in county.households {
            if let b = h.buildingID.flatMap({ buildingIndex[$0] }) {
                buildingLoad[b] += weights.rawWorkload(of: WorkloadCounts(households: 1, residents: h.residents))
            }
        }
        for b in buildingLoad.indices {
            buildingLoad[b] += weights.rawWorkload(of: WorkloadCounts(buildings: 1))
        }
        var buildingsOfGrid = [[Int]](repeating: [], count: county.grids.count)
        for (b, g) in gridOfBuilding.enumerated() { if let g { buildingsOfGrid[g].append(b) } }
        let gridLoads = buildingsOfGrid.map { $0.reduce(0) { $0 + buildingLoad[$1] } }
        let meanLoad = max(gridLoads.reduce(0, +) / Double(max(1, gridLoads.count)), 1e-9)

        // 3. Cut each territory into boxes by straight lines through the gaps between its buildings (a k-d tree):
        //    a box is cut while it carries more than `parcelLoadShare` of the mean grid load or more than a
        //    `1 / parcelsPerGrid` share of its grid's extent. Pieces are the territory ∩ each box (GEOS).
        var raw: [(village: Int, grid: Int, geometry: Polygon)] = []
        for g in county.grids.indices {
            guard let box = territory[g].boundingBox, !territory[g].polygons.isEmpty else { continue }
            let items = buildingsOfGrid[g].compactMap { b in
                county.buildings[b].geometry.boundingBox.map { BoxCutter.Item(box: $0, load: buildingLoad[b]) }
            }
            let cutter = BoxCutter(maxLoad: parcelLoadShare * meanLoad,
                                   maxArea: (box.maxX - box.minX) * (box.maxY - box.minY) / parcelsPerGrid,
                                   minSide: 0.00005)
            var leaves: [BoundingBox] = []
            cutter.cut(box, items, into: &leaves)
            let whole = leaves.count == 1
            for leaf in leaves {
                let piece = whole ? territoryGEOS[g] : try territoryGEOS[g].intersection(GEOSGeometry(box: leaf, context: context))
                if try piece.isEmpty() { continue }
                for polygon in try piece.polygonalPart().toGeometry().polygons where abs(polygon.exterior.signedArea2) > 1e-14 {
                    raw.append((villageOfGrid[g], g, polygon))
                }
            }
        }

        // Node all pieces of the county together: cut points computed by different overlays on one edge differ by
        // ~1e-16°, so snap vertices closer than 1e-10° together and insert each vertex into the edges it lies on
        // (also across village lines). Then neighbouring pieces share identical vertices and unions are clean.
        var polygons = raw.map(\.geometry)
        Noder.node(&polygons, tolerance: 1e-10)
        for i in raw.indices { raw[i].geometry = polygons[i] }

        // 4. Place each building on the piece of its grid holding most of its footprint; merge the pieces of that
        //    grid it overlaps (never pieces of another grid).
        let locator = PointBuckets(boxes: raw.map { Self.box(of: $0.geometry) })
        var union = UnionFind(raw.count)
        var homeOfBuilding = [Int?](repeating: nil, count: county.buildings.count)
        var rawGEOS: [Int: GEOSGeometry] = [:]
        func geosPiece(_ i: Int) throws -> GEOSGeometry {
            if let g = rawGEOS[i] { return g }
            let g = try GEOSGeometry(.polygon(raw[i].geometry), context: context)
            rawGEOS[i] = g
            return g
        }
        for (b, building) in county.buildings.enumerated() {
            guard let g = gridOfBuilding[b], let bbox = building.geometry.boundingBox, let footprint = footprints[b] else { continue }
            let pieces = locator.candidates(overlapping: bbox).filter { raw[$0].grid == g }
            var shares: [(piece: Int, area: Double)] = []
            for i in pieces {
                let part = try footprint.intersection(geosPiece(i)).polygonalPart()
                let area = try part.isEmpty() ? 0 : try part.area()
                if area > 1e-16 { shares.append((i, area)) }
            }
            guard let home = shares.max(by: { ($0.area, -$0.piece) < ($1.area, -$1.piece) }) else { continue }
            homeOfBuilding[b] = home.piece
            for other in shares where other.piece != home.piece { union.union(home.piece, other.piece) }
        }

        // 5. Parcels: each union-find class (pieces of one grid); merged ones are unions of their pieces.
        var classOf = [Int](repeating: -1, count: raw.count)
        var members: [[Int]] = []
        for i in raw.indices {
            let root = union.find(i)
            if classOf[root] < 0 {
                classOf[root] = members.count
                members.append([])
            }
            classOf[i] = classOf[root]
            members[classOf[i]].append(i)
        }
        var parcels: [Parcel] = []
        var parcelsOfVillage: [[Int]] = Array(repeating: [], count: county.villages.count)
        for (k, group) in members.enumerated() {
            let geometry: Geometry
            if group.count == 1 {
                geometry = .polygon(raw[group[0]].geometry)
            } else {
                let parts = try group.map { try geosPiece($0) }
                geometry = try GEOSGeometry.collection(parts, context: context).unaryUnion().polygonalPart().toGeometry()
            }
            let v = raw[group[0]].village
            let frame = MetricFrame(latitude: Self.centre(of: county.villages[v].geometry).y)
            parcels.append(Parcel(index: k, villageIndex: v, gridIndex: raw[group[0]].grid, geometry: geometry,
                                  bbox: geometry.boundingBox!, areaM2: frame.area(geometry),
                                  perimeterM: frame.perimeter(geometry), buildings: [],
                                  counts: WorkloadCounts(areaM2: Geodesic.area(of: geometry))))
            parcelsOfVillage[v].append(k)
        }
        let parcelOfBuilding = homeOfBuilding.map { $0.map { classOf[$0] } }
        for (b, p) in parcelOfBuilding.enumerated() {
            if let p {
                parcels[p].buildings.append(b)
                parcels[p].counts.buildings += 1
            }
        }

        // 6. Workload, placed as the workload report places it: households with a location and incidents by
        //    location (a point on a line between parcels goes to the parcel of the lowest grid id, as the reports'
        //    lowest-id rule), households without a location through their building.
        let parcelLocator = PointBuckets(boxes: parcels.map(\.bbox))
        let gridIDs = county.grids.map(\.gridID)
        func parcel(at point: Position) -> Int? {
            var best: Int?
            for p in parcelLocator.all(containing: point) where PlanarGeometry.covers(parcels[p].geometry, point) {
                if let b = best, (gridIDs[parcels[b].gridIndex], b) <= (gridIDs[parcels[p].gridIndex], p) { continue }
                best = p
            }
            return best
        }
        var unplacedHouseholds: [String] = []
        var unplacedIncidents = 0
        for h in county.households {
            // A located household counts where it lies (none when in a gap), as in the workload report.
            let p: Int? = if let location = h.location { parcel(at: location) } else {
                h.buildingID.flatMap({ buildingIndex[$0] }).flatMap({ parcelOfBuilding[$0] })
            }
            if let p {
                parcels[p].counts += WorkloadCounts(households: 1, residents: h.residents)
            } else {
                unplacedHouseholds.append(h.householdID)
            }
        }
        let window = IncidentWindow(incidents: county.incidents, days: windowDays)
        for incident in county.incidents {
            let recent = window.contains(incident.reportedAt), open = incident.state != .closed
            guard recent || open else { continue }
            guard let p = parcel(at: incident.location) else { unplacedIncidents += 1; continue }
            if recent { parcels[p].counts.incidentsByCategory[incident.category, default: 0] += 1 }
            if open { parcels[p].counts.openIncidents += 1 }
        }

        // 7. Adjacency: parcels of one village sharing a boundary of positive length.
        var neighbours: [[ParcelNeighbour]] = Array(repeating: [], count: parcels.count)
        for village in parcelsOfVillage where village.count > 1 {
            let frame = MetricFrame(latitude: parcels[village[0]].bbox.minY)
            let geos = try village.map { try GEOSGeometry(parcels[$0].geometry, context: context) }
            let tree = try STRtree(boxes: village.map { parcels[$0].bbox }, context: context)
            for (a, p) in village.enumerated() {
                for b in try tree.query(parcels[p].bbox) where b > a {
                    let shared = try geos[a].intersection(geos[b])
                    let length = frame.lineLength(try shared.toGeometry())
                    if length > 0.01 {
                        neighbours[p].append(ParcelNeighbour(parcel: village[b], sharedM: length))
                        neighbours[village[b]].append(ParcelNeighbour(parcel: p, sharedM: length))
                    }
                }
            }
        }
        // Exclaves: a part of a village that shares no edge with the rest (a detached piece of the village, or a
        // grid whose parts only touch at a point) is linked to the rest through the grid it belongs to today, so
        // that it can stay with that grid (its proposed grid is then in as many pieces as today's).
        var exclaves: [String] = []
        for (v, village) in parcelsOfVillage.enumerated() where village.count > 1 {
            var parts = Self.components(village, neighbours)
            guard parts.count > 1 else { continue }
            parts.sort { ($0.count, -($0.first ?? 0)) > ($1.count, -($1.first ?? 0)) }
            var joined = parts[0]
            for part in parts.dropFirst() {
                let grids = Set(part.map { parcels[$0].gridIndex })
                let partner = joined.first { grids.contains(parcels[$0].gridIndex) } ?? joined.min { a, b in
                    Self.distance2(parcels[a].bbox, parcels[part[0]].bbox) < Self.distance2(parcels[b].bbox, parcels[part[0]].bbox)
                }!
                let from = part.first { parcels[$0].gridIndex == parcels[partner].gridIndex } ?? part[0]
                neighbours[from].append(ParcelNeighbour(parcel: partner, sharedM: 0))
                neighbours[partner].append(ParcelNeighbour(parcel: from, sharedM: 0))
                joined += part
                exclaves.append("village \(county.villages[v].villageID): \(part.count) parcel(s) of grid(s) " +
                                "\(grids.map { gridIDs[$0] }.sorted().joined(separator: ", ")) share no edge with the rest " +
                                "of the village (an exclave); they stay linked to grid \(gridIDs[parcels[partner].gridIndex])")
            }
        }
        self.villageIndex = villageIndex
        self.gridIndex = gridIndex
        self.parcels = parcels
        self.parcelsOfVillage = parcelsOfVillage
        self.parcelOfBuilding = parcelOfBuilding
        self.unplacedHouseholds = unplacedHouseholds
        self.unplacedIncidents = unplacedIncidents
        self.incidentWindowStart = window.startText
        self.neighbours = neighbours
        self.overlaps = overlaps
        self.straddlingBuildings = straddling
        self.buildingsOutsideEveryGrid = buildingsOutside
        self.exclaves = exclaves
        self.gridsWithoutTerritory = county.grids.indices.filter { territory[$0].polygons.isEmpty }.map { gridIDs[$0] }
    }

    /// Connected components of `parcels` in a neighbour graph.
    static func components(_ parcels: [Int], _ neighbours: [[ParcelNeighbour]]) -> [[Int]] {
        let members = Set(parcels)
        var seen = Set<Int>()
        var result: [[Int]] = []
        for start in parcels.sorted() where !seen.contains(start) {
            var stack = [start], component: [Int] = []
            seen.insert(start)
            while let p = stack.popLast() {
                component.append(p)
                for n in neighbours[p] where members.contains(n.parcel) && seen.insert(n.parcel).inserted { stack.append(n.parcel) }
            }
            result.append(component.sorted())
        }
        return result
    }

    static func distance2(_ a: BoundingBox, _ b: BoundingBox) -> Double {
        let dx = (a.minX + a.maxX - b.minX - b.maxX) / 2, dy = (a.minY + a.maxY - b.minY - b.maxY) / 2
        return dx * dx + dy * dy
    }

    static func box(of polygon: Polygon) -> BoundingBox {
        var box = BoundingBox(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
        for p in polygon.exterior.positions { box.extend(p) }
        return box
    }

    /// The area-weighted centroid of a footprint's outer rings (the vertex mean for degenerate rings).
    static func centre(of geometry: Geometry) -> Position {
        var sx = 0.0, sy = 0.0, sa = 0.0
        for polygon in geometry.polygons {
            let ps = polygon.exterior.positions
            guard let o = ps.first else { continue }
            for k in 0..<(ps.count - 1) {
                let a = Position(ps[k].x - o.x, ps[k].y - o.y), b = Position(ps[k + 1].x - o.x, ps[k + 1].y - o.y)
                let cross = a.x * b.y - b.x * a.y
                sa += cross
                sx += (a.x + b.x) * cross + 3 * o.x * cross
                sy += (a.y + b.y) * cross + 3 * o.y * cross
            }
        }
        if abs(sa) > 0 { return Position(sx / (3 * sa), sy / (3 * sa)) }
        var n = 0.0, x = 0.0, y = 0.0
        geometry.forEachPosition { x += $0.x; y += $0.y; n += 1 }
        return Position(x / max(n, 1), y / max(n, 1))
    }
}

/// The incidents that count: those of the last `days` days, ending at the newest report (as `WorkloadReport`).
struct IncidentWindow {
    let start: Date?
    let end: Date?
    let startText: String?

    init(incidents: [IncidentRecord], days: Int) {
        end = incidents.map(\.reportedAt).max()
        start = end.map { $0.addingTimeInterval(-Double(days) * 86_400) }
        startText = start.map { ISO8601DateFormatter().string(from: $0) }
    }

    func contains(_ date: Date) -> Bool {
        guard let start, let end else { return false }
        return date > start && date <= end
    }
}

/// Local metres around one latitude (equirectangular): good to a fraction of a percent over a village.
struct MetricFrame {
    let kx: Double
    let ky = 110_574.0

    init(latitude: Double) {
        kx = 111_320.0 * cos(latitude * .pi / 180)
    }

    func area(_ geometry: Geometry) -> Double {
        geometry.polygons.reduce(0) { sum, polygon in
            sum + abs(polygon.exterior.signedArea2) / 2 * kx * ky
                - polygon.holes.reduce(0) { $0 + abs($1.signedArea2) / 2 * kx * ky }
        }
    }

    func length(_ ps: [Position]) -> Double {
        var total = 0.0
        for k in 1..<max(1, ps.count) {
            let dx = (ps[k].x - ps[k - 1].x) * kx, dy = (ps[k].y - ps[k - 1].y) * ky
            total += (dx * dx + dy * dy).squareRoot()
        }
        return total
    }

    func perimeter(_ geometry: Geometry) -> Double {
        geometry.polygons.reduce(0) { sum, polygon in sum + polygon.rings.reduce(0) { $0 + length($1.positions) } }
    }

    /// Total length of the lines in a geometry (polygons and points count zero).
    func lineLength(_ geometry: Geometry) -> Double {
        switch geometry {
        case .lineString(let ps): length(ps)
        case .multiLineString(let lines): lines.reduce(0) { $0 + length($1) }
        case .geometryCollection(let members): members.reduce(0) { $0 + lineLength($1) }
        default: 0
        }
    }
}

/// Planar point-in-polygon on value geometries (boundary counts as inside), for placing points in parcels.
enum PlanarGeometry {
    static func covers(_ geometry: Geometry, _ p: Position) -> Bool {
        geometry.polygons.contains { covers($0, p) }
    }

    static func covers(_ polygon: Polygon, _ p: Position) -> Bool {
        guard let inExterior = ringSide(polygon.exterior, p) else { return true }
        guard inExterior else { return false }
        for hole in polygon.holes {
            guard let inHole = ringSide(hole, p) else { return true }
            if inHole { return false }
        }
        return true
    }

    /// true inside, false outside, nil on the ring.
    static func ringSide(_ ring: LinearRing, _ p: Position) -> Bool? {
        let ps = ring.positions
        var inside = false
        for k in 0..<(ps.count - 1) {
            let a = ps[k], b = ps[k + 1]
            let cross = (b.x - a.x) * (p.y - a.y) - (p.x - a.x) * (b.y - a.y)
            if cross == 0 && min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y) {
                return nil
            }
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)
                if p.x < x { inside.toggle() }
            }
        }
        return inside
    }
}

/// A uniform bucket grid over bounding boxes, for "which item covers this point" and "which boxes overlap".
struct PointBuckets {
    let boxes: [BoundingBox]
    let origin: Position
    let size: Double
    let columns: Int, rows: Int
    let buckets: [[Int]]

    init(boxes: [BoundingBox]) {
        self.boxes = boxes
        var all = BoundingBox(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
        for b in boxes { all.extend(b) }
        if boxes.isEmpty { all = BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1) }
        let meanSide = boxes.isEmpty ? 1 : boxes.reduce(0) { $0 + max($1.maxX - $1.minX, $1.maxY - $1.minY) } / Double(boxes.count)
        var size = max(meanSide, 1e-6)
        while ((all.maxX - all.minX) / size) * ((all.maxY - all.minY) / size) > 4_000_000 { size *= 2 }
        self.size = size
        origin = Position(all.minX, all.minY)
        columns = Int((all.maxX - all.minX) / size) + 1
        rows = Int((all.maxY - all.minY) / size) + 1
        var buckets = [[Int]](repeating: [], count: columns * rows)
        for (i, b) in boxes.enumerated() {
            let (c0, r0) = Self.cell(Position(b.minX, b.minY), origin, size, columns, rows)
            let (c1, r1) = Self.cell(Position(b.maxX, b.maxY), origin, size, columns, rows)
            for r in r0...r1 { for c in c0...c1 { buckets[r * columns + c].append(i) } }
        }
        self.buckets = buckets
    }

    private static func cell(_ p: Position, _ origin: Position, _ size: Double, _ columns: Int, _ rows: Int) -> (Int, Int) {
        let c = min(columns - 1, max(0, Int(((p.x - origin.x) / size).rounded(.down))))
        let r = min(rows - 1, max(0, Int(((p.y - origin.y) / size).rounded(.down))))
        return (c, r)
    }

    /// The lowest-numbered item whose box holds `p` and that passes `test`.
    func first(containing p: Position, where test: (Int) -> Bool) -> Int? {
        guard p.x.isFinite, p.y.isFinite else { return nil }
        let (c, r) = Self.cell(p, origin, size, columns, rows)
        return buckets[r * columns + c].first { boxes[$0].contains(p) && test($0) }
    }

    /// Every item whose box holds `p`, in index order.
    func all(containing p: Position) -> [Int] {
        guard p.x.isFinite, p.y.isFinite else { return [] }
        let (c, r) = Self.cell(p, origin, size, columns, rows)
        return buckets[r * columns + c].filter { boxes[$0].contains(p) }
    }

    func candidates(overlapping box: BoundingBox) -> [Int] {
        let (c0, r0) = Self.cell(Position(box.minX, box.minY), origin, size, columns, rows)
        let (c1, r1) = Self.cell(Position(box.maxX, box.maxY), origin, size, columns, rows)
        var found = Set<Int>()
        for r in r0...r1 { for c in c0...c1 { for i in buckets[r * columns + c] where boxes[i].intersects(box) { found.insert(i) } } }
        return found.sorted()
    }
}

/// Union-find with path halving.
struct UnionFind {
    var parent: [Int]
    init(_ n: Int) { parent = Array(0..<n) }
    mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
        return x
    }
    mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
}

/// Cuts a box recursively by axis-parallel lines that cross no building (through the gaps between footprints),
/// balancing load, until every box is light and small enough or no gap is left.
struct BoxCutter {
    struct Item {
        var box: BoundingBox
        var load: Double
    }

    let maxLoad: Double
    let maxArea: Double
    let minSide: Double

    func cut(_ box: BoundingBox, _ items: [Item], into leaves: inout [BoundingBox], depth: Int = 0) {
        let load = items.reduce(0) { $0 + $1.load }
        let width = box.maxX - box.minX, height = box.maxY - box.minY
        let needLoad = load > maxLoad && items.count > 1
        let needArea = width * height > maxArea
        guard (needLoad || needArea) && depth < 40 else { leaves.append(box); return }
        var best: (axis: Int, position: Double, score: Double)?
        for axis in 0..<2 {
            let low = axis == 0 ? box.minX : box.minY, high = axis == 0 ? box.maxX : box.maxY
            let extent = high - low
            guard extent >= 2 * minSide else { continue }
            let middle = (low + high) / 2
            let sorted = items.sorted { lowEdge($0.box, axis) < lowEdge($1.box, axis) }
            var gaps: [(Double, Double)] = []   // (position, load on the low side)
            var reach = low, prefix = 0.0
            for item in sorted {
                let start = lowEdge(item.box, axis)
                if start > reach { gaps.append(((reach + start) / 2, prefix)) }
                reach = max(reach, highEdge(item.box, axis))
                prefix += item.load
            }
            if reach < high { gaps.append(((reach + high) / 2, prefix)) }
            if sorted.isEmpty { gaps = [(middle, 0)] }
            // Cut lines on the 1e-7° lattice of the input coordinates (still inside the gap: its ends are on it).
            for (position, left) in gaps.map({ (($0.0 * 1e7).rounded() / 1e7, $0.1) })
            where position >= low + minSide && position <= high - minSide {
                let balance = load > 0 ? abs(left - load / 2) / load : 0
                let centring = abs(position - middle) / extent
                var score = needLoad ? balance + 0.25 * centring : centring + 0.25 * balance
                if extent < (axis == 0 ? height : width) { score += 0.15 }
                if best == nil || score < best!.score { best = (axis, position, score) }
            }
        }
        guard let best else { leaves.append(box); return }
        var lowBox = box, highBox = box
        if best.axis == 0 { lowBox.maxX = best.position; highBox.minX = best.position } else {
            lowBox.maxY = best.position; highBox.minY = best.position
        }
        let lowItems = items.filter { highEdge($0.box, best.axis) <= best.position }
        let highItems = items.filter { highEdge($0.box, best.axis) > best.position }
        cut(lowBox, lowItems, into: &leaves, depth: depth + 1)
        cut(highBox, highItems, into: &leaves, depth: depth + 1)
    }

    private func lowEdge(_ b: BoundingBox, _ axis: Int) -> Double { axis == 0 ? b.minX : b.minY }
    private func highEdge(_ b: BoundingBox, _ axis: Int) -> Double { axis == 0 ? b.maxX : b.maxY }
}

/// Makes polygons that meet along edges share identical vertices: vertices within `tolerance` of each other become
/// one, and every vertex lying within `tolerance` of another polygon's edge is inserted into that edge.
enum Noder {
    static func node(_ polygons: inout [Polygon], tolerance: Double) {
        // 1. Snap vertices together (first seen wins), through a hash of cells of the tolerance's size.
        let cell = tolerance * 4
        func key(_ p: Position) -> SIMD2<Int64> {
            SIMD2(Int64((p.x / cell).rounded(.down)), Int64((p.y / cell).rounded(.down)))
        }
        var cells: [SIMD2<Int64>: [Position]] = [:]
        var snapped: [Position: Position] = [:]
        for polygon in polygons {
            for ring in polygon.rings {
                for p in ring.positions where snapped[p] == nil {
                    let k = key(p)
                    var target = p
                    search: for dx in Int64(-1)...1 {
                        for dy in Int64(-1)...1 {
                            for q in cells[k &+ SIMD2(dx, dy)] ?? [] where abs(q.x - p.x) <= tolerance && abs(q.y - p.y) <= tolerance {
                                target = q
                                break search
                            }
                        }
                    }
                    if target == p { cells[k, default: []].append(p) }
                    snapped[p] = target
                }
            }
        }
        let points = Array(Set(snapped.values))
        var box = BoundingBox(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
        for p in points { box.extend(p) }
        let buckets = PointBuckets(boxes: points.map { BoundingBox(minX: $0.x, minY: $0.y, maxX: $0.x, maxY: $0.y) })

        // 2. Rebuild each ring with snapped vertices and the vertices lying on its edges.
        func rebuild(_ ring: LinearRing) -> LinearRing {
            let ps = ring.positions.map { snapped[$0] ?? $0 }
            var out: [Position] = []
            for k in 0..<(ps.count - 1) {
                let a = ps[k], b = ps[k + 1]
                if out.last != a { out.append(a) }
                guard a != b else { continue }
                let segment = BoundingBox(minX: min(a.x, b.x) - tolerance, minY: min(a.y, b.y) - tolerance,
                                          maxX: max(a.x, b.x) + tolerance, maxY: max(a.y, b.y) + tolerance)
                let dx = b.x - a.x, dy = b.y - a.y
                let length2 = dx * dx + dy * dy
                var inserts: [(Double, Position)] = []
                for i in buckets.candidates(overlapping: segment) {
                    let p = points[i]
                    guard p != a && p != b else { continue }
                    let t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2
                    guard t > 0 && t < 1 else { continue }
                    let cx = a.x + t * dx - p.x, cy = a.y + t * dy - p.y
                    if cx * cx + cy * cy <= tolerance * tolerance { inserts.append((t, p)) }
                }
                for (_, p) in inserts.sorted(by: { $0.0 < $1.0 }) where out.last != p { out.append(p) }
            }
            if let first = out.first, out.last != first { out.append(first) }
            return LinearRing(out)
        }
        for k in polygons.indices {
            polygons[k] = Polygon(exterior: rebuild(polygons[k].exterior), holes: polygons[k].holes.map(rebuild))
        }
    }
}
