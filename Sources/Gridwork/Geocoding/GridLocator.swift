import Foundation
import GeoJSON
import GridIndex
import GridProjection

/// What the geocoder says about one point.
public enum GeocodeStatus: String, Sendable, CaseIterable {
    /// In exactly one grid (its interior, or a boundary no other grid shares).
    case inside
    /// On an edge or vertex shared by grids; the point goes to the grid with the lowest id.
    case boundary
    /// In the interior of two or more grids: the grids overlap, a data error. The point goes to the lowest id.
    case overlap
    /// In no grid.
    case outside
    /// In no grid, but within the snap distance of one, which is named.
    case snapped
    /// The row could not be read (missing or non-numeric coordinates, NaN, out of range, failed transform).
    case invalid
    /// No coordinates; placed by its address (`GeocodeJob.addressMatcher`), the `match` column says how surely.
    case address
    /// No coordinates, and its address placed no grid (ambiguous, unknown, another county); the reason is listed.
    case unplaced
}

/// The grid and building of one point.
public struct GeocodeResult: Sendable, Hashable {
    public var gridID: String?
    public var buildingID: String?
    public var status: GeocodeStatus
    /// For `snapped`: the approximate distance to the grid in metres.
    public var snapDistanceMetres: Double?

    public init(gridID: String?, buildingID: String?, status: GeocodeStatus, snapDistanceMetres: Double? = nil) {
        self.gridID = gridID
        self.buildingID = buildingID
        self.status = status
        self.snapDistanceMetres = snapDistanceMetres
    }

    public static let invalid = GeocodeResult(gridID: nil, buildingID: nil, status: .invalid)
}

/// The coordinate frame an index answers in. Points in EPSG systems are transformed to longitude/latitude;
/// for GCJ-02 and BD-09 the grids themselves are transformed forward once (those offsets have an exact forward
/// formula but no exact inverse), and the points are tested as they come.
public enum LocatorFrame: Sendable, Hashable {
    case lonLat, gcj02, bd09
}

/// The answer for one point as positions into `GridLocator.gridIDs` / `buildingIDs` (-1 for none): what the
/// streaming job uses, so the hot path never touches a `String`.
public struct GeocodeHit: Sendable, Hashable {
    public var grid: Int32
    public var building: Int32
    public var status: GeocodeStatus
    /// For `snapped`: the distance to the named grid in metres (local equirectangular approximation).
    public var snapDistanceMetres: Double

    public init(grid: Int32, building: Int32, status: GeocodeStatus, snapDistanceMetres: Double = 0) {
        self.grid = grid
        self.building = building
        self.status = status
        self.snapDistanceMetres = snapDistanceMetres
    }

    public static let invalid = GeocodeHit(grid: -1, building: -1, status: .invalid)
}

/// Answers "which grid, which building" for points, exactly as GEOS's prepared `covers` would.
///
/// Grids and buildings are indexed in ascending id order (Swift `String` order, which is byte order for ASCII
/// ids: "G10" comes before "G2"), so wherever several grids cover a point (a shared edge or vertex, or an
/// overlap) the point goes to the **lowest id**. The same rule picks the building.
///
/// Statuses: a point covered by exactly one grid is `inside` (also on that grid's outer edge: covers counts
/// the boundary); covered by several grids and on the boundary of every one of them (a shared edge or vertex)
/// it is `boundary`; covered by several grids and in the interior of at least one, `overlap`; covered by
/// none, `outside`, or `snapped` when a grid lies within the snap distance.
///
/// An immutable value: share it across threads.
public struct GridLocator: Sendable {
    public let frame: LocatorFrame
    public let gridIDs: [String]
    public let buildingIDs: [String]
    let grids: PolygonIndex
    let buildings: PolygonIndex?
    /// Edges of grid `g` (in the frame) are `gridEdges[gridEdgeStart[g] ..< gridEdgeStart[g + 1]]`, for snapping.
    let gridEdges: [Segment]
    let gridEdgeStart: [Int]
    let gridBoxes: [BoundingBox]
    /// The extent of the grids in the frame; nil without grids.
    public let bounds: BoundingBox?

    struct Segment: Sendable {
        var a: Position
        var b: Position
    }

    /// Mean metres per degree of latitude (spherical Earth, radius 6,371,008.8 m); snapping uses a local
    /// equirectangular frame, accurate to well under 1 % at snap distances of a few hundred metres.
    static let metresPerDegree = 6_371_008.8 * Double.pi / 180

