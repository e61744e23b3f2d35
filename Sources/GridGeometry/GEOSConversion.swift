internal import CGEOS
import GeoJSON

/// Builds GEOS geometries from value geometries.
///
/// Ownership: `GEOSGeom_createLinearRing_r`, `GEOSGeom_createPolygon_r` and `GEOSGeom_createCollection_r` take over
/// their inputs, and destroy them themselves when they fail (GEOS 3.11). So an input pointer is freed here only when
/// it never reached such a call.
struct GEOSBuilder {
    let context: GEOSContext
    var handle: GEOSContextHandle_t { context.handle }

    func make(_ geometry: Geometry) throws -> OpaquePointer {
        switch geometry {
        case .point(let p):
            // Returns NULL on exception.
            guard let g = GEOSGeom_createPointFromXY_r(handle, p.x, p.y) else {
                throw context.error("GEOSGeom_createPointFromXY_r")
            }
            return g
        case .lineString(let positions):
            let seq = try sequence(positions)
            // Takes ownership of seq; NULL on exception.
            guard let g = GEOSGeom_createLineString_r(handle, seq) else {
                throw context.error("GEOSGeom_createLineString_r")
            }
            return g
        case .polygon(let polygon):
            return try make(polygon)
        case .multiPoint(let positions):
            return try collection(GEOS_MULTIPOINT, positions.map { Geometry.point($0) })
        case .multiLineString(let lines):
            return try collection(GEOS_MULTILINESTRING, lines.map { Geometry.lineString($0) })
        case .multiPolygon(let multi):
            return try collection(GEOS_MULTIPOLYGON, multi.polygons.map { Geometry.polygon($0) })
        case .geometryCollection(let members):
            return try collection(GEOS_GEOMETRYCOLLECTION, members)
        }
    }

    func make(_ polygon: Polygon) throws -> OpaquePointer {
        let shell = try ring(polygon.exterior)
        var holes: [OpaquePointer?] = []
        holes.reserveCapacity(polygon.holes.count)
        do {
            for hole in polygon.holes { holes.append(try ring(hole)) }
        } catch {
            GEOSGeom_destroy_r(handle, shell)
            for hole in holes { GEOSGeom_destroy_r(handle, hole) }
            throw error
        }
        // Takes ownership of shell and holes (destroys them on failure); NULL on exception.
        let g = holes.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createPolygon_r(handle, shell, buffer.baseAddress, UInt32(buffer.count))
        }
        guard let g else { throw context.error("GEOSGeom_createPolygon_r") }
        return g
    }

    private func ring(_ ring: LinearRing) throws -> OpaquePointer {
        let seq = try sequence(ring.positions)
        // Takes ownership of seq; NULL on exception (not closed, fewer than 4 points).
        guard let g = GEOSGeom_createLinearRing_r(handle, seq) else {
            throw context.error("GEOSGeom_createLinearRing_r")
        }
        return g
    }

    private func sequence(_ positions: [Position]) throws -> OpaquePointer {
        var flat = [Double]()
        flat.reserveCapacity(positions.count * 2)
        for p in positions {
            flat.append(p.x)
            flat.append(p.y)
        }
        // Copies the buffer; NULL on exception.
        let seq = flat.withUnsafeBufferPointer { buffer in
            GEOSCoordSeq_copyFromBuffer_r(handle, buffer.baseAddress, UInt32(positions.count), 0, 0)
        }
        guard let seq else { throw context.error("GEOSCoordSeq_copyFromBuffer_r") }
        return seq
    }

    private func collection(_ type: GEOSGeomTypes, _ members: [Geometry]) throws -> OpaquePointer {
        var parts: [OpaquePointer?] = []
        parts.reserveCapacity(members.count)
        do {
            for member in members { parts.append(try make(member)) }
        } catch {
            for part in parts { GEOSGeom_destroy_r(handle, part) }
            throw error
        }
        // Takes ownership of the parts; NULL on exception.
        let g = parts.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createCollection_r(handle, Int32(type.rawValue), buffer.baseAddress, UInt32(buffer.count))
        }
        guard let g else { throw context.error("GEOSGeom_createCollection_r") }
        return g
    }
}

