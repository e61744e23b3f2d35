import Foundation
import GeoJSON

/// A jittered lattice of small quadrilateral cells: the atoms every region of a sample county is made of.
///
/// Vertex coordinates are integers in units of 1e-7 degree, so they print exactly at 7 decimals and every
/// area or orientation test on them is exact. Each vertex is moved at most 0.2 cell in x and in y from its
/// regular position, which keeps every cell convex (the turn at each corner stays at least 1 - 4 × 0.2 > 0).
/// Regions are unions of whole cells, so neighbours share vertices exactly.
struct Lattice: Sendable {
    /// Degrees to lattice units.
    static let unitsPerDegree = 10_000_000.0
    /// Cell size: 0.0015 degree (about 145 m by 167 m at 29.5° N).
    static let step = 15_000

    let nx: Int
    let ny: Int
    /// Units of the regular (unjittered) vertex (0, 0).
    let originX: Int
    let originY: Int
    /// Jittered vertex coordinates, absolute units, index `j * (nx + 1) + i`.
    let vx: [Int]
    let vy: [Int]
    /// Metres per unit along x (east) and y (north), at the lattice's middle latitude.
    let metresPerUnitX: Double
    let metresPerUnitY: Double

    init(nx: Int, ny: Int, originX: Int, originY: Int, random: inout Xoshiro256) {
        self.nx = nx
        self.ny = ny
        self.originX = originX
        self.originY = originY
        let maxJitter = Lattice.step / 5
        var vx = [Int](repeating: 0, count: (nx + 1) * (ny + 1))
        var vy = vx
        for j in 0...ny {
            for i in 0...nx {
                let v = j * (nx + 1) + i
                vx[v] = originX + i * Lattice.step + random.int(in: -maxJitter...maxJitter)
                vy[v] = originY + j * Lattice.step + random.int(in: -maxJitter...maxJitter)
            }
        }
        self.vx = vx
        self.vy = vy
        let middleLatitude = (Double(originY) + Double(ny * Lattice.step) / 2) / Lattice.unitsPerDegree
        metresPerUnitX = 111_320.0 * portableCos(middleLatitude * Double.pi / 180) / Lattice.unitsPerDegree
        metresPerUnitY = 110_574.0 / Lattice.unitsPerDegree
    }

    var cellCount: Int { nx * ny }

    @inline(__always) func cell(_ i: Int, _ j: Int) -> Int { j * nx + i }
    @inline(__always) func vertex(_ i: Int, _ j: Int) -> Int { j * (nx + 1) + i }

    /// The four corners of a cell, counter-clockwise from the south-west one.
    func corners(ofCell c: Int) -> [Int] {
        let i = c % nx
        let j = c / nx
        return [vertex(i, j), vertex(i + 1, j), vertex(i + 1, j + 1), vertex(i, j + 1)]
    }

    /// The regular centre of a cell in metres from the lattice origin (good enough for distances).
    func centreMetres(ofCell c: Int) -> (x: Double, y: Double) {
        let i = c % nx
        let j = c / nx
        return ((Double(i) + 0.5) * Double(Lattice.step) * metresPerUnitX,
                (Double(j) + 0.5) * Double(Lattice.step) * metresPerUnitY)
    }

    /// The 4-neighbours of a cell that lie on the lattice.
    func neighbours(ofCell c: Int) -> [Int] {
        let i = c % nx
        let j = c / nx
        var result: [Int] = []
        result.reserveCapacity(4)
        if i > 0 { result.append(c - 1) }
        if i < nx - 1 { result.append(c + 1) }
        if j > 0 { result.append(c - nx) }
        if j < ny - 1 { result.append(c + nx) }
        return result
    }

    func position(ofVertex v: Int) -> Position {
        Position(Double(vx[v]) / Lattice.unitsPerDegree, Double(vy[v]) / Lattice.unitsPerDegree)
    }

    /// A point in lattice units given in metres from the lattice origin.
    func units(fromMetres x: Double, _ y: Double) -> (x: Int, y: Int) {
        (originX + Int((x / metresPerUnitX).rounded()), originY + Int((y / metresPerUnitY).rounded()))
    }

