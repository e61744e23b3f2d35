import GeoJSON

/// Exact geometric predicates on `Double` coordinates.
///
/// `orient2d` is Shewchuk's adaptive orientation test: a floating-point evaluation guarded by his
/// error bound (`ccwerrboundA`), and, when the bound cannot decide, an exact evaluation of the
/// determinant as a floating-point expansion (two-product via FMA, two-sum, grow-expansion with
/// zero elimination). The sign is exact for every input whose coordinates are zero or have a
/// magnitude in [1e-140, 1e150] (no product under- or overflows); `PolygonIndex` rejects polygon
/// coordinates outside that range.
public enum ExactPredicates {
    /// Shewchuk's first-stage error bound for orient2d: (3 + 16 eps) eps, eps = 2^-53.
    @usableFromInline static let ccwErrBoundA: Double = (3.0 + 16.0 * 0x1p-53) * 0x1p-53

    /// The orientation of `c` relative to the directed line `a → b`:
    /// `+1` when `c` lies to the left (a, b, c counter-clockwise), `-1` to the right, `0` when
    /// the three points are exactly collinear.
    public static func orient2d(_ a: Position, _ b: Position, _ c: Position) -> Int {
        orient2d(a.x, a.y, b.x, b.y, c.x, c.y)
    }

    /// `orient2d` on raw coordinates (same contract as the `Position` form).
    @inline(__always)
    public static func orient2d(
        _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double
    ) -> Int {
        let detLeft = (ax - cx) * (by - cy)
        let detRight = (ay - cy) * (bx - cx)
        let det = detLeft - detRight
        let detSum: Double
        if detLeft > 0 {
            if detRight <= 0 { return det > 0 ? 1 : (det < 0 ? -1 : 0) }
            detSum = detLeft + detRight
        } else if detLeft < 0 {
            if detRight >= 0 { return det > 0 ? 1 : (det < 0 ? -1 : 0) }
            detSum = -detLeft - detRight
        } else {
            return det > 0 ? 1 : (det < 0 ? -1 : 0)
        }
        let bound = ccwErrBoundA * detSum
        if det > bound { return 1 }
        if -det > bound { return -1 }
        return orient2dExact(ax, ay, bx, by, cx, cy)
    }

    /// The exact sign of `(ax-cx)(by-cy) - (ay-cy)(bx-cx)`, expanded into six products
    /// `ax·by - ax·cy - ay·bx + ay·cx + bx·cy - by·cx`, each split exactly into two doubles
    /// with an FMA, and summed exactly into a non-overlapping expansion whose largest
    /// component carries the sign.
    @inline(never)
    public static func orient2dExact(
        _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double
    ) -> Int {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 16) { h in
            var n = 0
            func grow(_ value: Double) {
                if value == 0 { return }
                var q = value
                var k = 0
                for i in 0..<n {
                    let component = h[i]
                    let sum = q + component
                    let bVirtual = sum - q
                    let aVirtual = sum - bVirtual
                    let err = (q - aVirtual) + (component - bVirtual)
                    q = sum
                    if err != 0 { h[k] = err; k += 1 }
                }
                if q != 0 { h[k] = q; k += 1 }
                n = k
            }
            func growProduct(_ a: Double, _ b: Double) {
                let product = a * b
                let err = (-product).addingProduct(a, b)
                grow(err)
                grow(product)
            }
            growProduct(ax, by)
            growProduct(-ax, cy)
            growProduct(-ay, bx)
            growProduct(ay, cx)
            growProduct(bx, cy)
            growProduct(-by, cx)
            guard n > 0 else { return 0 }
            return h[n - 1] > 0 ? 1 : -1
        }
    }

    /// Whether `p` lies on the closed segment `a–b` (exactly).
    public static func isOnSegment(_ p: Position, _ a: Position, _ b: Position) -> Bool {
        onSegment(p.x, p.y, a.x, a.y, b.x, b.y)
    }

    @inline(__always)
    static func onSegment(
        _ px: Double, _ py: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double
    ) -> Bool {
        guard px >= Swift.min(ax, bx), px <= Swift.max(ax, bx),
              py >= Swift.min(ay, by), py <= Swift.max(ay, by) else { return false }
        return orient2d(ax, ay, bx, by, px, py) == 0
    }
}

/// Where a point lies relative to one polygonal feature.
public enum PointLocation: Sendable, Hashable {
    case exterior
    case boundary
    case interior
}

/// GEOS's `RayCrossingCounter` rule over a set of segments (all rings of all parts of one
/// feature): a point on any segment is on the boundary (tested first); otherwise it is
/// interior when a ray towards +x crosses an odd number of segments, each segment counted
/// on the half-open y range `[min y, max y)` with the exact orientation sign.
struct RayCrossingCounter {
    var px: Double
    var py: Double
    var crossings = 0
    var onSegment = false

    @inline(__always)
    init(_ px: Double, _ py: Double) {
        self.px = px
        self.py = py
    }

    @inline(__always)
    mutating func count(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) {
        if x1 < px && x2 < px { return }
        if px == x2 && py == y2 { onSegment = true; return }
        if px == x1 && py == y1 { onSegment = true; return }
        if y1 == py && y2 == py {
            if px >= Swift.min(x1, x2) && px <= Swift.max(x1, x2) { onSegment = true }
            return
        }
        if (y1 > py && y2 <= py) || (y2 > py && y1 <= py) {
            var sign = ExactPredicates.orient2d(x1, y1, x2, y2, px, py)
            if sign == 0 { onSegment = true; return }
            if y2 < y1 { sign = -sign }
            if sign > 0 { crossings += 1 }
        }
    }

    var location: PointLocation {
        if onSegment { return .boundary }
        return crossings & 1 == 1 ? .interior : .exterior
    }
}
