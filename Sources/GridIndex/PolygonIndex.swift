import GeoJSON

/// An exact point-in-polygon index answering "which polygons cover this point" the way GEOS's
/// prepared `covers` does: a point on an edge or a vertex is covered (with `onBoundary`), a point
/// on an edge shared by two polygons is covered by both, and interior/exterior follows the
/// crossing parity over all rings of all parts of a feature (GEOS `RayCrossingCounter`).
///
/// Layout: a uniform grid of cells over the bounding box of all edges. Every cell keeps
/// - the edges that touch the cell (slightly enlarged), listed in one flat array of 8-byte entries (the
///   edge's index into `segments`, in ascending order, and a local "slot": the feature it belongs to);
/// - the features present in the cell (slots), sorted by input order;
/// - the set of slots covering the cell's reference point `R = (rx, yref)` (a bit mask).
///
/// A query `p` in a cell finds the features on whose boundary `p` lies (exact on-segment tests),
/// and for the others flips the reference parity along the path `p → q = (p.x, yref) → R`, with
/// the exact orientation sign and half-open crossing rules. Cells without edges answer at once.
/// When `q` falls exactly on an edge (rare), or a cell holds more than 64 features, the query
/// falls back to a full ray-crossing test over every edge of each feature present in the cell.
///
/// Coordinates are planar; the index makes no assumption about units.
public struct PolygonIndex: Sendable {
    /// How the grid is sized.
    public struct Options: Sendable, Hashable {
        /// Cell edge length in the index's planar units; when nil the size follows `cellsPerEdge`.
        public var cellSize: Double?
        /// Target number of cells per polygon edge (default 2: a cell holds few edges).
        public var cellsPerEdge: Double
        /// Upper bound on the number of cells (memory: about 24 bytes and one bit per cell plus 8 per entry).
        public var maxCells: Int

        public init(cellSize: Double? = nil, cellsPerEdge: Double = 2, maxCells: Int = 1 << 23) {
            self.cellSize = cellSize
            self.cellsPerEdge = cellsPerEdge
            self.maxCells = maxCells
        }
    }

    /// One segment of a ring.
    struct Segment: Sendable {
        var x0: Double, y0: Double, x1: Double, y1: Double
    }

    /// One edge listed in a cell: 8 bytes, the edge itself read from `segments` (a cell's entries are in
    /// ascending segment order, so a query reads nearby segments).
    struct Entry: Sendable {
        /// Index into `segments`.
        var segment: Int32
        /// Index into the cell's slots.
        var slot: UInt16
        /// `spansReference`: the edge crosses the row's reference line `y = yref`;
        /// `referenceCrosses`: a ray from the cell's reference point towards +x crosses it.
        var flags: UInt8
        static let spansReference: UInt8 = 1
        static let referenceCrosses: UInt8 = 2
    }

    /// One grid cell: 24 bytes. Its entries are `entries[entryStart ..< next.entryStart]` and its slots
    /// `slotFeatures[slotStart ..< next.slotStart]`, `next` being the following cell (`cells` ends with a sentinel).
    struct Cell: Sendable {
        var entryStart: UInt32
        var slotStart: UInt32
        /// Slots covering the reference point (valid when the cell has at most 64 slots).
        var referenceMask: UInt64
        /// x of the reference point.
        var rx: Double
    }

    /// Caller ids, by feature index (input order).
    let ids: ContiguousArray<Int32>
    /// Edges of feature `f` are `segments[featureStart[f] ..< featureStart[f + 1]]`.
    let featureStart: ContiguousArray<Int32>
    let segments: ContiguousArray<Segment>

    let minX: Double, minY: Double, maxX: Double, maxY: Double
    let cellWidth: Double, cellHeight: Double
    let inverseWidth: Double, inverseHeight: Double
    let columns: Int, rows: Int
    /// The cells, row by row, then one sentinel holding the ends of the last cell's entries and slots.
    let cells: ContiguousArray<Cell>
    let entries: ContiguousArray<Entry>
    /// One bit per cell, set when the cell has entries or slots: a query in any other cell (covered by nothing)
    /// is answered from this bitmap (1 bit a cell, small enough to stay in cache) without reading `cells`.
    let occupied: ContiguousArray<UInt64>
    /// Feature indices of the slots of every cell.
    let slotFeatures: ContiguousArray<Int32>
    /// Reference-line y of every row.
    let rowReferenceY: ContiguousArray<Double>