    /// Metres from the lattice origin of a point in lattice units.
    func metres(fromUnits x: Int, _ y: Int) -> (x: Double, y: Double) {
        (Double(x - originX) * metresPerUnitX, Double(y - originY) * metresPerUnitY)
    }
}

// MARK: - Partitions of the cells

/// Makes every region of one level a single 4-connected set of cells with no pinch: no lattice vertex where a
/// region holds two diagonally opposite cells and not the other two. Without pinches every traced ring is simple
/// and holes never touch their exterior, so the polygons are OGC-valid.
///
/// `owner[c]` is the region of cell `c` (or -1 outside the county); `parentOf[r]` is the region one level up,
/// and cells only ever move between regions with the same parent, so the level above stays as it was.
/// The level above must already be connected and pinch-free.
func makeRegionsClean(owner: inout [Int32], regionCount: Int, parentOf: [Int32], lattice: Lattice) {
    var count = [Int](repeating: 0, count: regionCount)
    for o in owner where o >= 0 { count[Int(o)] += 1 }
    for round in 0..<200 {
        var changed = false
        // Pinches.
        for j in 1..<lattice.ny {
            for i in 1..<lattice.nx {
                let a = lattice.cell(i, j), b = lattice.cell(i - 1, j)
                let c = lattice.cell(i - 1, j - 1), d = lattice.cell(i, j - 1)
                let oa = owner[a], ob = owner[b], oc = owner[c], od = owner[d]
                var diagonal: (Int, Int, Int, Int)? = nil  // (held, held, other, other)
                if oa >= 0, oa == oc, ob != oa, od != oa { diagonal = (a, c, b, d) }
                else if ob >= 0, ob == od, oa != ob, oc != ob { diagonal = (b, d, a, c) }
                guard let (h1, h2, x1, x2) = diagonal else { continue }
                let region = owner[h1]
                var fixed = false
                for x in [x1, x2] {
                    let ox = owner[x]
                    if ox >= 0, parentOf[Int(ox)] == parentOf[Int(region)], count[Int(ox)] > 1 {
                        count[Int(ox)] -= 1
                        owner[x] = region
                        count[Int(region)] += 1
                        fixed = true
                        break
                    }
                }
                if !fixed {
                    // The other cells are single-cell regions: hand one held cell to one of them instead.
                    outer: for x in [x1, x2] where owner[x] >= 0 && parentOf[Int(owner[x])] == parentOf[Int(region)] {
                        for h in [h1, h2] where count[Int(region)] > 1 {
                            count[Int(region)] -= 1
                            owner[h] = owner[x]
                            count[Int(owner[x])] += 1
                            fixed = true
                            break outer
                        }
                    }
                }
                precondition(fixed, "sample county: cannot resolve the pinch at lattice vertex (\(i), \(j)); the level above is not clean")
                changed = true
            }
        }
        // Fragments: every region keeps its largest 4-connected component; the rest join a neighbour.
        let components = connectedComponents(owner: owner, lattice: lattice)
        var largest = [Int](repeating: -1, count: regionCount)
        for (k, comp) in components.enumerated() {
            let r = Int(owner[comp[0]])
            if largest[r] < 0 || comp.count > components[largest[r]].count { largest[r] = k }
        }
        for (k, comp) in components.enumerated() {
            let region = owner[comp[0]]
            if largest[Int(region)] == k { continue }
            var shared = [Int32: Int]()
            for c in comp {
                for n in lattice.neighbours(ofCell: c) {
                    let o = owner[n]
                    if o >= 0, o != region, parentOf[Int(o)] == parentOf[Int(region)] { shared[o, default: 0] += 1 }
                }
            }
            // Deterministic choice: most shared edges, then the lowest region index.
            guard let target = shared.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key })?.key else {
                preconditionFailure("sample county: a fragment of region \(region) has no neighbour with the same parent")
            }
            for c in comp { owner[c] = target }
            count[Int(region)] -= comp.count
            count[Int(target)] += comp.count
            changed = true
        }
        if !changed { return }
        precondition(round < 199, "sample county: regions did not settle after 200 rounds")
    }
}

