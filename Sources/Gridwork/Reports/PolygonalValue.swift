import Foundation
import GeoJSON
import GridGeometry

/// A polygonal geometry as it appears inside report JSON: a GeoJSON `Polygon` or `MultiPolygon` object,
/// coordinates rounded to 7 decimals (about 1 cm), exteriors counter-clockwise as RFC 7946 asks.
public struct PolygonalValue: Sendable, Hashable, Codable {
    public var geometry: Geometry

    public init(_ geometry: Geometry) {
        self.geometry = geometry
    }

    private enum Keys: String, CodingKey { case type, coordinates }

    private static func round(_ v: Double) -> Double { (v * 1e7).rounded() / 1e7 }

    private static func rings(_ p: Polygon) -> [[[Double]]] {
        p.rings.enumerated().map { index, ring in
            // Exterior counter-clockwise, holes clockwise (RFC 7946 section 3.1.6).
            let oriented = (index == 0) == ring.isCounterClockwise ? ring : ring.reversed
            return oriented.positions.map { [round($0.x), round($0.y)] }
        }
    }

    private static func polygon(_ rings: [[[Double]]]) throws -> Polygon {
        let made = try rings.map { ring in
            LinearRing(try ring.map { pair in
                guard pair.count >= 2 else { throw GeoJSONShapeError("a position needs two numbers") }
                return Position(pair[0], pair[1])
            })
        }
        guard let exterior = made.first else { throw GeoJSONShapeError("a polygon needs an exterior ring") }
        return Polygon(exterior: exterior, holes: Array(made.dropFirst()))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        let polygons = geometry.polygons
        if polygons.count == 1 {
            try c.encode("Polygon", forKey: .type)
            try c.encode(Self.rings(polygons[0]), forKey: .coordinates)
        } else {
            try c.encode("MultiPolygon", forKey: .type)
            try c.encode(polygons.map(Self.rings), forKey: .coordinates)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "Polygon":
            geometry = .polygon(try Self.polygon(try c.decode([[[Double]]].self, forKey: .coordinates)))
        case "MultiPolygon":
            geometry = .multiPolygon(MultiPolygon(try c.decode([[[[Double]]]].self, forKey: .coordinates).map(Self.polygon)))
        case let other:
            throw GeoJSONShapeError("expected Polygon or MultiPolygon, found \(other)")
        }
    }
}

struct GeoJSONShapeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Measures shared by the reports.
enum Measure {
    /// The polygons of a GEOS result, dropping the lines and points an overlay leaves where shapes touch.
    static func polygons(of geometry: GEOSGeometry) throws -> [Polygon] {
        // An empty result comes back as a polygon with no positions: not a part.
        try geometry.toGeometry().polygonParts.filter { $0.exterior.positions.count >= 4 }
    }

    /// Whether a polygon is a sliver: nothing is left of it after shrinking it by half the tolerance, i.e. its
    /// widest inscribed circle is narrower than `toleranceMetres`. Measured in a local plane tangent at the polygon
    /// (metres east and north of its first vertex), which is exact to well under a millimetre at grid sizes.
    static func isSliver(_ polygon: Polygon, toleranceMetres: Double, context: GEOSContext) throws -> Bool {
        guard toleranceMetres > 0, let origin = polygon.exterior.positions.first else { return false }
        let metresPerDegree = 6_371_008.8 * Double.pi / 180
        let cosLat = cos(origin.y * .pi / 180)
        let local = Geometry.polygon(polygon).mapPositions {
            Position(($0.x - origin.x) * metresPerDegree * cosLat, ($0.y - origin.y) * metresPerDegree)
        }
        let shrunk = try GEOSGeometry(local, context: context).buffer(-toleranceMetres / 2)
        return try shrunk.isEmpty()
    }
}

extension Geometry {
    /// The polygons of this geometry, looking inside collections; lines and points are dropped.
    var polygonParts: [Polygon] {
        switch self {
        case .polygon(let p): [p]
        case .multiPolygon(let m): m.polygons
        case .geometryCollection(let members): members.flatMap(\.polygonParts)
        default: []
        }
    }
}
