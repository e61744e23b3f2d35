import GeoJSON

/// The polygons covering a point, without allocating.
public enum CoverResult: Sendable, Hashable {
    /// No polygon covers the point.
    case none
    /// Exactly one polygon covers the point; `onBoundary` when the point is on its boundary.
    case one(id: Int32, onBoundary: Bool)
    /// Several polygons cover the point (a shared edge, a shared vertex, an overlap).
    /// `firstID` is the covering polygon that came first in the input; `onBoundary` is true when
    /// the point is on the boundary of at least one of them. Use
    /// `PolygonIndex.coveringPolygons(of:into:)` for the full list.
    case many(firstID: Int32, count: Int, onBoundary: Bool)

    /// The first covering id (input order), or nil.
    public var firstID: Int32? {
        switch self {
        case .none: nil
        case .one(let id, _): id
        case .many(let id, _, _): id
        }
    }

    /// The number of covering polygons.
    public var count: Int {
        switch self {
        case .none: 0
        case .one: 1
        case .many(_, let count, _): count
        }
    }

    /// True when the point is on the boundary of at least one covering polygon.
    public var onBoundary: Bool {
        switch self {
        case .none: false
        case .one(_, let b): b
        case .many(_, _, let b): b
        }
    }
}

/// One covering polygon of a point.
public struct CoverHit: Sendable, Hashable {
    public var id: Int32
    public var onBoundary: Bool

    public init(id: Int32, onBoundary: Bool) {
        self.id = id
        self.onBoundary = onBoundary
    }
}

/// The raw outcome of a cell walk: masks over the cell's slots, or a request for the fallback.
@usableFromInline
struct CellAnswer {
    var cell: Int
    var covered: UInt64
    var boundary: UInt64
    var needsFallback: Bool
}

extension PolygonIndex {
    /// The cell holding `(px, py)`, or nil outside the bounding box (or NaN).
    @inline(__always)
    func cellIndex(_ px: Double, _ py: Double) -> Int? {
        guard px >= minX, px <= maxX, py >= minY, py <= maxY, !segments.isEmpty else { return nil }
        var c = Int((px - minX) * inverseWidth)
        if c >= columns { c = columns - 1 }
        var r = Int((py - minY) * inverseHeight)
        if r >= rows { r = rows - 1 }
        return r * columns + c
    }

    /// Walks the edges of the point's cell (see the type's documentation).
    @inline(__always)
    func answer(_ px: Double, _ py: Double) -> CellAnswer? {
        guard let cellIndex = cellIndex(px, py) else { return nil }
        let bits = occupied.withUnsafeBufferPointer { $0[cellIndex >> 6] }
        if bits & (1 &<< UInt64(cellIndex & 63)) == 0 {
            return CellAnswer(cell: cellIndex, covered: 0, boundary: 0, needsFallback: false)
        }
        return cells.withUnsafeBufferPointer { cellBuffer in
            let cell = cellBuffer[cellIndex]
            let next = cellBuffer[cellIndex + 1]
            let entryCount = Int(next.entryStart &- cell.entryStart)
            let slotCount = Int(next.slotStart &- cell.slotStart)
            if entryCount == 0 {
                if slotCount <= 64 {
                    return CellAnswer(cell: cellIndex, covered: cell.referenceMask, boundary: 0, needsFallback: false)
                }
                return CellAnswer(cell: cellIndex, covered: 0, boundary: 0, needsFallback: true)
            }
            if slotCount > 64 {
                return CellAnswer(cell: cellIndex, covered: 0, boundary: 0, needsFallback: true)
            }
            let yref = rowReferenceY.withUnsafeBufferPointer { $0[cellIndex / columns] }
            let rx = cell.rx
            var parity = cell.referenceMask
            var boundary: UInt64 = 0
            let degenerate: Bool = entries.withUnsafeBufferPointer { entryBuffer in
              segments.withUnsafeBufferPointer { segmentBuffer in
                let start = Int(cell.entryStart)
                for i in start..<(start + entryCount) {
                    let entry = entryBuffer[i]
                    let e = segmentBuffer[Int(entry.segment)]
                    let bit: UInt64 = 1 &<< UInt64(entry.slot)
                    let xlo = Swift.min(e.x0, e.x1), xhi = Swift.max(e.x0, e.x1)
                    let ylo = Swift.min(e.y0, e.y1), yhi = Swift.max(e.y0, e.y1)
                    // Vertical leg p → q = (px, yref), and the boundary test.
                    if px >= xlo && px <= xhi {
                        var op = 0
                        if py >= ylo && py <= yhi {
                            op = ExactPredicates.orient2d(e.x0, e.y0, e.x1, e.y1, px, py)
                            if op == 0 { boundary |= bit; continue }
                        }
                        if px < xhi {
                            let lo = Swift.min(py, yref), hi = Swift.max(py, yref)
                            if !(hi < ylo || lo > yhi) {
                                if op == 0 { op = ExactPredicates.orient2d(e.x0, e.y0, e.x1, e.y1, px, py) }
                                let oq = ExactPredicates.orient2d(e.x0, e.y0, e.x1, e.y1, px, yref)
                                if oq == 0 { return true }
                                if op != oq { parity ^= bit }
                            }
                        }
                    }
                    // Horizontal leg q → R along y = yref (no vertex lies on that line).
                    if entry.flags & Entry.spansReference != 0 {
                        let bothLeft = px < xlo && rx < xlo
                        let bothRight = px > xhi && rx > xhi
                        if !bothLeft && !bothRight {
                            let oq = ExactPredicates.orient2d(e.x0, e.y0, e.x1, e.y1, px, yref)
                            if oq == 0 { return true }
                            let qCrosses = e.y1 > e.y0 ? oq > 0 : oq < 0
                            let rCrosses = entry.flags & Entry.referenceCrosses != 0
                            if qCrosses != rCrosses { parity ^= bit }
                        }
                    }
                }
                return false
              }
            }
            if degenerate { return CellAnswer(cell: cellIndex, covered: 0, boundary: 0, needsFallback: true) }
            return CellAnswer(cell: cellIndex, covered: (parity & ~boundary) | boundary, boundary: boundary,
                              needsFallback: false)
        }
    }

