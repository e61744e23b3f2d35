import Foundation
import GeoJSON
import GridGeometry
import GridProjection

/// A parcel (地块): a small piece of one village, cut by GEOS from one current grid and a regular lattice,
/// holding whole buildings. Parcels tile their village, so any grouping of a village's parcels into
/// grids tiles the village too; proposals are groupings of parcels.
public struct Parcel: Sendable, Hashable {
    public var index: Int
    public var villageIndex: Int
    /// The current grid the parcel was cut from (the one holding most of its area when buildings forced a merge).
    public var gridIndex: Int
    public var geometry: Geometry
    public var bbox: BoundingBox
    public var areaM2: Double
    public var perimeterM: Double
    /// Buildings whose footprint centre lies in the parcel (buildings never straddle parcels: parcels a building
    /// overlaps are merged).
    public var buildings: [Int]
    public var counts: WorkloadCounts
}

/// An edge of the parcel graph: two parcels of one village that share a boundary of positive length.
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

    /// Workload index of a parcel.
    public func workload(_ p: Int) -> Double { weights.rawWorkload(of: parcels[p].counts) }

    /// Cuts every village's grids into parcels.
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

        // Load of each building (itself, its households and residents) and the buildings of each current grid.
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
        for (b, building) in county.buildings.enumerated() {
            if let g = building.gridID.flatMap({ gridIndex[$0] }) { buildingsOfGrid[g].append(b) }
        }
        let gridLoads = buildingsOfGrid.map { $0.reduce(0) { $0 + buildingLoad[$1] } }
        let meanLoad = max(gridLoads.reduce(0, +) / Double(max(1, gridLoads.count)), 1e-9)

        // 1. Cut each grid into boxes by straight lines through the gaps between its buildings (a k-d tree):
        //    a box is cut while it carries more than `parcelLoadShare` of the mean grid load or more than a
        //    `1 / parcelsPerGrid` share of its grid's extent. Pieces are the grid ∩ each box (GEOS).
        var raw: [(village: Int, grid: Int, geometry: Polygon)] = []
        for (g, grid) in county.grids.enumerated() {
            guard let vid = grid.villageID, let v = villageIndex[vid] else {
                throw PlanningError("grid \(grid.gridID) has no village (village_id \(grid.villageID ?? "missing") is not " +
                                    "among the villages); grids never cross village lines, so every grid needs its village")
            }
            guard let box = grid.geometry.boundingBox else { continue }
            let items = buildingsOfGrid[g].compactMap { b in
                county.buildings[b].geometry.boundingBox.map { BoxCutter.Item(box: $0, load: buildingLoad[b]) }
            }
            let cutter = BoxCutter(maxLoad: parcelLoadShare * meanLoad,
                                   maxArea: (box.maxX - box.minX) * (box.maxY - box.minY) / parcelsPerGrid,
                                   minSide: 0.00005)
            var leaves: [BoundingBox] = []
            cutter.cut(box, items, into: &leaves)
            let geos = try GEOSGeometry(grid.geometry, context: context)
            for leaf in leaves {
                let piece = try geos.intersection(GEOSGeometry(box: leaf, context: context))
                if try piece.isEmpty() { continue }
                for polygon in try piece.polygonalPart().toGeometry().polygons where abs(polygon.exterior.signedArea2) > 1e-14 {
                    raw.append((v, g, polygon))
                }
            }
        }

        // Node the pieces of each village: cut points computed by different overlays on one edge differ by ~1e-16°,
        // so snap vertices closer than 1e-10° together and insert each vertex into the edges it lies on. Then
        // neighbouring pieces share identical vertices and unions of pieces are clean.
        var piecesOfVillage = [[Int]](repeating: [], count: county.villages.count)
        for (i, piece) in raw.enumerated() { piecesOfVillage[piece.village].append(i) }
        for members in piecesOfVillage where members.count > 1 {
            var polygons = members.map { raw[$0].geometry }
            Noder.node(&polygons, tolerance: 1e-10)
            for (k, i) in members.enumerated() { raw[i].geometry = polygons[k] }
        }

        // 2. Place buildings by their footprint centre; merge pieces a footprint overlaps.
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
            let centre = Self.centre(of: building.geometry)
            guard let home = locator.first(containing: centre, where: { PlanarGeometry.covers(raw[$0].geometry, centre) })
            else { continue }
            homeOfBuilding[b] = home
            guard let bbox = building.geometry.boundingBox else { continue }
            let others = locator.candidates(overlapping: bbox).filter { $0 != home && union.find($0) != union.find(home) }
            if others.isEmpty { continue }
            let footprint = try GEOSGeometry(building.geometry, context: context)
            for other in others where try footprint.intersection(geosPiece(other)).area() > 1e-16 {
                union.union(home, other)
            }
        }

        // 3. Parcels: each union-find class; merged ones are unions of their pieces.
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
            let largest = group.max { abs(raw[$0].geometry.exterior.signedArea2) < abs(raw[$1].geometry.exterior.signedArea2) }!
            let v = raw[group[0]].village
            let frame = MetricFrame(latitude: Self.centre(of: county.villages[v].geometry).y)
            parcels.append(Parcel(index: k, villageIndex: v, gridIndex: raw[largest].grid, geometry: geometry,
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

        // 4. Workload: households through their building (or location), incidents of the window by location.
        let parcelLocator = PointBuckets(boxes: parcels.map(\.bbox))
        func parcel(at point: Position) -> Int? {
            parcelLocator.first(containing: point) { PlanarGeometry.covers(parcels[$0].geometry, point) }
        }
        var unplacedHouseholds: [String] = []
        var unplacedIncidents = 0
        for h in county.households {
            if let p = h.buildingID.flatMap({ buildingIndex[$0] }).flatMap({ parcelOfBuilding[$0] })
                ?? h.location.flatMap(parcel(at:)) {
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

        // 5. Adjacency: parcels of one village sharing a boundary of positive length.
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
            self.villageIndex = villageIndex
        self.gridIndex = gridIndex
        self.parcels = parcels
        self.parcelsOfVillage = parcelsOfVillage
        self.parcelOfBuilding = parcelOfBuilding
        self.unplacedHouseholds = unplacedHouseholds
        self.unplacedIncidents = unplacedIncidents
        self.incidentWindowStart = window.startText
        self.neighbours = neighbours
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
