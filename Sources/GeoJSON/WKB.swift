/// Well-known binary (OGC Simple Features / ISO SQL/MM) for the `Geometry` values: the form GIS libraries
/// (GDAL/OGR, GEOS, GeoPackage) hand geometries over in.
///
/// Reading accepts either byte order, ISO type codes with Z, M or ZM (1000/2000/3000 added: the extra ordinates
/// are dropped, as the GeoJSON reader drops them) and the older extended flags (0x80000000 for Z, 0x40000000 for M);
/// it refuses curves and other types `Geometry` has no case for, naming them. Writing produces little-endian 2D WKB.
public enum WKB {
    /// Decodes one geometry; the bytes must hold exactly one. Errors name the byte offset (`path` is `wkb[offset]`).
    public static func decode(_ bytes: [UInt8]) throws(GeometryDecodingError) -> Geometry {
        var reader = Reader(bytes: bytes)
        let geometry = try reader.geometry(depth: 0)
        if reader.offset != bytes.count {
            throw GeometryDecodingError(path: "wkb[\(reader.offset)]",
                                        reason: "\(bytes.count - reader.offset) bytes left after the geometry")
        }
        return geometry
    }

    /// Little-endian 2D WKB of `geometry`.
    public static func encode(_ geometry: Geometry) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(geometry, into: &out)
        return out
    }

    /// The type names of ISO WKB codes 1–17 (those `Geometry` lacks are refused by name).
    static let typeNames = [1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                            6: "MultiPolygon", 7: "GeometryCollection", 8: "CircularString", 9: "CompoundCurve",
                            10: "CurvePolygon", 11: "MultiCurve", 12: "MultiSurface", 13: "Curve", 14: "Surface",
                            15: "PolyhedralSurface", 16: "TIN", 17: "Triangle"]

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var littleEndian = true
        var dimensions = 2

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func failure(_ reason: String) -> GeometryDecodingError {
            GeometryDecodingError(path: "wkb[\(offset)]", reason: reason)
        }

        mutating func need(_ count: Int) throws(GeometryDecodingError) {
            if count < 0 || bytes.count - offset < count {
                throw failure("the WKB ends early: \(count) more bytes expected, \(bytes.count - offset) left")
            }
        }

        mutating func uint32() throws(GeometryDecodingError) -> UInt32 {
            try need(4)
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * i) }
            offset += 4
            return littleEndian ? v : v.byteSwapped
        }

        mutating func count(of what: String, size: Int) throws(GeometryDecodingError) -> Int {
            let n = Int(try uint32())
            // Each element takes at least `size` bytes: a count beyond what is left is corrupt, not a big allocation.
            if n * size > bytes.count - offset {
                throw failure("\(n) \(what) cannot fit in the \(bytes.count - offset) bytes left")
            }
            return n
        }

        mutating func position() throws(GeometryDecodingError) -> Position {
            try need(8 * dimensions)
            var values = (0.0, 0.0)
            for i in 0..<2 {
                var bits: UInt64 = 0
                for b in 0..<8 { bits |= UInt64(bytes[offset + 8 * i + b]) << (8 * b) }
                let value = Double(bitPattern: littleEndian ? bits : bits.byteSwapped)
                if i == 0 { values.0 = value } else { values.1 = value }
            }
            offset += 8 * dimensions
            return Position(values.0, values.1)
        }

        mutating func positions() throws(GeometryDecodingError) -> [Position] {
            let n = try count(of: "points", size: 8 * dimensions)
            var out: [Position] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try position()) }
            return out
        }

        mutating func polygon() throws(GeometryDecodingError) -> Polygon {
            let n = try count(of: "rings", size: 4)
            var rings: [LinearRing] = []
            rings.reserveCapacity(n)
            for _ in 0..<n { rings.append(LinearRing(try positions())) }
            guard let exterior = rings.first else { return Polygon(exterior: LinearRing([])) }
            return Polygon(exterior: exterior, holes: Array(rings.dropFirst()))
        }

        /// A header (byte order, type), then the body; parts of multi-geometries are full geometries of their own.
        mutating func geometry(depth: Int) throws(GeometryDecodingError) -> Geometry {
            if depth > 32 { throw failure("geometry collections nested more than 32 deep") }
            try need(5)
            switch bytes[offset] {
            case 0: littleEndian = false
            case 1: littleEndian = true
            default: throw failure("byte order must be 0 or 1, found \(bytes[offset])")
            }
            offset += 1
            let raw = try uint32()
            var code = Int(raw & 0x0FFF_FFFF)
            var z = raw & 0x8000_0000 != 0, m = raw & 0x4000_0000 != 0
            switch code / 1000 {
            case 1: z = true
            case 2: m = true
            case 3: z = true; m = true
            default: break
            }
            code %= 1000
            dimensions = 2 + (z ? 1 : 0) + (m ? 1 : 0)
            let dims = dimensions
            func parts<T>(_ expected: Int, _ name: String,
                          _ body: (Geometry) -> T?) throws(GeometryDecodingError) -> [T] {
                let n = try count(of: "parts", size: 5)
                var out: [T] = []
                out.reserveCapacity(n)
                for _ in 0..<n {
                    let start = offset
                    let part = try geometry(depth: depth + 1)
                    guard let value = body(part) else {
                        offset = start
                        throw failure("a \(name) holds a \(part.typeName), expected \(WKB.typeNames[expected]!)")
                    }
                    out.append(value)
                }
                dimensions = dims
                return out
            }
            switch code {
            case 1:
                let p = try position()
                // An empty point is written as NaN coordinates.
                return p.x.isNaN && p.y.isNaN ? .multiPoint([]) : .point(p)
            case 2: return .lineString(try positions())
            case 3: return .polygon(try polygon())
            case 4: return .multiPoint(try parts(1, "MultiPoint") { if case .point(let p) = $0 { p } else { nil } })
            case 5:
                return .multiLineString(try parts(2, "MultiLineString") { if case .lineString(let l) = $0 { l } else { nil } })
            case 6:
                return .multiPolygon(MultiPolygon(try parts(3, "MultiPolygon") { if case .polygon(let p) = $0 { p } else { nil } }))
            case 7: return .geometryCollection(try parts(7, "GeometryCollection") { $0 })
            default:
                offset -= 4
                let name = WKB.typeNames[code].map { "a \($0)" } ?? "geometry type \(raw)"
                throw failure("\(name) is not supported; convert curves to straight segments " +
                              "(ogr2ogr -nlt CONVERT_TO_LINEAR) or export as Polygon/MultiPolygon")
            }
        }
    }

    private static func write(_ geometry: Geometry, into out: inout [UInt8]) {
        func header(_ code: UInt32) {
            out.append(1)
            append(code)
        }
        func append(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func append(_ p: Position) {
            withUnsafeBytes(of: p.x.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: p.y.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
        func append(_ ps: [Position]) {
            append(UInt32(ps.count))
            for p in ps { append(p) }
        }
        func append(_ polygon: Polygon) {
            let rings = polygon.exterior.positions.isEmpty ? [] : polygon.rings
            append(UInt32(rings.count))
            for r in rings { append(r.positions) }
        }
        switch geometry {
        case .point(let p): header(1); append(p)
        case .lineString(let ps): header(2); append(ps)
        case .polygon(let p): header(3); append(p)
        case .multiPoint(let ps):
            header(4); append(UInt32(ps.count))
            for p in ps { header(1); append(p) }
        case .multiLineString(let ls):
            header(5); append(UInt32(ls.count))
            for l in ls { header(2); append(l) }
        case .multiPolygon(let m):
            header(6); append(UInt32(m.polygons.count))
            for p in m.polygons { header(3); append(p) }
        case .geometryCollection(let gs):
            header(7); append(UInt32(gs.count))
            for g in gs { write(g, into: &out) }
        }
    }
}