/// Reads value geometries out of GEOS geometries. Child pointers (`GEOSGetExteriorRing_r`, `GEOSGetGeometryN_r`)
/// belong to their parent and are never destroyed here.
struct GEOSReader {
    let context: GEOSContext
    var handle: GEOSContextHandle_t { context.handle }

    func geometry(_ g: OpaquePointer) throws -> Geometry {
        let type = GEOSGeomTypeId_r(handle, g)
        switch type {
        case Int32(GEOS_POINT.rawValue):
            let positions = try coordinates(g)
            guard let p = positions.first else { return .multiPoint([]) }
            return .point(p)
        case Int32(GEOS_LINESTRING.rawValue), Int32(GEOS_LINEARRING.rawValue):
            return .lineString(try coordinates(g))
        case Int32(GEOS_POLYGON.rawValue):
            return .polygon(try polygon(g))
        case Int32(GEOS_MULTIPOINT.rawValue):
            return .multiPoint(try parts(g).compactMap { try coordinates($0).first })
        case Int32(GEOS_MULTILINESTRING.rawValue):
            return .multiLineString(try parts(g).map { try coordinates($0) })
        case Int32(GEOS_MULTIPOLYGON.rawValue):
            return .multiPolygon(MultiPolygon(try parts(g).map { try polygon($0) }))
        case Int32(GEOS_GEOMETRYCOLLECTION.rawValue):
            return .geometryCollection(try parts(g).map { try geometry($0) })
        default:
            throw context.error("GEOSGeomTypeId_r")
        }
    }

    private func parts(_ g: OpaquePointer) throws -> [OpaquePointer] {
        let n = GEOSGetNumGeometries_r(handle, g)
        guard n >= 0 else { throw context.error("GEOSGetNumGeometries_r") }
        return try (0..<n).map { i in
            // Returns a child owned by g; NULL on exception.
            guard let part = GEOSGetGeometryN_r(handle, g, i) else { throw context.error("GEOSGetGeometryN_r") }
            return part
        }
    }

    private func polygon(_ g: OpaquePointer) throws -> Polygon {
        if GEOSisEmpty_r(handle, g) == 1 { return Polygon(exterior: LinearRing([])) }
        // Child owned by g; NULL on exception.
        guard let shell = GEOSGetExteriorRing_r(handle, g) else { throw context.error("GEOSGetExteriorRing_r") }
        let holeCount = GEOSGetNumInteriorRings_r(handle, g)
        guard holeCount >= 0 else { throw context.error("GEOSGetNumInteriorRings_r") }
        let holes = try (0..<holeCount).map { i -> LinearRing in
            guard let hole = GEOSGetInteriorRingN_r(handle, g, i) else { throw context.error("GEOSGetInteriorRingN_r") }
            return LinearRing(try coordinates(hole))
        }
        return Polygon(exterior: LinearRing(try coordinates(shell)), holes: holes)
    }

    private func coordinates(_ g: OpaquePointer) throws -> [Position] {
        if GEOSisEmpty_r(handle, g) == 1 { return [] }
        // Borrowed from g; NULL on exception.
        guard let seq = GEOSGeom_getCoordSeq_r(handle, g) else { throw context.error("GEOSGeom_getCoordSeq_r") }
        var size: UInt32 = 0
        guard GEOSCoordSeq_getSize_r(handle, seq, &size) != 0 else { throw context.error("GEOSCoordSeq_getSize_r") }
        var flat = [Double](repeating: 0, count: Int(size) * 2)
        // Returns 0 on exception.
        let ok = flat.withUnsafeMutableBufferPointer { buffer in
            GEOSCoordSeq_copyToBuffer_r(handle, seq, buffer.baseAddress, 0, 0)
        }
        guard ok != 0 else { throw context.error("GEOSCoordSeq_copyToBuffer_r") }
        return (0..<Int(size)).map { Position(flat[2 * $0], flat[2 * $0 + 1]) }
    }
}
