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

/// Answers "which grid, which building" for points, exactly as GEOS's `covers` would.
///
/// Grids and buildings are indexed in ascending id order, so "the lowest id" is the documented rule wherever a point
/// is covered by several grids (a shared edge or vertex, or an overlap). An immutable value: share it across threads.
public struct GridLocator: Sendable {
    public let frame: LocatorFrame
    public let gridIDs: [String]
    public let buildingIDs: [String]
    let grids: PolygonIndex
    let buildings: PolygonIndex?

    /// Builds the indexes. `frame` chooses which coordinates the points will come in.
    public init(grids: [Grid], buildings: [Building] = [], frame: LocatorFrame = .lonLat) throws {
        self.frame = frame
        let sortedGrids = grids.sorted { $0.gridID < $1.gridID }
        gridIDs = sortedGrids.map(\.gridID)
        let gridFeatures = sortedGrids.enumerated().map { (id: Int32($0.offset), geometry: Self.move($0.element.geometry, to: frame)) }
        self.grids = try PolygonIndex(features: gridFeatures)
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

    /// Moves a longitude/latitude geometry into the frame (vertex by vertex; see `LocatorFrame`).
    static func move(_ geometry: Geometry, to frame: LocatorFrame) -> Geometry {
        switch frame {
        case .lonLat: geometry
        case .gcj02: geometry.mapPositions(ChineseOffset.wgs84ToGCJ02)
        case .bd09: geometry.mapPositions(ChineseOffset.wgs84ToBD09)
        }
    }

    /// Locates one point given in the locator's frame.
    /// - Parameter snapMetres: when the point is in no grid, the largest distance at which the nearest grid is named.
    public func locate(_ p: Position, snapMetres: Double = 0) -> GeocodeResult {
        guard p.x.isFinite, p.y.isFinite, abs(p.x) <= 180, abs(p.y) <= 90 else { return .invalid }
        let building = buildings.flatMap { index in index.coveringPolygons(of: p).firstID.map { buildingIDs[Int($0)] } }
        switch grids.coveringPolygons(of: p) {
        case .none:
            if snapMetres > 0 {
                // Degrees of longitude per metre here: the widest degree span a metric distance can take.
                let metresPerDegree = 111_320.0 * max(0.01, cos(p.y * .pi / 180))
                if let (id, degrees) = grids.nearestPolygon(to: p, within: snapMetres / metresPerDegree) {
                    return GeocodeResult(gridID: gridIDs[Int(id)], buildingID: building, status: .snapped,
                                         snapDistanceMetres: degrees * metresPerDegree)
                }
            }
            return GeocodeResult(gridID: nil, buildingID: building, status: .outside)
        case .one(let id, _):
            return GeocodeResult(gridID: gridIDs[Int(id)], buildingID: building, status: .inside)
        case .many(let first, _, _):
            var hits: [CoverHit] = []
            grids.coveringPolygons(of: p, into: &hits)
            let allOnBoundary = hits.allSatisfy(\.onBoundary)
            return GeocodeResult(gridID: gridIDs[Int(first)], buildingID: building,
                                 status: allOnBoundary ? .boundary : .overlap)
        }
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
    /// The same geometry with `transform` applied to every position.
    public func mapPositions(_ transform: (Position) -> Position) -> Geometry {
        func ring(_ r: LinearRing) -> LinearRing { LinearRing(r.positions.map(transform)) }
        func polygon(_ p: Polygon) -> Polygon { Polygon(exterior: ring(p.exterior), holes: p.holes.map(ring)) }
        switch self {
        case .point(let p): return .point(transform(p))
        case .multiPoint(let ps): return .multiPoint(ps.map(transform))
        case .lineString(let ps): return .lineString(ps.map(transform))
        case .multiLineString(let ls): return .multiLineString(ls.map { $0.map(transform) })
        case .polygon(let p): return .polygon(polygon(p))
        case .multiPolygon(let m): return .multiPolygon(MultiPolygon(m.polygons.map(polygon)))
        case .geometryCollection(let gs): return .geometryCollection(gs.map { $0.mapPositions(transform) })
        }
    }
}