    /// Number of indexed features.
    public var count: Int { ids.count }
    /// Number of grid cells (columns × rows).
    public var cellCount: Int { cells.count - 1 }
    /// Bytes held by the index's arrays (their element storage as allocated), for memory reports.
    public var memoryBytes: Int {
        func bytes<T>(_ a: ContiguousArray<T>) -> Int { a.capacity * MemoryLayout<T>.stride }
        return bytes(ids) + bytes(featureStart) + bytes(segments) + bytes(cells) + bytes(entries) + bytes(slotFeatures)
            + bytes(rowReferenceY) + bytes(occupied)
    }
    /// Total number of (cell, edge) entries.
    public var entryCount: Int { entries.count }
    /// Grid shape.
    public var gridShape: (columns: Int, rows: Int) { (columns, rows) }
    /// Bounding box of every indexed edge, or nil when no feature has an edge.
    public var bounds: BoundingBox? {
        segments.isEmpty ? nil : BoundingBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
    }

    /// Builds an index over `features`; `id` is the caller's identifier reported back by queries.
    ///
    /// Each geometry must be a Polygon or MultiPolygon (holes allowed) with finite coordinates of
    /// magnitude at most 1e150 (and zero or at least 1e-140); rings that are not closed are closed.
    public init(features: [(id: Int32, geometry: Geometry)], options: Options = Options()) throws(PolygonIndexError) {
        var ids = ContiguousArray<Int32>()
        var featureStart = ContiguousArray<Int32>([0])
        var segments = ContiguousArray<Segment>()
        ids.reserveCapacity(features.count)
        for (featureIndex, feature) in features.enumerated() {
            let polygons: [Polygon]
            switch feature.geometry {
            case .polygon(let polygon): polygons = [polygon]
            case .multiPolygon(let multi): polygons = multi.polygons
            default:
                throw .notPolygonal(featureIndex: featureIndex, id: feature.id, type: feature.geometry.typeName)
            }
            for (partIndex, polygon) in polygons.enumerated() {
                for (ringIndex, ring) in polygon.rings.enumerated() {
                    var points = ring.positions
                    if let bad = points.firstIndex(where: { !Self.isSupported($0.x) || !Self.isSupported($0.y) }) {
                        throw .unsupportedCoordinate(
                            featureIndex: featureIndex, id: feature.id, part: partIndex, ring: ringIndex,
                            position: bad, value: points[bad])
                    }
                    if let first = points.first, points.last != first { points.append(first) }
                    if points.count < 4 {
                        throw .ringTooShort(
                            featureIndex: featureIndex, id: feature.id, part: partIndex, ring: ringIndex,
                            count: ring.positions.count)
                    }
                    for i in 0..<(points.count - 1) {
                        let a = points[i], b = points[i + 1]
                        segments.append(Segment(x0: a.x, y0: a.y, x1: b.x, y1: b.y))
                    }
                }
            }
            guard segments.count < Int(Int32.max) else { throw .tooManyEdges(segments.count) }
            ids.append(feature.id)
            featureStart.append(Int32(segments.count))
        }
        self.ids = ids
        self.featureStart = featureStart
        self.segments = segments

        // Bounding box and grid shape.
        var box = (minX: Double.infinity, minY: Double.infinity, maxX: -Double.infinity, maxY: -Double.infinity)
        for s in segments {
            box.minX = Swift.min(box.minX, s.x0, s.x1)
            box.minY = Swift.min(box.minY, s.y0, s.y1)
            box.maxX = Swift.max(box.maxX, s.x0, s.x1)
            box.maxY = Swift.max(box.maxY, s.y0, s.y1)
        }
        if segments.isEmpty { box = (0, 0, 0, 0) }
        minX = box.minX; minY = box.minY; maxX = box.maxX; maxY = box.maxY
        let width = maxX - minX, height = maxY - minY
        let shape = try Self.gridShape(width: width, height: height, edgeCount: segments.count, options: options)
        columns = shape.columns
        rows = shape.rows
        cellWidth = width > 0 ? width / Double(columns) : 1
        cellHeight = height > 0 ? height / Double(rows) : 1
        inverseWidth = width > 0 ? Double(columns) / width : 0
        inverseHeight = height > 0 ? Double(rows) / height : 0

        var builder = GridBuilder(
            segments: segments, featureStart: featureStart, minX: minX, minY: minY, maxX: maxX, maxY: maxY,
            cellWidth: cellWidth, cellHeight: cellHeight, inverseWidth: inverseWidth,
            inverseHeight: inverseHeight, columns: columns, rows: rows)
        builder.build()
        cells = builder.cells
        entries = builder.entries
        occupied = builder.occupied
        slotFeatures = builder.slotFeatures
        rowReferenceY = builder.rowReferenceY
    }

