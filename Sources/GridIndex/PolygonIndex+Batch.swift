import Dispatch
import GeoJSON

/// Per-point flags written by `PolygonIndex.locate(xs:ys:into:flags:)`.
public enum LocateFlags {
    /// The point lies on the boundary of at least one covering polygon.
    public static let onBoundary: UInt8 = 1
    /// More than one polygon covers the point (the id written is the first in input order).
    public static let multiple: UInt8 = 2
}

extension PolygonIndex {
    /// Locates every point `(xs[i], ys[i])`: writes the id of the first covering polygon (input
    /// order) or `-1` into `ids[i]`, and, when `flags` is given, `LocateFlags` bits into `flags[i]`.
    /// All buffers must have the same count (checked with a precondition).
    public func locate(
        xs: UnsafeBufferPointer<Double>, ys: UnsafeBufferPointer<Double>,
        into ids: UnsafeMutableBufferPointer<Int32>, flags: UnsafeMutableBufferPointer<UInt8>? = nil
    ) {
        precondition(xs.count == ys.count && ys.count == ids.count,
                     "locate: xs (\(xs.count)), ys (\(ys.count)) and ids (\(ids.count)) must have the same count")
        if let flags {
            precondition(flags.count == ids.count, "locate: flags (\(flags.count)) must match ids (\(ids.count))")
        }
        for i in 0..<xs.count {
            let result = coveringPolygons(of: Position(x: xs[i], y: ys[i]))
            switch result {
            case .none:
                ids[i] = -1
                flags?[i] = 0
            case .one(let id, let onBoundary):
                ids[i] = id
                flags?[i] = onBoundary ? LocateFlags.onBoundary : 0
            case .many(let id, _, let onBoundary):
                ids[i] = id
                flags?[i] = LocateFlags.multiple | (onBoundary ? LocateFlags.onBoundary : 0)
            }
        }
    }

    /// `locate(xs:ys:into:flags:)` split into chunks run on all cores with
    /// `DispatchQueue.concurrentPerform`. Results are identical to the serial call.
    public func locateConcurrently(
        xs: UnsafeBufferPointer<Double>, ys: UnsafeBufferPointer<Double>,
        into ids: UnsafeMutableBufferPointer<Int32>, flags: UnsafeMutableBufferPointer<UInt8>? = nil,
        chunkSize: Int = 1 << 15
    ) {
        precondition(xs.count == ys.count && ys.count == ids.count,
                     "locateConcurrently: xs (\(xs.count)), ys (\(ys.count)) and ids (\(ids.count)) must have the same count")
        if let flags {
            precondition(flags.count == ids.count,
                         "locateConcurrently: flags (\(flags.count)) must match ids (\(ids.count))")
        }
        let n = xs.count
        let chunk = Swift.max(1, chunkSize)
        let chunks = (n + chunk - 1) / chunk
        guard chunks > 1 else { return locate(xs: xs, ys: ys, into: ids, flags: flags) }
        // Chunks write disjoint ranges of the output buffers.
        let work = ChunkedBuffers(xs: xs, ys: ys, ids: ids, flags: flags)
        DispatchQueue.concurrentPerform(iterations: chunks) { k in
            let lo = k * chunk, hi = Swift.min(n, lo + chunk)
            locate(
                xs: UnsafeBufferPointer(rebasing: work.xs[lo..<hi]),
                ys: UnsafeBufferPointer(rebasing: work.ys[lo..<hi]),
                into: UnsafeMutableBufferPointer(rebasing: work.ids[lo..<hi]),
                flags: work.flags.map { UnsafeMutableBufferPointer(rebasing: $0[lo..<hi]) })
        }
    }

    /// Locates an array of positions (convenience over `locate(xs:ys:into:flags:)`).
    public func locate(_ points: [Position]) -> [CoverResult] {
        points.map { coveringPolygons(of: $0) }
    }
}

/// The caller's buffers, shared by the chunks of one `locateConcurrently` call, each chunk
/// touching a disjoint range.
private struct ChunkedBuffers: @unchecked Sendable {
    let xs: UnsafeBufferPointer<Double>
    let ys: UnsafeBufferPointer<Double>
    let ids: UnsafeMutableBufferPointer<Int32>
    let flags: UnsafeMutableBufferPointer<UInt8>?
}

extension PolygonIndex {
    /// The polygon whose boundary is nearest to `p` within `maxDistance` (planar units of the
    /// index), or the covering polygon with distance 0 when `p` is covered. Ties go to the polygon
    /// that came first in the input. Cost grows with `(maxDistance / cell size)²`.
    public func nearestPolygon(to p: Position, within maxDistance: Double) -> (id: Int32, distance: Double)? {
        if let id = coveringPolygons(of: p).firstID { return (id, 0) }
        guard maxDistance >= 0, p.x.isFinite, p.y.isFinite, !segments.isEmpty else { return nil }
        guard p.x >= minX - maxDistance, p.x <= maxX + maxDistance,
              p.y >= minY - maxDistance, p.y <= maxY + maxDistance else { return nil }
        func clamp(_ v: Double, _ n: Int) -> Int {
            if !(v > 0) { return 0 }
            if v >= Double(n - 1) { return n - 1 }
            return Int(v)
        }
        let c0 = clamp((p.x - maxDistance - minX) * inverseWidth, columns)
        let c1 = clamp((p.x + maxDistance - minX) * inverseWidth, columns)
        let r0 = clamp((p.y - maxDistance - minY) * inverseHeight, rows)
        let r1 = clamp((p.y + maxDistance - minY) * inverseHeight, rows)
        var bestSquared = maxDistance * maxDistance
        var bestFeature = -1
        for r in r0...r1 {
            for c in c0...c1 {
                let cell = cells[r * columns + c], next = cells[r * columns + c + 1]
                let start = Int(cell.entryStart), end = Int(next.entryStart)
                if start == end { continue }
                let slotCount = Int(next.slotStart - cell.slotStart)
                for i in start..<end {
                    let entry = entries[i]
                    let e = segments[Int(entry.segment)]
                    let d2 = Self.squaredDistance(p.x, p.y, e.x0, e.y0, e.x1, e.y1)
                    if d2 > bestSquared { continue }
                    let f: Int
                    if slotCount <= 64 {
                        f = Int(slotFeatures[Int(cell.slotStart) + Int(entry.slot)])
                    } else {
                        f = Int(featureOfSegment(Int(entry.segment)))
                    }
                    if d2 < bestSquared || bestFeature < 0 || f < bestFeature {
                        bestSquared = d2
                        bestFeature = f
                    }
                }
            }
        }
        guard bestFeature >= 0 else { return nil }
        return (ids[bestFeature], bestSquared.squareRoot())
    }

    /// The feature owning segment `g` (for cells with more than 64 slots): the last feature starting at or
    /// before `g` (binary search over `featureStart`).
    func featureOfSegment(_ g: Int) -> Int32 {
        var lo = 0, hi = featureStart.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if Int(featureStart[mid]) <= g { lo = mid } else { hi = mid }
        }
        return Int32(lo)
    }

    /// Squared distance from `(px, py)` to the segment `(ax, ay)–(bx, by)`.
    @inline(__always)
    static func squaredDistance(
        _ px: Double, _ py: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double
    ) -> Double {
        let dx = bx - ax, dy = by - ay
        let length2 = dx * dx + dy * dy
        var t = length2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / length2 : 0
        t = Swift.min(1, Swift.max(0, t))
        let ex = ax + t * dx - px, ey = ay + t * dy - py
        return ex * ex + ey * ey
    }
}
