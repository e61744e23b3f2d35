/// A coordinate pair. For geographic data `x` is longitude and `y` latitude (RFC 7946 order);
/// for projected data `x` is easting and `y` northing, in metres.
public struct Position: Sendable, Hashable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A closed ring: the first and last positions are equal.
public struct LinearRing: Sendable, Hashable {
    public var positions: [Position]

    public init(_ positions: [Position]) {
        self.positions = positions
    }

    /// Twice the signed area by the shoelace formula: positive when counter-clockwise.
    public var signedArea2: Double {
        guard positions.count >= 3 else { return 0 }
        var sum = 0.0
        var previous = positions[positions.count - 1]
        for current in positions {
            sum += (previous.x * current.y) - (current.x * previous.y)
            previous = current
        }
        return sum
    }

    public var isCounterClockwise: Bool { signedArea2 > 0 }

    public var isClosed: Bool {
        guard let first = positions.first, let last = positions.last else { return false }
        return first == last
    }

    /// The same ring traversed the other way.
    public var reversed: LinearRing { LinearRing(positions.reversed()) }
}

/// A polygon: one exterior ring and zero or more holes.
public struct Polygon: Sendable, Hashable {
    public var exterior: LinearRing
    public var holes: [LinearRing]

    public init(exterior: LinearRing, holes: [LinearRing] = []) {
        self.exterior = exterior
        self.holes = holes
    }

    public var rings: [LinearRing] { [exterior] + holes }
}

/// Several polygons that together form one feature (a multipart grid, an exclave).
public struct MultiPolygon: Sendable, Hashable {
    public var polygons: [Polygon]

    public init(_ polygons: [Polygon]) {
        self.polygons = polygons
    }
}

/// The geometry of a GeoJSON object (RFC 7946 section 3.1).
public indirect enum Geometry: Sendable, Hashable {
    case point(Position)
    case multiPoint([Position])
    case lineString([Position])
    case multiLineString([[Position]])
    case polygon(Polygon)
    case multiPolygon(MultiPolygon)
    case geometryCollection([Geometry])

    /// The GeoJSON `type` member.
    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// The polygons of a Polygon or MultiPolygon (empty for other types).
    public var polygons: [Polygon] {
        switch self {
        case .polygon(let polygon): [polygon]
        case .multiPolygon(let multi): multi.polygons
        default: []
        }
    }

    /// Calls `body` for every position of the geometry.
    public func forEachPosition(_ body: (Position) throws -> Void) rethrows {
        switch self {
        case .point(let p): try body(p)
        case .multiPoint(let ps), .lineString(let ps): for p in ps { try body(p) }
        case .multiLineString(let lines): for line in lines { for p in line { try body(p) } }
        case .polygon(let polygon): for ring in polygon.rings { for p in ring.positions { try body(p) } }
        case .multiPolygon(let multi):
            for polygon in multi.polygons { for ring in polygon.rings { for p in ring.positions { try body(p) } } }
        case .geometryCollection(let members): for member in members { try member.forEachPosition(body) }
        }
    }

    /// The same structure with `transform` applied to every position, called in `forEachPosition` order.
    public func mapPositions(_ transform: (Position) throws -> Position) rethrows -> Geometry {
        func ring(_ r: LinearRing) throws -> LinearRing { LinearRing(try r.positions.map(transform)) }
        func polygon(_ p: Polygon) throws -> Polygon {
            let exterior = try ring(p.exterior)
            return Polygon(exterior: exterior, holes: try p.holes.map(ring))
        }
        switch self {
        case .point(let p): return .point(try transform(p))
        case .multiPoint(let ps): return .multiPoint(try ps.map(transform))
        case .lineString(let ps): return .lineString(try ps.map(transform))
        case .multiLineString(let ls): return .multiLineString(try ls.map { try $0.map(transform) })
        case .polygon(let p): return .polygon(try polygon(p))
        case .multiPolygon(let m): return .multiPolygon(MultiPolygon(try m.polygons.map(polygon)))
        case .geometryCollection(let gs): return .geometryCollection(try gs.map { try $0.mapPositions(transform) })
        }
    }

    /// The bounding box, or nil for a geometry with no positions.
    public var boundingBox: BoundingBox? {
        var box: BoundingBox?
        forEachPosition { p in
            if box == nil { box = BoundingBox(minX: p.x, minY: p.y, maxX: p.x, maxY: p.y) } else { box!.extend(p) }
        }
        return box
    }
}

/// An axis-aligned box: `[minX, minY, maxX, maxY]` (RFC 7946 section 5).
public struct BoundingBox: Sendable, Hashable {
    public var minX: Double
    public var minY: Double
    public var maxX: Double
    public var maxY: Double

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    public mutating func extend(_ p: Position) {
        minX = Swift.min(minX, p.x)
        minY = Swift.min(minY, p.y)
        maxX = Swift.max(maxX, p.x)
        maxY = Swift.max(maxY, p.y)
    }

    public mutating func extend(_ other: BoundingBox) {
        minX = Swift.min(minX, other.minX)
        minY = Swift.min(minY, other.minY)
        maxX = Swift.max(maxX, other.maxX)
        maxY = Swift.max(maxY, other.maxY)
    }

    public func contains(_ p: Position) -> Bool {
        p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
    }

    public func intersects(_ other: BoundingBox) -> Bool {
        minX <= other.maxX && other.minX <= maxX && minY <= other.maxY && other.minY <= maxY
    }
}