    /// Builds an index whose ids are the positions of the geometries in `geometries`.
    public init(geometries: [Geometry], options: Options = Options()) throws(PolygonIndexError) {
        guard geometries.count < Int(Int32.max) else { throw .tooManyEdges(geometries.count) }
        try self.init(
            features: geometries.enumerated().map { (id: Int32($0.offset), geometry: $0.element) },
            options: options)
    }

    /// Builds an index from `Int` ids (each must fit in `Int32`).
    public init(features: [(id: Int, geometry: Geometry)], options: Options = Options()) throws(PolygonIndexError) {
        var converted: [(id: Int32, geometry: Geometry)] = []
        converted.reserveCapacity(features.count)
        for (index, feature) in features.enumerated() {
            guard let id = Int32(exactly: feature.id) else { throw .idOutOfRange(featureIndex: index, id: feature.id) }
            converted.append((id, feature.geometry))
        }
        try self.init(features: converted, options: options)
    }

    static func isSupported(_ v: Double) -> Bool {
        let m = v.magnitude
        return v.isFinite && m <= 1e150 && (m == 0 || m >= 1e-140)
    }

    static func gridShape(width: Double, height: Double, edgeCount: Int, options: Options)
        throws(PolygonIndexError) -> (columns: Int, rows: Int)
    {
        guard options.maxCells >= 1 else { throw .invalidOptions("maxCells must be at least 1, got \(options.maxCells)") }
        if let size = options.cellSize, !(size > 0 && size.isFinite) {
            throw .invalidOptions("cellSize must be a positive finite number, got \(size)")
        }
        guard options.cellsPerEdge > 0 && options.cellsPerEdge.isFinite else {
            throw .invalidOptions("cellsPerEdge must be a positive finite number, got \(options.cellsPerEdge)")
        }
        if edgeCount == 0 || (width == 0 && height == 0) { return (1, 1) }
        let maxCells = Double(options.maxCells)
        var size: Double
        if let given = options.cellSize {
            size = given
        } else {
            let target = Swift.min(maxCells, Swift.max(1, options.cellsPerEdge * Double(edgeCount)))
            if width > 0 && height > 0 {
                size = (width * height / target).squareRoot()
            } else {
                size = Swift.max(width, height) / target
            }
        }
        func shape(_ size: Double) -> (Double, Double) {
            (width > 0 ? Swift.max(1, (width / size).rounded(.up)) : 1,
             height > 0 ? Swift.max(1, (height / size).rounded(.up)) : 1)
        }
        var (c, r) = shape(size)
        while c * r > maxCells || c > 1_048_576 || r > 1_048_576 {
            size *= 1.25
            (c, r) = shape(size)
        }
        return (Int(c), Int(r))
    }
}

/// Why a `PolygonIndex` could not be built.
public enum PolygonIndexError: Error, Sendable, Hashable, CustomStringConvertible {
    case notPolygonal(featureIndex: Int, id: Int32, type: String)
    case unsupportedCoordinate(featureIndex: Int, id: Int32, part: Int, ring: Int, position: Int, value: Position)
    case ringTooShort(featureIndex: Int, id: Int32, part: Int, ring: Int, count: Int)
    case idOutOfRange(featureIndex: Int, id: Int)
    case tooManyEdges(Int)
    case invalidOptions(String)