/// The 4-connected components of equal-owner cells (owners >= 0), each as its cells in index order.
func connectedComponents(owner: [Int32], lattice: Lattice) -> [[Int]] {
    var seen = [Bool](repeating: false, count: owner.count)
    var components: [[Int]] = []
    var stack: [Int] = []
    for start in 0..<owner.count where owner[start] >= 0 && !seen[start] {
        let o = owner[start]
        var comp: [Int] = []
        seen[start] = true
        stack.append(start)
        while let c = stack.popLast() {
            comp.append(c)
            for n in lattice.neighbours(ofCell: c) where !seen[n] && owner[n] == o {
                seen[n] = true
                stack.append(n)
            }
        }
        comp.sort()
        components.append(comp)
    }
    return components
}

// MARK: - Tracing

/// Traces the boundary of every region into rings of lattice vertices and builds its geometry:
/// counter-clockwise exteriors, clockwise holes, each hole under the smallest exterior that holds it,
/// a MultiPolygon when a region is in several parts. Rings are closed (first vertex repeated).
func traceRegions(owner: [Int32], regionCount: Int, lattice: Lattice) -> [Geometry?] {
    // Directed boundary edges with the region on their left, grouped by region, in cell order.
    var edges = [[(Int, Int)]](repeating: [], count: regionCount)
    let nx = lattice.nx, ny = lattice.ny
    for j in 0..<ny {
        for i in 0..<nx {
            let c = lattice.cell(i, j)
            let o = owner[c]
            guard o >= 0 else { continue }
            let r = Int(o)
            if j == 0 || owner[c - nx] != o { edges[r].append((lattice.vertex(i, j), lattice.vertex(i + 1, j))) }
            if i == nx - 1 || owner[c + 1] != o { edges[r].append((lattice.vertex(i + 1, j), lattice.vertex(i + 1, j + 1))) }
            if j == ny - 1 || owner[c + nx] != o { edges[r].append((lattice.vertex(i + 1, j + 1), lattice.vertex(i, j + 1))) }
            if i == 0 || owner[c - 1] != o { edges[r].append((lattice.vertex(i, j + 1), lattice.vertex(i, j))) }
        }
    }
    return edges.map { regionEdges in
        guard !regionEdges.isEmpty else { return nil }
        var next = [Int: Int](minimumCapacity: regionEdges.count)
        for (from, to) in regionEdges {
            precondition(next[from] == nil, "sample county: a region has a pinch at a lattice vertex; clean the regions first")
            next[from] = to
        }
        var rings: [[Int]] = []
        for (start, _) in regionEdges where next[start] != nil {
            var ring = [start]
            var v = next.removeValue(forKey: start)!
            while v != start {
                ring.append(v)
                v = next.removeValue(forKey: v)!
            }
            rings.append(ring)
        }
        return geometry(fromRings: rings, lattice: lattice)
    }
}

/// Twice the signed area of a ring of lattice vertices, exact, in square units.
func signedArea2(ofRing ring: [Int], lattice: Lattice) -> Int {
    var sum = 0
    var previous = ring[ring.count - 1]
    let ox = lattice.originX, oy = lattice.originY
    for v in ring {
        sum += (lattice.vx[previous] - ox) * (lattice.vy[v] - oy) - (lattice.vx[v] - ox) * (lattice.vy[previous] - oy)
        previous = v
    }
    return sum
}

private func ringContains(_ ring: [Int], x: Int, y: Int, lattice: Lattice) -> Bool {
    var inside = false
    var previous = ring[ring.count - 1]
    for v in ring {
        let (x1, y1) = (lattice.vx[previous], lattice.vy[previous])
        let (x2, y2) = (lattice.vx[v], lattice.vy[v])
        if (y1 > y) != (y2 > y) {
            // x of the crossing > x, compared without division.
            let lhs = (x - x1) * (y2 - y1)
            let rhs = (x2 - x1) * (y - y1)
            if (y2 > y1) ? (lhs < rhs) : (lhs > rhs) { inside.toggle() }
        }
        previous = v
    }
    return inside
}