    /// Builds the indexes. `frame` chooses which coordinates the points will come in.
    public init(grids: [Grid], buildings: [Building] = [], frame: LocatorFrame = .lonLat) throws {
        self.frame = frame
        let sortedGrids = grids.sorted { $0.gridID < $1.gridID }
        gridIDs = sortedGrids.map(\.gridID)
        let moved = sortedGrids.map { Self.move($0.geometry, to: frame) }
        let gridFeatures = moved.enumerated().map { (id: Int32($0.offset), geometry: $0.element) }
        self.grids = try PolygonIndex(features: gridFeatures)
        var edges: [Segment] = []
        var starts: [Int] = [0]
        var boxes: [BoundingBox] = []
        for geometry in moved {
            var box = BoundingBox(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
            geometry.forEachRing { ring in
                let ps = ring.positions
                for i in 0..<max(0, ps.count - 1) {
                    edges.append(Segment(a: ps[i], b: ps[i + 1]))
                    box.minX = min(box.minX, ps[i].x); box.maxX = max(box.maxX, ps[i].x)
                    box.minY = min(box.minY, ps[i].y); box.maxY = max(box.maxY, ps[i].y)
                }
            }
            starts.append(edges.count)
            boxes.append(box)
        }
        gridEdges = edges
        gridEdgeStart = starts
        gridBoxes = boxes
        bounds = boxes.dropFirst().reduce(boxes.first) { union, box in union.map { var u = $0; u.extend(box); return u } }
        let sortedBuildings = buildings.sorted { $0.buildingID < $1.buildingID }
        buildingIDs = sortedBuildings.map(\.buildingID)
        if sortedBuildings.isEmpty {
            self.buildings = nil
        } else {
            let features = sortedBuildings.enumerated().map {
                (id: Int32($0.offset), geometry: Self.move($0.element.geometry, to: frame))
            }
            self.buildings = try PolygonIndex(features: features)
        }
    }

    /// Moves a longitude/latitude geometry into the frame, vertex by vertex: edges stay straight between the
    /// forward-transformed vertices (see `GridLocatorTests` for the bound on how far that strays from the exact
    /// curved image of each edge).
    ///
    /// Edges whose bound exceeds `FrameEdgeError.toleranceMetres` are first cut into equal pieces (the bound falls
    /// with the square of the length). Pieces are interpolated from the lexicographically smaller endpoint, so two
    /// grids sharing an edge get the very same intermediate vertices and stay gap-free in the frame.
    static func move(_ geometry: Geometry, to frame: LocatorFrame) -> Geometry {
        switch frame {
        case .lonLat: return geometry
        case .gcj02, .bd09:
            let toBaidu = frame == .bd09
            func forward(_ p: Position) -> Position {
                toBaidu ? ChineseOffset.wgs84ToBD09(p) : ChineseOffset.wgs84ToGCJ02(p)
            }
            return geometry.mapRings { ring in
                let ps = ring.positions
                guard ps.count > 1 else { return LinearRing(ps.map(forward)) }
                var moved: [Position] = [forward(ps[0])]
                for k in 1..<ps.count {
                    let a = ps[k - 1], b = ps[k]
                    let n = FrameEdgeError.pieces(from: a, to: b, frame: frame)
                    if n > 1 {
                        let forwardOrder = (a.x, a.y) < (b.x, b.y)
                        let (p, q) = forwardOrder ? (a, b) : (b, a)
                        for j in 1..<n {
                            let t = Double(forwardOrder ? j : n - j) / Double(n)
                            moved.append(forward(Position(p.x + t * (q.x - p.x), p.y + t * (q.y - p.y))))
                        }
                    }
                    moved.append(forward(b))
                }
                return LinearRing(moved)
            }
        }
    }

    /// Bytes held by the two indexes' arrays (`PolygonIndex.memoryBytes`), the id lists and the snapping edges.
    public var memoryBytes: (grids: Int, buildings: Int) {
        func ids(_ list: [String]) -> Int {
            list.capacity * MemoryLayout<String>.stride + list.reduce(0) { $0 + ($1.utf8.count > 15 ? $1.utf8.count + 32 : 0) }
        }
        let gridBytes = grids.memoryBytes + ids(gridIDs) + gridEdges.capacity * MemoryLayout<Segment>.stride
            + gridEdgeStart.capacity * 8 + gridBoxes.capacity * MemoryLayout<BoundingBox>.stride
        return (gridBytes, (buildings?.memoryBytes ?? 0) + (buildingIDs.isEmpty ? 0 : ids(buildingIDs)))
    }

    /// Locates one point given in the locator's frame, with ids as strings.
    /// - Parameter snapMetres: when the point is in no grid, the largest distance at which the nearest grid is named.
    public func locate(_ p: Position, snapMetres: Double = 0) -> GeocodeResult {
        let hit = locateHit(p, snapMetres: snapMetres)
        return GeocodeResult(gridID: hit.grid >= 0 ? gridIDs[Int(hit.grid)] : nil,
                             buildingID: hit.building >= 0 ? buildingIDs[Int(hit.building)] : nil,
                             status: hit.status,
                             snapDistanceMetres: hit.status == .snapped ? hit.snapDistanceMetres : nil)
    }

    /// Locates one point given in the locator's frame; allocation-free unless the point lies on edges shared by
    /// several grids or in an overlap.
    @inline(__always)
    public func locateHit(_ p: Position, snapMetres: Double = 0) -> GeocodeHit {
        guard p.x.isFinite, p.y.isFinite, abs(p.x) <= 180, abs(p.y) <= 90 else { return .invalid }
        let building: Int32 = buildings?.coveringPolygons(of: p).firstID ?? -1
        switch grids.coveringPolygons(of: p) {
        case .none:
            if snapMetres > 0, let (grid, metres) = nearestGrid(to: p, withinMetres: snapMetres) {
                return GeocodeHit(grid: grid, building: building, status: .snapped, snapDistanceMetres: metres)
            }
            return GeocodeHit(grid: -1, building: building, status: .outside)
        case .one(let id, _):
            return GeocodeHit(grid: id, building: building, status: .inside)
        case .many(let first, _, let anyBoundary):
            if !anyBoundary { return GeocodeHit(grid: first, building: building, status: .overlap) }
            var hits: [CoverHit] = []
            grids.coveringPolygons(of: p, into: &hits)
            let allOnBoundary = hits.allSatisfy(\.onBoundary)
            return GeocodeHit(grid: first, building: building, status: allOnBoundary ? .boundary : .overlap)
        }
    }

    /// The grid nearest to `p` (a point in no grid) within `metres`, measured in a local equirectangular frame
    /// around `p`; ties go to the lowest id.
    func nearestGrid(to p: Position, withinMetres metres: Double) -> (Int32, Double)? {
        let cosLat = max(0.01, cos(p.y * .pi / 180))
        let kx = Self.metresPerDegree * cosLat, ky = Self.metresPerDegree
        // A disk of `metres` spans at most this many degrees in any direction (longitude degrees are the
        // shorter ones), so when the index finds nothing this close in degrees, nothing is this close in metres.
        let degrees = metres / kx
        guard grids.nearestPolygon(to: p, within: degrees) != nil else { return nil }
        var best = metres * metres
        var bestGrid: Int32 = -1
        let dy = metres / ky
        for g in gridBoxes.indices {
            let box = gridBoxes[g]
            if p.x < box.minX - degrees || p.x > box.maxX + degrees || p.y < box.minY - dy || p.y > box.maxY + dy {
                continue
            }
            for e in gridEdgeStart[g]..<gridEdgeStart[g + 1] {
                let s = gridEdges[e]
                let ax = (s.a.x - p.x) * kx, ay = (s.a.y - p.y) * ky
                let bx = (s.b.x - p.x) * kx, by = (s.b.y - p.y) * ky
                let d2 = Self.squaredDistanceToOrigin(ax, ay, bx, by)
                if d2 < best || (d2 == best && bestGrid < 0) {
                    best = d2
                    bestGrid = Int32(g)
                }
            }
        }
        return bestGrid >= 0 ? (bestGrid, best.squareRoot()) : nil
    }

    /// Squared distance from the origin to the segment a–b.
    static func squaredDistanceToOrigin(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Double {
        let dx = bx - ax, dy = by - ay
        let length2 = dx * dx + dy * dy
        var t = length2 > 0 ? -(ax * dx + ay * dy) / length2 : 0
        t = min(1, max(0, t))
        let ex = ax + t * dx, ey = ay + t * dy
        return ex * ex + ey * ey
    }

    /// The grid index (positions into `gridIDs`) of every point, on all cores; -1 for none. For bulk counting
    /// (households per grid) where statuses are not needed.
    public func gridIndices(xs: [Double], ys: [Double]) -> [Int32] {
        var ids = [Int32](repeating: -1, count: xs.count)
        xs.withUnsafeBufferPointer { xb in
            ys.withUnsafeBufferPointer { yb in
                ids.withUnsafeMutableBufferPointer { ib in
                    grids.locateConcurrently(xs: xb, ys: yb, into: ib)
                }
            }
        }
        return ids
    }
}

extension Geometry {
    /// Calls `body` with every ring of every polygon (exterior and holes); other geometry kinds have none.
    func forEachRing(_ body: (LinearRing) -> Void) {
        switch self {
        case .polygon(let p): body(p.exterior); p.holes.forEach(body)
        case .multiPolygon(let m): for p in m.polygons { body(p.exterior); p.holes.forEach(body) }
        case .geometryCollection(let gs): gs.forEach { $0.forEachRing(body) }
        default: break
        }
    }

    /// The same geometry with `transform` applied to every ring of its polygons (other kinds unchanged).
    func mapRings(_ transform: (LinearRing) -> LinearRing) -> Geometry {
        func polygon(_ p: Polygon) -> Polygon { Polygon(exterior: transform(p.exterior), holes: p.holes.map(transform)) }
        switch self {
        case .polygon(let p): return .polygon(polygon(p))
        case .multiPolygon(let m): return .multiPolygon(MultiPolygon(m.polygons.map(polygon)))
        case .geometryCollection(let gs): return .geometryCollection(gs.map { $0.mapRings(transform) })
        default: return self
        }
    }
}

/// How far a grid edge moved into the GCJ-02 or BD-09 frame can stray from the truth.
///
/// `GridLocator` moves each vertex with the exact forward offset and keeps the edges straight between the moved
/// vertices, while the exact image of an edge is a slightly curved path. For a C² map `F` and an edge `a → b`,
/// the image `F(a + t(b − a))` differs from the chord between `F(a)` and `F(b)` by at most `max|d²F/dt²| / 8`
/// (linear interpolation error), and `d²F/dt² = Σ ∂²F/∂u_i∂u_j d_i d_j` with `d = b − a` in degrees.
/// `boundMetres` bounds those second derivatives term by term from the offset formulas (`ChineseOffset`):
///
/// - GCJ-02: each component is `T(x, y) · k(φ)` with `x = lon − 105`, `y = lat − 35`, `T` the published sine
///   series and `k` the metres-to-degrees factor of the Krasovsky ellipsoid. The sine terms give `|T_xx|`,
///   `|T_yy|` as sums of amplitude × frequency²; `|T| ≤ 1,500` and `|∇T| ≤ 700` over the GCJ-02 domain bound the
///   terms from `k`'s variation (`k'/k ≤ tan φ · π/180`, `k''/k ≤ (1 + 2 tan² φ)(π/180)²`); the `√|x|` terms are
///   bounded by `min(|x|^(-3/2) · c · L²/8, c · √L)`.
/// - BD-09 = B ∘ GCJ-02 with B Baidu's twist `z = r + 2e-5 sin(y·xπ)`, `θ = atan2(y, x) + 3e-6 cos(x·xπ)`:
///   `F'' = B''[G', G'] + B' G''`; B's second derivatives are bounded by `r · 3e-6 · xπ² + 2e-5 · xπ²` plus the
///   first-order cross terms, `|B'| ≤ 1.03`, `|G'| ≤ 1.02`.
///
/// The result is in metres (degrees scaled at the edge's highest latitude) and is tested against the measured
/// deviation of every edge of the sample counties.
public enum FrameEdgeError {
    static let xPi = Double.pi * 3000.0 / 180.0

    /// The largest error `GridLocator` allows a moved edge: longer edges are cut into pieces until each piece's
    /// bound is below this (GPS fixes are good to a few metres at best).
    public static let toleranceMetres = 0.05

    /// Into how many equal pieces `GridLocator` cuts the edge `a → b` before moving it into `frame`.
    public static func pieces(from a: Position, to b: Position, frame: LocatorFrame) -> Int {
        let bound = boundMetres(from: a, to: b, frame: frame)
        guard bound > toleranceMetres else { return 1 }
        // The bound falls at least as fast as the length (the √L term) — usually with its square.
        var n = max(2, Int((bound / toleranceMetres).squareRoot().rounded(.up)))
        while n < 4_096 {
            func point(_ j: Int) -> Position {
                let t = Double(j) / Double(n)
                return Position(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
            }
            let worst = (0..<n).map { boundMetres(from: point($0), to: point($0 + 1), frame: frame) }.max()!
            if worst <= toleranceMetres { break }
            n *= 2
        }
        return n
    }

    /// An upper bound, in metres, on the distance between the straight edge `F(a) → F(b)` and the exact image of
    /// the edge `a → b` (WGS84 longitude/latitude) under the frame's forward offset. Zero for `.lonLat`.
    public static func boundMetres(from a: Position, to b: Position, frame: LocatorFrame) -> Double {
        if frame == .lonLat { return 0 }
        let dx = abs(b.x - a.x), dy = abs(b.y - a.y)
        let length = (dx * dx + dy * dy).squareRoot()
        let maxLat = min(89, max(abs(a.y), abs(b.y)))
        let cosLat = cos(maxLat * .pi / 180), tanLat = tan(maxLat * .pi / 180)
        let rad = Double.pi / 180
        let third = 2.0 / 3.0
        // Second derivatives of the sine series (units of T per degree²).
        let fastX = third * (20 * pow(6 * .pi, 2) + 20 * pow(2 * .pi, 2))
        let midX = third * (20 * .pi * .pi + 40 * pow(.pi / 3, 2))
        let latYY = 0.4 + third * (20 * .pi * .pi + 40 * pow(.pi / 3, 2)) + third * (160 * pow(.pi / 12, 2) + 320 * pow(.pi / 30, 2))
        let lonXX = 0.2 + fastX + midX + third * (150 * pow(.pi / 12, 2) + 300 * pow(.pi / 30, 2))
        let latXX = fastX
        // The √|x| terms: 0.2·√|x| in T_lat, 0.1·√|x| in T_lon.
        let minAbsX = (a.x - 105) * (b.x - 105) <= 0 ? 0 : min(abs(a.x - 105), abs(b.x - 105))
        func rootTerm(_ c: Double) -> Double {
            let curvature = minAbsX > 0 ? c * 0.25 * pow(minAbsX, -1.5) * dx * dx / 8 : .infinity
            return min(curvature, c * length.squareRoot())
        }
        // Chord deviation of T along the edge, then of T·k (product rule, bounds on k'/k and k''/k).
        let tLat = (latXX * dx * dx + 2 * 0.1 * dx * dy + latYY * dy * dy) / 8 + rootTerm(0.2)
        let tLon = (lonXX * dx * dx + 2 * 0.1 * dx * dy) / 8 + rootTerm(0.1)
        let kPrime = max(tanLat, 0.01) * rad * dy, kSecond = (1 + 2 * tanLat * tanLat) * rad * rad * dy * dy
        let scaleTerms = (2 * 700 * length * kPrime + 1_500 * kSecond) / 8
        let a0 = 6378245.0, ee = 0.00669342162296594323  // Krasovsky 1940, as in ChineseOffset
        let kLon = 180 / (.pi * a0 * cosLat)                 // √m ≤ 1
        let kLat = 180 / (.pi * a0 * (1 - ee))               // m^{3/2} ≤ 1
        var devLon = kLon * (tLon + scaleTerms)              // degrees
        var devLat = kLat * (tLat + scaleTerms)
        if frame == .bd09 {
            // B'[G''] with |B'| ≤ 1.03, plus B''[G', G'] with |G'| ≤ 1.02 on each factor.
            let g = 1.02 * 1.02
            let r = 150.0  // |(lon, lat)| over the GCJ-02 domain
            let bxx = (r * 3e-6 * xPi * xPi * dx * dx + 2 * 3e-6 * xPi * dx * dy + 2e-5 * xPi * xPi * dy * dy) * g
            let byy = bxx
            let cross = 2 * (2e-5 * xPi + 3e-6 * xPi) * length * length / r * g
            devLon = 1.03 * devLon + (bxx + cross) / 8
            devLat = 1.03 * devLat + (byy + cross) / 8
        }
        let cosMinLat = cos(min(abs(a.y), abs(b.y)) * .pi / 180)
        let metresLon = devLon * 111_320 * cosMinLat, metresLat = devLat * 111_700
        // 2 % for the products of small terms the sums above leave out.
        return 1.02 * (metresLon * metresLon + metresLat * metresLat).squareRoot()
    }
}
