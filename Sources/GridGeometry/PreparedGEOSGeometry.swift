internal import CGEOS
import GeoJSON

/// A prepared geometry (`GEOSPrepare_r`) for many predicates against one polygon, freed once with
/// `GEOSPreparedGeom_destroy_r`. It keeps the geometry it was prepared from alive, as GEOS requires.
public final class PreparedGEOSGeometry {
    public let base: GEOSGeometry
    let pointer: OpaquePointer

    init(_ base: GEOSGeometry) throws {
        self.base = base
        // Returns NULL on exception.
        guard let pointer = GEOSPrepare_r(base.context.handle, base.pointer) else {
            throw base.context.error("GEOSPrepare_r")
        }
        self.pointer = pointer
    }

    deinit {
        GEOSPreparedGeom_destroy_r(base.context.handle, pointer)
    }

    /// `GEOSPreparedCovers_r`.
    public func covers(_ other: GEOSGeometry) throws -> Bool {
        try base.predicate(GEOSPreparedCovers_r(base.context.handle, pointer, other.pointer), "GEOSPreparedCovers_r")
    }

    /// `GEOSPreparedContains_r`.
    public func contains(_ other: GEOSGeometry) throws -> Bool {
        try base.predicate(GEOSPreparedContains_r(base.context.handle, pointer, other.pointer), "GEOSPreparedContains_r")
    }

    /// `GEOSPreparedIntersects_r`.
    public func intersects(_ other: GEOSGeometry) throws -> Bool {
        try base.predicate(GEOSPreparedIntersects_r(base.context.handle, pointer, other.pointer),
                           "GEOSPreparedIntersects_r")
    }

    /// `GEOSPreparedCovers_r` of one point: true when the point is inside or on the boundary.
    public func covers(_ p: Position) throws -> Bool {
        try covers(GEOSGeometry(point: p, context: base.context))
    }
}