    public var description: String {
        switch self {
        case let .notPolygonal(index, id, type):
            "feature #\(index) (id \(id)) is a \(type); PolygonIndex takes only Polygon or MultiPolygon geometries — drop or convert it"
        case let .unsupportedCoordinate(index, id, part, ring, position, value):
            "feature #\(index) (id \(id)), part \(part), ring \(ring), position \(position): coordinate (\(value.x), \(value.y)) is not finite or outside 1e-140…1e150 in magnitude; fix the source data or reproject to planar units"
        case let .ringTooShort(index, id, part, ring, count):
            "feature #\(index) (id \(id)), part \(part), ring \(ring) has \(count) positions; a ring needs at least 3 distinct positions plus the closing one"
        case let .idOutOfRange(index, id):
            "feature #\(index) has id \(id), which does not fit in Int32; renumber the features"
        case let .tooManyEdges(count):
            "\(count) edges or features exceed Int32 indexing; split the data into several indexes"
        case let .invalidOptions(message):
            "invalid PolygonIndex.Options: \(message)"
        }
    }
}

/// Builds the cell arrays of a `PolygonIndex`.
struct GridBuilder {
    let segments: ContiguousArray<PolygonIndex.Segment>
    let featureStart: ContiguousArray<Int32>
    let minX: Double, minY: Double, maxX: Double, maxY: Double
    let cellWidth: Double, cellHeight: Double
    let inverseWidth: Double, inverseHeight: Double
    let columns: Int, rows: Int

    var cells = ContiguousArray<PolygonIndex.Cell>()
    var entries = ContiguousArray<PolygonIndex.Entry>()
    var occupied = ContiguousArray<UInt64>()
    var slotFeatures = ContiguousArray<Int32>()
    var rowReferenceY = ContiguousArray<Double>()

    /// Cell index range of a coordinate interval, clamped to the grid.
    func columnRange(_ lo: Double, _ hi: Double) -> ClosedRange<Int> {
        clampedIndex((lo - minX) * inverseWidth, columns)...clampedIndex((hi - minX) * inverseWidth, columns)
    }

    func rowRange(_ lo: Double, _ hi: Double) -> ClosedRange<Int> {
        clampedIndex((lo - minY) * inverseHeight, rows)...clampedIndex((hi - minY) * inverseHeight, rows)
    }

    func clampedIndex(_ v: Double, _ n: Int) -> Int {
        if !(v > 0) { return 0 }
        if v >= Double(n - 1) { return n - 1 }
        return Int(v)
    }