    /// The full GEOS ray-crossing test of `(px, py)` against every edge of feature `f`.
    func locate(_ px: Double, _ py: Double, inFeature f: Int) -> PointLocation {
        var counter = RayCrossingCounter(px, py)
        segments.withUnsafeBufferPointer { buffer in
            for g in Int(featureStart[f])..<Int(featureStart[f + 1]) {
                let s = buffer[g]
                counter.count(s.x0, s.y0, s.x1, s.y1)
                if counter.onSegment { break }
            }
        }
        return counter.location
    }

    /// Calls `body(featureIndex, onBoundary)` for each covering feature in input order.
    @inline(__always)
    func forEachCovering(_ a: CellAnswer, _ px: Double, _ py: Double, _ body: (Int, Bool) -> Void) {
        let cell = cells[a.cell]
        let slotStart = Int(cell.slotStart)
        if a.needsFallback {
            for k in 0..<Int(cells[a.cell + 1].slotStart - cell.slotStart) {
                let f = Int(slotFeatures[slotStart + k])
                switch locate(px, py, inFeature: f) {
                case .exterior: break
                case .interior: body(f, false)
                case .boundary: body(f, true)
                }
            }
            return
        }
        var mask = a.covered
        while mask != 0 {
            let k = mask.trailingZeroBitCount
            mask &= mask &- 1
            body(Int(slotFeatures[slotStart + k]), a.boundary & (1 << UInt64(k)) != 0)
        }
    }

    /// Which polygons cover `p` (points on an edge or a vertex are covered). Allocation-free.
    public func coveringPolygons(of p: Position) -> CoverResult {
        guard let a = answer(p.x, p.y) else { return .none }
        if !a.needsFallback {
            let n = a.covered.nonzeroBitCount
            if n == 0 { return .none }
            let k = a.covered.trailingZeroBitCount
            let id = ids[Int(slotFeatures[Int(cells[a.cell].slotStart) + k])]
            if n == 1 { return .one(id: id, onBoundary: a.boundary != 0) }
            return .many(firstID: id, count: n, onBoundary: a.boundary != 0)
        }
        var first: Int32 = 0
        var n = 0
        var anyBoundary = false
        forEachCovering(a, p.x, p.y) { f, onBoundary in
            if n == 0 { first = ids[f] }
            n += 1
            anyBoundary = anyBoundary || onBoundary
        }
        switch n {
        case 0: return .none
        case 1: return .one(id: first, onBoundary: anyBoundary)
        default: return .many(firstID: first, count: n, onBoundary: anyBoundary)
        }
    }

    /// Which polygons cover `p`: replaces the contents of `hits` with every covering polygon in
    /// input order, each with its own boundary flag, and returns the same summary as
    /// `coveringPolygons(of:)`. Reuse one `hits` array to avoid allocating.
    @discardableResult
    public func coveringPolygons(of p: Position, into hits: inout [CoverHit]) -> CoverResult {
        hits.removeAll(keepingCapacity: true)
        guard let a = answer(p.x, p.y) else { return .none }
        forEachCovering(a, p.x, p.y) { f, onBoundary in
            hits.append(CoverHit(id: ids[f], onBoundary: onBoundary))
        }
        guard let first = hits.first else { return .none }
        let anyBoundary = hits.contains { $0.onBoundary }
        return hits.count == 1
            ? .one(id: first.id, onBoundary: anyBoundary)
            : .many(firstID: first.id, count: hits.count, onBoundary: anyBoundary)
    }

    /// Where `p` lies relative to the polygon with caller id `id` (a full exact ray-crossing test
    /// over that polygon's edges; for checks and tests, not for the hot path). Nil for an unknown id.
    public func location(of p: Position, inPolygonWithID id: Int32) -> PointLocation? {
        guard let f = ids.firstIndex(of: id) else { return nil }
        return locate(p.x, p.y, inFeature: f)
    }
}
