internal import CGEOS
import GeoJSON

/// One GEOS geometry (`GEOSGeometry*`), owned by this object and destroyed once in `deinit`.
///
/// Like its context, it belongs to one owner at a time. It keeps its `GEOSContext` alive.
/// Convert to the `Sendable` value `Geometry` (`toGeometry()`) or to WKB to hand results across threads.
public final class GEOSGeometry {
    public let context: GEOSContext
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`, which must have been made with `context`.
    init(owning pointer: OpaquePointer, context: GEOSContext) {
        self.pointer = pointer
        self.context = context
    }

    deinit {
        GEOSGeom_destroy_r(context.handle, pointer)
    }

    /// Gives up ownership: the caller passes the pointer to a GEOS call that takes it over.
    /// Implemented as a clone so this object still frees its own pointer exactly once.
    func cloneForTransfer() throws -> OpaquePointer {
        // GEOSGeom_clone_r returns NULL on exception.
        guard let copy = GEOSGeom_clone_r(context.handle, pointer) else { throw context.error("GEOSGeom_clone_r") }
        return copy
    }

    /// Wraps a result pointer, or throws the captured GEOS error when it is NULL.
    func wrap(_ result: OpaquePointer?, _ operation: String) throws -> GEOSGeometry {
        guard let result else { throw context.error(operation) }
        return GEOSGeometry(owning: result, context: context)
    }

    // MARK: Construction

    /// Builds a GEOS geometry from a value geometry (`GEOSGeom_create*_r`).
    public convenience init(_ geometry: Geometry, context: GEOSContext) throws {
        let pointer = try GEOSBuilder(context: context).make(geometry)
        self.init(owning: pointer, context: context)
    }

    /// Reads well-known binary (`GEOSWKBReader_read_r`).
    public convenience init(wkb: [UInt8], context: GEOSContext) throws {
        // GEOSWKBReader_create_r returns NULL on exception.
        guard let reader = GEOSWKBReader_create_r(context.handle) else { throw context.error("GEOSWKBReader_create_r") }
        defer { GEOSWKBReader_destroy_r(context.handle, reader) }
        let result = wkb.withUnsafeBufferPointer { buffer in
            // Returns NULL on exception (malformed WKB).
            GEOSWKBReader_read_r(context.handle, reader, buffer.baseAddress, buffer.count)
        }
        guard let result else { throw context.error("GEOSWKBReader_read_r") }
        self.init(owning: result, context: context)
    }

    /// A point geometry (`GEOSGeom_createPointFromXY_r`).
    public convenience init(point: Position, context: GEOSContext) throws {
        // Returns NULL on exception.
        guard let result = GEOSGeom_createPointFromXY_r(context.handle, point.x, point.y) else {
            throw context.error("GEOSGeom_createPointFromXY_r")
        }
        self.init(owning: result, context: context)
    }

    /// A rectangle polygon (`GEOSGeom_createRectangle_r`).
    public convenience init(box: BoundingBox, context: GEOSContext) throws {
        // Returns NULL on exception.
        guard let result = GEOSGeom_createRectangle_r(context.handle, box.minX, box.minY, box.maxX, box.maxY) else {
            throw context.error("GEOSGeom_createRectangle_r")
        }
        self.init(owning: result, context: context)
    }

    /// Makes a multi-geometry or collection of copies of `members` (`GEOSGeom_createCollection_r`).
    public static func collection(_ members: [GEOSGeometry], context: GEOSContext) throws -> GEOSGeometry {
        let allPolygonal = !members.isEmpty && members.allSatisfy { $0.typeID == GEOS_POLYGON.rawValue }
        let type = allPolygonal ? GEOS_MULTIPOLYGON : GEOS_GEOMETRYCOLLECTION
        var copies: [OpaquePointer?] = []
        copies.reserveCapacity(members.count)
        do {
            for member in members { copies.append(try member.cloneForTransfer()) }
        } catch {
            for copy in copies { GEOSGeom_destroy_r(context.handle, copy) }
            throw error
        }
        // Takes ownership of the members (and destroys them itself on failure); returns NULL on exception.
        let result = copies.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createCollection_r(context.handle, Int32(type.rawValue), buffer.baseAddress, UInt32(buffer.count))
        }
        guard let result else { throw context.error("GEOSGeom_createCollection_r") }
        return GEOSGeometry(owning: result, context: context)
    }

    // MARK: Output

    /// Well-known binary, little-endian, 2D (`GEOSWKBWriter_write_r`; the buffer is freed with `GEOSFree_r`).
    public func wkb() throws -> [UInt8] {
        // GEOSWKBWriter_create_r returns NULL on exception.
        guard let writer = GEOSWKBWriter_create_r(context.handle) else { throw context.error("GEOSWKBWriter_create_r") }
        defer { GEOSWKBWriter_destroy_r(context.handle, writer) }
        GEOSWKBWriter_setByteOrder_r(context.handle, writer, Int32(GEOS_WKB_NDR.rawValue))
        GEOSWKBWriter_setOutputDimension_r(context.handle, writer, 2)
        var size = 0
        // Returns NULL on exception.
        guard let bytes = GEOSWKBWriter_write_r(context.handle, writer, pointer, &size) else {
            throw context.error("GEOSWKBWriter_write_r")
        }
        defer { GEOSFree_r(context.handle, bytes) }
        return Array(UnsafeBufferPointer(start: bytes, count: size))
    }

    /// Well-known text with the given number of decimals (`GEOSWKTWriter_write_r`), for messages and debugging.
    public func wkt(decimals: Int = 7) throws -> String {
        guard let writer = GEOSWKTWriter_create_r(context.handle) else { throw context.error("GEOSWKTWriter_create_r") }
        defer { GEOSWKTWriter_destroy_r(context.handle, writer) }
        GEOSWKTWriter_setRoundingPrecision_r(context.handle, writer, Int32(decimals))
        GEOSWKTWriter_setTrim_r(context.handle, writer, 1)
        // Returns NULL on exception; the string is freed with GEOSFree_r.
        guard let text = context.takeString(GEOSWKTWriter_write_r(context.handle, writer, pointer)) else {
            throw context.error("GEOSWKTWriter_write_r")
        }
        return text
    }

    /// The value geometry (a `Sendable` copy of the coordinates).
    public func toGeometry() throws -> Geometry {
        try GEOSReader(context: context).geometry(pointer)
    }

    // MARK: Properties

    /// The GEOS type id (`GEOSGeomTypeId_r`; -1 on exception).
    var typeID: Int32 { GEOSGeomTypeId_r(context.handle, pointer) }

    /// The GEOS type name, e.g. "Polygon" (`GEOSGeomType_r`).
    public var typeName: String {
        context.takeString(GEOSGeomType_r(context.handle, pointer)) ?? "Unknown"
    }

    /// True for an empty geometry (`GEOSisEmpty_r`; 2 on exception, treated as an error).
    public func isEmpty() throws -> Bool {
        try predicate(GEOSisEmpty_r(context.handle, pointer), "GEOSisEmpty_r")
    }

    /// Planar area in the units of the coordinates squared (`GEOSArea_r`; 0 on exception).
    public func area() throws -> Double {
        var value = 0.0
        guard GEOSArea_r(context.handle, pointer, &value) != 0 else { throw context.error("GEOSArea_r") }
        return value
    }

    /// Planar length or perimeter (`GEOSLength_r`; 0 on exception).
    public func length() throws -> Double {
        var value = 0.0
        guard GEOSLength_r(context.handle, pointer, &value) != 0 else { throw context.error("GEOSLength_r") }
        return value
    }

    /// The bounding box, or nil when empty (`GEOSGeom_getXMin_r` and friends; 0 on exception).
    public func envelope() throws -> BoundingBox? {
        if try isEmpty() { return nil }
        var box = BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
        guard GEOSGeom_getXMin_r(context.handle, pointer, &box.minX) != 0,
              GEOSGeom_getYMin_r(context.handle, pointer, &box.minY) != 0,
              GEOSGeom_getXMax_r(context.handle, pointer, &box.maxX) != 0,
              GEOSGeom_getYMax_r(context.handle, pointer, &box.maxY) != 0
        else { throw context.error("GEOSGeom_getXMin_r") }
        return box
    }

    /// Number of parts of a multi-geometry or collection; 1 for a single geometry (`GEOSGetNumGeometries_r`).
    public func partCount() throws -> Int {
        let n = GEOSGetNumGeometries_r(context.handle, pointer)
        guard n >= 0 else { throw context.error("GEOSGetNumGeometries_r") }
        return Int(n)
    }

    // MARK: Validity

    /// The OGC validity of the geometry with GEOS's reason and location (`GEOSisValidDetail_r`).
    public func validity() throws -> Validity {
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        // Returns 1 when valid, 0 when invalid (reason and location set), 2 on exception.
        let result = GEOSisValidDetail_r(context.handle, pointer, 0, &reason, &location)
        let reasonText = context.takeString(reason)
        var position: Position?
        if let location {
            defer { GEOSGeom_destroy_r(context.handle, location) }
            var x = 0.0
            var y = 0.0
            if GEOSGeomGetX_r(context.handle, location, &x) != 0, GEOSGeomGetY_r(context.handle, location, &y) != 0 {
                position = Position(x, y)
            }
        }
        switch result {
        case 1: return .valid
        case 0: return .invalid(reason: reasonText ?? "invalid geometry", location: position)
        default: throw context.error("GEOSisValidDetail_r")
        }
    }

    /// A valid version of the geometry (`GEOSMakeValidWithParams_r`, method "structure", collapsed parts dropped),
    /// as GEOS and PostGIS's `ST_MakeValid(geom, 'method=structure')` make it.
    public func makeValid() throws -> GEOSGeometry {
        // GEOSMakeValidParams_create_r returns NULL on exception.
        guard let params = GEOSMakeValidParams_create_r(context.handle) else {
            throw context.error("GEOSMakeValidParams_create_r")
        }
        defer { GEOSMakeValidParams_destroy_r(context.handle, params) }
        // Both setters return 0 on exception.
        guard GEOSMakeValidParams_setMethod_r(context.handle, params, GEOS_MAKE_VALID_STRUCTURE) != 0,
              GEOSMakeValidParams_setKeepCollapsed_r(context.handle, params, 0) != 0
        else { throw context.error("GEOSMakeValidParams_setMethod_r") }
        return try wrap(GEOSMakeValidWithParams_r(context.handle, pointer, params), "GEOSMakeValidWithParams_r")
    }

    /// The geometry with every coordinate on a grid of `gridSize` (`GEOSGeom_setPrecision_r` with
    /// `GEOS_PREC_VALID_OUTPUT`): snap-rounded so the result stays valid; parts that collapse below the grid are
    /// dropped (an empty result means the whole geometry collapsed). For writing at a fixed number of decimals
    /// (1e-7 for GeoJSON's 7) without making rings cross or collapse.
    public func reducedPrecision(gridSize: Double) throws -> GEOSGeometry {
        // Returns NULL on exception.
        try wrap(GEOSGeom_setPrecision_r(context.handle, pointer, gridSize, Int32(GEOS_PREC_VALID_OUTPUT.rawValue)),
                 "GEOSGeom_setPrecision_r")
    }

    // MARK: Overlay

    /// Set intersection (`GEOSIntersection_r`; NULL on exception).
    public func intersection(_ other: GEOSGeometry) throws -> GEOSGeometry {
        try wrap(GEOSIntersection_r(context.handle, pointer, other.pointer), "GEOSIntersection_r")
    }

    /// Set difference (`GEOSDifference_r`; NULL on exception).
    public func difference(_ other: GEOSGeometry) throws -> GEOSGeometry {
        try wrap(GEOSDifference_r(context.handle, pointer, other.pointer), "GEOSDifference_r")
    }

    /// Symmetric difference (`GEOSSymDifference_r`; NULL on exception).
    public func symmetricDifference(_ other: GEOSGeometry) throws -> GEOSGeometry {
        try wrap(GEOSSymDifference_r(context.handle, pointer, other.pointer), "GEOSSymDifference_r")
    }

    /// Union of two geometries (`GEOSUnion_r`; NULL on exception).
    public func union(_ other: GEOSGeometry) throws -> GEOSGeometry {
        try wrap(GEOSUnion_r(context.handle, pointer, other.pointer), "GEOSUnion_r")
    }

    /// Union of the parts of this geometry (`GEOSUnaryUnion_r`; NULL on exception).
    public func unaryUnion() throws -> GEOSGeometry {
        try wrap(GEOSUnaryUnion_r(context.handle, pointer), "GEOSUnaryUnion_r")
    }

    /// Union of a polygonal coverage (parts that meet only along shared edges) (`GEOSCoverageUnion_r`).
    /// Much faster than `unaryUnion` for grids that tile a village, and only correct for such input.
    public func coverageUnion() throws -> GEOSGeometry {
        try wrap(GEOSCoverageUnion_r(context.handle, pointer), "GEOSCoverageUnion_r")
    }

    /// Buffer with 8 segments per quarter circle (`GEOSBuffer_r`; NULL on exception).
    public func buffer(_ distance: Double) throws -> GEOSGeometry {
        try wrap(GEOSBuffer_r(context.handle, pointer, distance, 8), "GEOSBuffer_r")
    }

    /// A point guaranteed to lie in the interior (`GEOSPointOnSurface_r`; NULL on exception).
    public func pointOnSurface() throws -> Position {
        let point = try wrap(GEOSPointOnSurface_r(context.handle, pointer), "GEOSPointOnSurface_r")
        return try point.pointPosition()
    }

    /// The centroid (`GEOSGetCentroid_r`; NULL on exception).
    public func centroid() throws -> Position {
        let point = try wrap(GEOSGetCentroid_r(context.handle, pointer), "GEOSGetCentroid_r")
        return try point.pointPosition()
    }

    /// Only the polygonal parts (a union or intersection can return lines and points where shapes touch).
    public func polygonalPart() throws -> GEOSGeometry {
        let geometry = try toGeometry()
        let polygons = Self.collectPolygons(geometry)
        return try GEOSGeometry(polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons)),
                                context: context)
    }

    private static func collectPolygons(_ geometry: Geometry) -> [Polygon] {
        switch geometry {
        case .polygon(let p): [p]
        case .multiPolygon(let m): m.polygons
        case .geometryCollection(let members): members.flatMap(collectPolygons)
        default: []
        }
    }

    func pointPosition() throws -> Position {
        var x = 0.0
        var y = 0.0
        // Both return 0 on exception (e.g. an empty point).
        guard GEOSGeomGetX_r(context.handle, pointer, &x) != 0, GEOSGeomGetY_r(context.handle, pointer, &y) != 0 else {
            throw context.error("GEOSGeomGetX_r")
        }
        return Position(x, y)
    }

    // MARK: Predicates and measures

    func predicate(_ value: CChar, _ operation: String) throws -> Bool {
        // Binary predicates return 1 (true), 0 (false) or 2 (exception).
        switch value {
        case 1: return true
        case 0: return false
        default: throw context.error(operation)
        }
    }

    /// `GEOSCovers_r`: no point of `other` lies outside this geometry.
    public func covers(_ other: GEOSGeometry) throws -> Bool {
        try predicate(GEOSCovers_r(context.handle, pointer, other.pointer), "GEOSCovers_r")
    }

    /// `GEOSContains_r`.
    public func contains(_ other: GEOSGeometry) throws -> Bool {
        try predicate(GEOSContains_r(context.handle, pointer, other.pointer), "GEOSContains_r")
    }

    /// `GEOSWithin_r`.
    public func within(_ other: GEOSGeometry) throws -> Bool {
        try predicate(GEOSWithin_r(context.handle, pointer, other.pointer), "GEOSWithin_r")
    }

    /// `GEOSIntersects_r`.
    public func intersects(_ other: GEOSGeometry) throws -> Bool {
        try predicate(GEOSIntersects_r(context.handle, pointer, other.pointer), "GEOSIntersects_r")
    }

    /// `GEOSTouches_r`.
    public func touches(_ other: GEOSGeometry) throws -> Bool {
        try predicate(GEOSTouches_r(context.handle, pointer, other.pointer), "GEOSTouches_r")
    }

    /// Topological equality (`GEOSEquals_r`).
    public func topologicallyEquals(_ other: GEOSGeometry) throws -> Bool {
        try predicate(GEOSEquals_r(context.handle, pointer, other.pointer), "GEOSEquals_r")
    }

    /// Planar distance (`GEOSDistance_r`; 0 on exception).
    public func distance(to other: GEOSGeometry) throws -> Double {
        var value = 0.0
        guard GEOSDistance_r(context.handle, pointer, other.pointer, &value) != 0 else {
            throw context.error("GEOSDistance_r")
        }
        return value
    }

    /// A prepared form for repeated predicates against this geometry (`GEOSPrepare_r`).
    public func prepared() throws -> PreparedGEOSGeometry {
        try PreparedGEOSGeometry(self)
    }
}

/// The OGC validity of a geometry, as GEOS reports it.
public enum Validity: Sendable, Hashable {
    case valid
    /// GEOS's reason (e.g. "Self-intersection") and where it found the problem.
    case invalid(reason: String, location: Position?)

    public var isValid: Bool { self == .valid }
}
