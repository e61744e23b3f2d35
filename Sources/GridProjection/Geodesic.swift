internal import CPROJ
import GeoJSON

/// Geodesic measures on the WGS84 ellipsoid (a = 6378137, f = 1/298.257223563) using PROJ's
/// geodesic.h (Karney's algorithms, accurate to nanometres).
///
/// Positions are (longitude, latitude) in degrees: WGS84 or CGCS2000 (their ellipsoids differ by
/// 0.1 mm in the semi-minor axis, far below anything a grid needs). Transform projected or GCJ-02
/// coordinates to WGS84 first.
public enum Geodesic {
    /// The WGS84 ellipsoid, initialised once with `geod_init`; only read afterwards, so sharing is safe.
    private struct Ellipsoid: @unchecked Sendable {
        var geodesic = geod_geodesic()
        init() { geod_init(&geodesic, 6378137, 1 / 298.257223563) }
    }

    private static let wgs84 = Ellipsoid()

    /// The geodesic distance in metres between two (longitude, latitude) positions (`geod_inverse`).
    public static func distance(_ a: Position, _ b: Position) -> Double {
        var s12 = 0.0
        withUnsafePointer(to: wgs84.geodesic) { g in
            geod_inverse(g, a.y, a.x, b.y, b.x, &s12, nil, nil)
        }
        return s12
    }

    /// The area of a polygon in m²: the exterior's area minus its holes' areas, whatever the rings'
    /// orientation (`geod_polygonarea`). Edges are geodesics, not rhumb lines or straight lines in degrees.
    public static func area(of polygon: Polygon) -> Double {
        let outer = abs(measure(polygon.exterior).area)
        let holes = polygon.holes.reduce(0.0) { $0 + abs(measure($1).area) }
        return max(0, outer - holes)
    }

    /// The total area in m² of the polygons in a geometry (Polygon, MultiPolygon, and those inside
    /// a GeometryCollection); points and lines have no area.
    public static func area(of geometry: Geometry) -> Double {
        switch geometry {
        case .polygon(let polygon): area(of: polygon)
        case .multiPolygon(let multi): multi.polygons.reduce(0.0) { $0 + area(of: $1) }
        case .geometryCollection(let members): members.reduce(0.0) { $0 + area(of: $1) }
        case .point, .multiPoint, .lineString, .multiLineString: 0
        }
    }

    /// The length in metres of a polygon's exterior ring (holes are not counted, as in pyproj's
    /// `Geod.geometry_area_perimeter`) (`geod_polygonarea`).
    public static func perimeter(of polygon: Polygon) -> Double {
        measure(polygon.exterior).perimeter
    }

    /// The length in metres of the geodesic path through `positions` (`geod_inverse` per edge).
    public static func length(of positions: [Position]) -> Double {
        guard positions.count >= 2 else { return 0 }
        var total = 0.0
        for i in 1..<positions.count { total += distance(positions[i - 1], positions[i]) }
        return total
    }

    /// Signed area (counter-clockwise positive) and perimeter of one ring (`geod_polygonarea`).
    /// The closing position, if repeated, is dropped: geod_polygonarea closes the ring itself.
    private static func measure(_ ring: LinearRing) -> (area: Double, perimeter: Double) {
        var count = ring.positions.count
        if count >= 2, ring.positions[0] == ring.positions[count - 1] { count -= 1 }
        guard count >= 2 else { return (0, 0) }
        var lats = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = ring.positions[i].y }
            initialized = count
        }
        var lons = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = ring.positions[i].x }
            initialized = count
        }
        var area = 0.0
        var perimeter = 0.0
        withUnsafePointer(to: wgs84.geodesic) { g in
            lats.withUnsafeMutableBufferPointer { la in
                lons.withUnsafeMutableBufferPointer { lo in
                    geod_polygonarea(g, la.baseAddress, lo.baseAddress, Int32(count), &area, &perimeter)
                }
            }
        }
        return (area, perimeter)
    }
}