private func geometry(fromRings rings: [[Int]], lattice: Lattice) -> Geometry {
    var exteriors: [([Int], Int)] = []
    var holes: [[Int]] = []
    for ring in rings {
        let area2 = signedArea2(ofRing: ring, lattice: lattice)
        if area2 > 0 { exteriors.append((ring, area2)) } else { holes.append(ring) }
    }
    precondition(!exteriors.isEmpty, "sample county: a region has holes but no exterior ring")
    var holesOf = [[[Int]]](repeating: [], count: exteriors.count)
    for hole in holes {
        if exteriors.count == 1 {
            holesOf[0].append(hole)
            continue
        }
        let (x, y) = (lattice.vx[hole[0]], lattice.vy[hole[0]])
        var best = -1
        for (k, exterior) in exteriors.enumerated() where ringContains(exterior.0, x: x, y: y, lattice: lattice) {
            if best < 0 || exterior.1 < exteriors[best].1 { best = k }
        }
        precondition(best >= 0, "sample county: a hole lies in no exterior ring")
        holesOf[best].append(hole)
    }
    func linearRing(_ ring: [Int]) -> LinearRing {
        LinearRing((ring + [ring[0]]).map { lattice.position(ofVertex: $0) })
    }
    let polygons = exteriors.enumerated().map { k, exterior in
        Polygon(exterior: linearRing(exterior.0), holes: holesOf[k].map(linearRing))
    }
    return polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
}

/// Makes the county one 4-connected set of cells with no holes and no pinch, by adding outside cells where a
/// pinch or a hole is and dropping detached parts. The county must stay off the lattice's border cells.
func cleanCounty(inside: inout [Bool], lattice: Lattice) {
    let nx = lattice.nx, ny = lattice.ny
    for _ in 0..<200 {
        var changed = false
        for j in 1..<ny {
            for i in 1..<nx {
                let a = lattice.cell(i, j), b = lattice.cell(i - 1, j)
                let c = lattice.cell(i - 1, j - 1), d = lattice.cell(i, j - 1)
                if inside[a] == inside[c], inside[b] == inside[d], inside[a] != inside[b] {
                    if inside[a] { inside[b] = true } else { inside[a] = true }
                    changed = true
                }
            }
        }
        let owner = inside.map { $0 ? Int32(0) : -1 }
        let components = connectedComponents(owner: owner, lattice: lattice)
        if components.count > 1 {
            let keep = components.indices.max { a, b in
                components[a].count != components[b].count ? components[a].count < components[b].count : a > b
            }!
            for (k, comp) in components.enumerated() where k != keep {
                for c in comp { inside[c] = false }
            }
            changed = true
        }
        // Holes: outside cells that cannot reach the lattice's border.
        var reached = [Bool](repeating: false, count: inside.count)
        var stack: [Int] = []
        for c in 0..<inside.count where !inside[c] {
            let i = c % nx, j = c / nx
            if i == 0 || j == 0 || i == nx - 1 || j == ny - 1 {
                reached[c] = true
                stack.append(c)
            }
        }
        while let c = stack.popLast() {
            for n in lattice.neighbours(ofCell: c) where !inside[n] && !reached[n] {
                reached[n] = true
                stack.append(n)
            }
        }
        for c in 0..<inside.count where !inside[c] && !reached[c] {
            inside[c] = true
            changed = true
        }
        if !changed {
            for c in 0..<inside.count where inside[c] {
                let i = c % nx, j = c / nx
                precondition(i > 0 && j > 0 && i < nx - 1 && j < ny - 1, "sample county: the county reaches the lattice border; widen the margin")
            }
            return
        }
    }
    preconditionFailure("sample county: the county outline did not settle after 200 rounds")
}