    func featureOf(segment g: Int) -> Int32 {
        // featureStart is sorted; binary search for the last start <= g.
        var lo = 0, hi = featureStart.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if Int(featureStart[mid]) <= g { lo = mid } else { hi = mid }
        }
        return Int32(lo)
    }

    mutating func build() {
        let cellCount = columns * rows
        // Padding: cells are enlarged by `pad` on every side when edges are assigned, so a point
        // whose computed cell is off by rounding still finds every edge near it.
        let magnitude = Swift.max(minX.magnitude, maxX.magnitude, minY.magnitude, maxY.magnitude)
        let pad = 1e-7 * Swift.max(cellWidth, cellHeight) + 64 * magnitude.ulp

        // 1. (cell, segment) pairs.
        var segmentFeature = ContiguousArray<Int32>(repeating: 0, count: segments.count)
        for f in 0..<(featureStart.count - 1) {
            for g in Int(featureStart[f])..<Int(featureStart[f + 1]) { segmentFeature[g] = Int32(f) }
        }
        var pairCell = ContiguousArray<Int32>()
        var pairSegment = ContiguousArray<Int32>()
        for (g, s) in segments.enumerated() {
            let xlo = Swift.min(s.x0, s.x1), xhi = Swift.max(s.x0, s.x1)
            let ylo = Swift.min(s.y0, s.y1), yhi = Swift.max(s.y0, s.y1)
            let cols = columnRange(xlo - pad, xhi + pad)
            let rws = rowRange(ylo - pad, yhi + pad)
            let single = cols.count == 1 || rws.count == 1
            let dx = s.x1 - s.x0, dy = s.y1 - s.y0
            for r in rws {
                let by0 = minY + Double(r) * cellHeight - 2 * pad
                let by1 = minY + Double(r + 1) * cellHeight + 2 * pad
                for c in cols {
                    if !single {
                        // Skip cells whose enlarged box lies strictly on one side of the edge's line.
                        let bx0 = minX + Double(c) * cellWidth - 2 * pad
                        let bx1 = minX + Double(c + 1) * cellWidth + 2 * pad
                        let f00 = dx * (by0 - s.y0) - dy * (bx0 - s.x0)
                        let f01 = dx * (by1 - s.y0) - dy * (bx0 - s.x0)
                        let f10 = dx * (by0 - s.y0) - dy * (bx1 - s.x0)
                        let f11 = dx * (by1 - s.y0) - dy * (bx1 - s.x0)
                        if (f00 > 0 && f01 > 0 && f10 > 0 && f11 > 0) || (f00 < 0 && f01 < 0 && f10 < 0 && f11 < 0) {
                            continue
                        }
                    }
                    pairCell.append(Int32(r * columns + c))
                    pairSegment.append(Int32(g))
                }
            }
        }
        // Counting sort by cell (stable: each cell's segments stay in ascending order). `cellSegStart[c]` first
        // serves as cell c's cursor, then is shifted back into a start.
        var cellSegStart = ContiguousArray<Int>(repeating: 0, count: cellCount + 1)
        for c in pairCell { cellSegStart[Int(c) + 1] += 1 }
        for i in 0..<cellCount { cellSegStart[i + 1] += cellSegStart[i] }
        var cellSegments = ContiguousArray<Int32>(repeating: 0, count: pairCell.count)
        for (c, g) in zip(pairCell, pairSegment) {
            cellSegments[cellSegStart[Int(c)]] = g
            cellSegStart[Int(c)] += 1
        }
        for i in stride(from: cellCount, to: 0, by: -1) { cellSegStart[i] = cellSegStart[i - 1] }
        cellSegStart[0] = 0
        pairCell = []; pairSegment = []

        // 2. Reference line per row: no endpoint of an edge of the row lies on it.
        let fractions: [Double] = [0.5, 0.4375, 0.5625, 0.3125, 0.6875, 0.1875, 0.8125, 0.0625, 0.9375]
        rowReferenceY.reserveCapacity(rows)
        for r in 0..<rows {
            let y0 = minY + Double(r) * cellHeight
            var chosen = y0 + 0.5 * cellHeight
            for t in fractions {
                let candidate = y0 + t * cellHeight
                if !rowHasVertex(at: candidate, row: r, cellSegments, cellSegStart) {
                    chosen = candidate
                    break
                }
            }
            // A last resort when every candidate hits a vertex: step upward by ulps.
            var attempts = 0
            while rowHasVertex(at: chosen, row: r, cellSegments, cellSegStart) && attempts < 1 << 16 {
                chosen = chosen.nextUp
                attempts += 1
            }
            rowReferenceY.append(chosen)
        }

        // 3. Reference x per cell: the reference point is on no edge of the cell.
        var referenceX = ContiguousArray<Double>(repeating: 0, count: cellCount)
        for r in 0..<rows {
            let yref = rowReferenceY[r]
            for c in 0..<columns {
                let cell = r * columns + c
                let x0 = minX + Double(c) * cellWidth
                var rx = x0 + 0.5 * cellWidth
                var k = 0
                while k < 4096 {
                    var hit = false
                    for g in cellSegments[cellSegStart[cell]..<cellSegStart[cell + 1]] {
                        let s = segments[Int(g)]
                        if ExactPredicates.onSegment(rx, yref, s.x0, s.y0, s.x1, s.y1) { hit = true; break }
                    }
                    if !hit { break }
                    k += 1
                    // Walk through fractions that do not repeat: 0.5 ± k·(golden ratio) mod 1.
                    var t = 0.5 + Double(k) * 0.6180339887498949
                    t -= t.rounded(.down)
                    rx = x0 + (0.05 + 0.9 * t) * cellWidth
                }
                referenceX[cell] = rx
            }
        }

        // 4. Features covering each reference point: sweep each row from right to left.
        var parity = ContiguousArray<Bool>(repeating: false, count: featureStart.count - 1)
        var odd = Set<Int32>()
        var stamp = ContiguousArray<Int32>(repeating: -1, count: segments.count)
        var referenceSets = ContiguousArray<[Int32]>(repeating: [], count: cellCount)
        var step: Int32 = 0

        func crosses(_ s: PolygonIndex.Segment, _ x: Double, _ y: Double) -> Bool {
            // Ray from (x, y) towards +x; the caller guarantees the edge strictly spans y.
            let o = ExactPredicates.orient2d(s.x0, s.y0, s.x1, s.y1, x, y)
            return s.y1 > s.y0 ? o > 0 : o < 0
        }
        func spans(_ s: PolygonIndex.Segment, _ y: Double) -> Bool {
            (s.y0 < y && y < s.y1) || (s.y1 < y && y < s.y0)
        }
        func toggle(_ f: Int32) {
            parity[Int(f)].toggle()
            if parity[Int(f)] { odd.insert(f) } else { odd.remove(f) }
        }
        for r in 0..<rows {
            let yref = rowReferenceY[r]
            for c in stride(from: columns - 1, through: 0, by: -1) {
                let cell = r * columns + c
                let rx = referenceX[cell]
                step += 1
                if c == columns - 1 {
                    for g in cellSegments[cellSegStart[cell]..<cellSegStart[cell + 1]] {
                        let s = segments[Int(g)]
                        if spans(s, yref) && crosses(s, rx, yref) { toggle(segmentFeature[Int(g)]) }
                    }
                } else {
                    let right = cell + 1
                    let rightX = referenceX[right]
                    for list in [cell, right] {
                        for g in cellSegments[cellSegStart[list]..<cellSegStart[list + 1]] {
                            if stamp[Int(g)] == step { continue }
                            stamp[Int(g)] = step
                            let s = segments[Int(g)]
                            if spans(s, yref) && crosses(s, rx, yref) != crosses(s, rightX, yref) {
                                toggle(segmentFeature[Int(g)])
                            }
                        }
                    }
                }
                if !odd.isEmpty { referenceSets[cell] = odd.sorted() }
            }
            for f in odd { parity[Int(f)] = false }
            odd.removeAll(keepingCapacity: true)
        }

        // 5. Cells, slots and entries.
        cells.reserveCapacity(cellCount + 1)
        occupied = ContiguousArray(repeating: 0, count: (cellCount + 63) / 64)
        entries.reserveCapacity(cellSegments.count)
        for r in 0..<rows {
            let yref = rowReferenceY[r]
            for c in 0..<columns {
                let cell = r * columns + c
                let rx = referenceX[cell]
                let list = cellSegments[cellSegStart[cell]..<cellSegStart[cell + 1]]
                var features = referenceSets[cell]
                for g in list { features.append(segmentFeature[Int(g)]) }
                features.sort()
                var unique: [Int32] = []
                unique.reserveCapacity(features.count)
                for f in features where unique.last != f { unique.append(f) }
                // Cells with more than UInt16 slots are impossible in practice (65k features meeting in
                // one cell); such cells still work through the fallback, which uses slotFeatures only.
                var mask: UInt64 = 0
                if unique.count <= 64 {
                    for f in referenceSets[cell] {
                        let slot = unique.firstIndex(of: f)!
                        mask |= 1 << UInt64(slot)
                    }
                }
                let entryStart = entries.count
                for g in list {
                    let s = segments[Int(g)]
                    let f = segmentFeature[Int(g)]
                    let slot = unique.count <= 64 ? unique.firstIndex(of: f)! : Swift.min(unique.count, 65535)
                    var flags: UInt8 = 0
                    if spans(s, yref) {
                        flags |= PolygonIndex.Entry.spansReference
                        if crosses(s, rx, yref) { flags |= PolygonIndex.Entry.referenceCrosses }
                    }
                    entries.append(PolygonIndex.Entry(
                        segment: g, slot: UInt16(truncatingIfNeeded: slot), flags: flags))
                }
                cells.append(PolygonIndex.Cell(
                    entryStart: UInt32(entryStart), slotStart: UInt32(slotFeatures.count), referenceMask: mask, rx: rx))
                slotFeatures.append(contentsOf: unique)
                if !list.isEmpty || !unique.isEmpty { occupied[cell >> 6] |= 1 << UInt64(cell & 63) }
                referenceSets[cell] = []
            }
        }
        cells.append(PolygonIndex.Cell(
            entryStart: UInt32(entries.count), slotStart: UInt32(slotFeatures.count), referenceMask: 0, rx: 0))
        slotFeatures = ContiguousArray(slotFeatures)  // capacity trimmed to the count
    }

    func rowHasVertex(
        at y: Double, row r: Int, _ cellSegments: ContiguousArray<Int32>, _ cellSegStart: ContiguousArray<Int>
    ) -> Bool {
        for c in 0..<columns {
            let cell = r * columns + c
            for g in cellSegments[cellSegStart[cell]..<cellSegStart[cell + 1]] {
                let s = segments[Int(g)]
                if s.y0 == y || s.y1 == y { return true }
            }
        }
        return false
    }
}
