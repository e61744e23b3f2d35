internal import CGEOS
import GeoJSON

/// A GEOS STR packed R-tree (`GEOSSTRtree_create_r`) over the bounding boxes of items numbered 0..<n.
///
/// The tree owns the envelope geometries it indexes and frees them, and itself, once in `deinit`.
/// It is built once: inserting after the first query is refused by GEOS, so all items go in at `init`.
public final class STRtree {
    let context: GEOSContext
    private let tree: OpaquePointer
    private var envelopes: [OpaquePointer] = []

    /// Builds the tree over `boxes`; item `i` is `boxes[i]`.
    public init(boxes: [BoundingBox], context: GEOSContext, nodeCapacity: Int = 10) throws {
        self.context = context
        // Returns NULL on exception.
        guard let tree = GEOSSTRtree_create_r(context.handle, nodeCapacity) else {
            throw context.error("GEOSSTRtree_create_r")
        }
        self.tree = tree
        envelopes.reserveCapacity(boxes.count)
        for (index, box) in boxes.enumerated() {
            guard let envelope = GEOSGeom_createRectangle_r(context.handle, box.minX, box.minY, box.maxX, box.maxY)
            else { throw context.error("GEOSGeom_createRectangle_r") }
            envelopes.append(envelope)
            // Items are index + 1 so that no item is the null pointer.
            GEOSSTRtree_insert_r(context.handle, tree, envelope, UnsafeMutableRawPointer(bitPattern: index + 1))
        }
    }

    deinit {
        GEOSSTRtree_destroy_r(context.handle, tree)
        for envelope in envelopes { GEOSGeom_destroy_r(context.handle, envelope) }
    }

    /// The items whose boxes intersect `box` (`GEOSSTRtree_query_r`), in ascending order.
    public func query(_ box: BoundingBox) throws -> [Int] {
        guard let probe = GEOSGeom_createRectangle_r(context.handle, box.minX, box.minY, box.maxX, box.maxY) else {
            throw context.error("GEOSGeom_createRectangle_r")
        }
        defer { GEOSGeom_destroy_r(context.handle, probe) }
        var hits: [Int] = []
        withUnsafeMutablePointer(to: &hits) { hitsPointer in
            GEOSSTRtree_query_r(context.handle, tree, probe, { item, userdata in
                guard let item, let userdata else { return }
                userdata.assumingMemoryBound(to: [Int].self).pointee.append(Int(bitPattern: item) - 1)
            }, hitsPointer)
        }
        return hits.sorted()
    }
}
