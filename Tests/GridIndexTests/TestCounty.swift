import GeoJSON
import GridIndex
import GridworkTestSupport

/// A seeded synthetic county: a lattice of grids with jittered shared vertices (neighbours share
/// exactly the same vertices), plus a grid with a hole holding an enclave grid, a multipart grid,
/// a gap and an overlapping polygon. Coordinates are multiples of 2^-30 so that midpoints and
/// quarter points of every edge are exactly representable, hence exactly on the edge.
struct TestCounty {
    var features: [(id: Int32, geometry: Geometry)] = []
    var origin = Position(119.5, 29.25)
    var spacing: Double
    var n: Int

    static func quantize(_ v: Double) -> Double { (v * 0x1p30).rounded() / 0x1p30 }

    init(seed: UInt64, n: Int = 12, spacing: Double = 0.01, vertexJitter: Double = 0.2,
         subdivisions: Int = 1, extras: Bool = true, axisAligned: Bool = false)
    {
        self.n = n
        self.spacing = spacing
        var rng = SplitMix64(seed: seed)
        let q = Self.quantize
        func jitter(_ amount: Double) -> Double {
            axisAligned ? 0 : Double.random(in: -amount...amount, using: &rng) * spacing
        }
        // Lattice corners.
        var corner = [[Position]]()
        for i in 0...n {
            var column = [Position]()
            for j in 0...n {
                column.append(Position(q(origin.x + Double(i) * spacing + jitter(vertexJitter)),
                                       q(origin.y + Double(j) * spacing + jitter(vertexJitter))))
            }
            corner.append(column)
        }
        // Intermediate vertices of each lattice edge, shared by both neighbours.
        func chain(_ a: Position, _ b: Position) -> [Position] {
            guard subdivisions > 0 else { return [] }
            return (1...subdivisions).map { k in
                let t = Double(k) / Double(subdivisions + 1)
                return Position(q(a.x + t * (b.x - a.x) + jitter(0.08 / Double(subdivisions))),
                                q(a.y + t * (b.y - a.y) + jitter(0.08 / Double(subdivisions))))
            }
        }
        var horizontal = [[[Position]]]()  // [i][j]: from corner(i, j) to corner(i+1, j)
        for i in 0..<n { horizontal.append((0...n).map { j in chain(corner[i][j], corner[i + 1][j]) }) }
        var vertical = [[[Position]]]()  // [i][j]: from corner(i, j) to corner(i, j+1)
        for i in 0...n { vertical.append((0..<n).map { j in chain(corner[i][j], corner[i][j + 1]) }) }

        func cellRing(_ i: Int, _ j: Int) -> LinearRing {
            var ring = [corner[i][j]]
            ring += horizontal[i][j]
            ring.append(corner[i + 1][j])
            ring += vertical[i + 1][j]
            ring.append(corner[i + 1][j + 1])
            ring += horizontal[i][j + 1].reversed()
            ring.append(corner[i][j + 1])
            ring += vertical[i][j].reversed()
            ring.append(corner[i][j])
            return LinearRing(ring)
        }

        let gap = (n / 2, 1)
        let holed = (2, n - 3)
        let multipart = [(1, 1), (n - 2, n - 2)]
        var nextID: Int32 = 1000
        for i in 0..<n {
            for j in 0..<n {
                if extras && (i, j) == gap { continue }
                if extras && multipart.contains(where: { $0 == (i, j) }) { continue }
                var polygon = Polygon(exterior: cellRing(i, j))
                if extras && (i, j) == holed {
                    let c = Position(
                        (corner[i][j].x + corner[i + 1][j].x + corner[i][j + 1].x + corner[i + 1][j + 1].x) / 4,
                        (corner[i][j].y + corner[i + 1][j].y + corner[i][j + 1].y + corner[i + 1][j + 1].y) / 4)
                    let h = 0.15 * spacing
                    let hole = LinearRing([
                        Position(q(c.x - h), q(c.y - h)), Position(q(c.x - h), q(c.y + h)),
                        Position(q(c.x + h), q(c.y + h * 0.5)), Position(q(c.x + h), q(c.y - h)),
                        Position(q(c.x - h), q(c.y - h)),
                    ])
                    polygon.holes = [hole]
                    features.append((nextID, .polygon(polygon)))
                    nextID += 1
                    features.append((nextID, .polygon(Polygon(exterior: hole.reversed))))  // the enclave
                    nextID += 1
                    continue
                }
                features.append((nextID, .polygon(polygon)))
                nextID += 1
            }
        }
        if extras {
            features.append((nextID, .multiPolygon(MultiPolygon(multipart.map { Polygon(exterior: cellRing($0.0, $0.1)) }))))
            nextID += 1
            // An overlap: a quadrilateral around an inner lattice corner, sharing one exact vertex.
            let v = corner[n / 2][n / 2]
            let w = corner[n / 2 + 1][n / 2]
            features.append((nextID, .polygon(Polygon(exterior: LinearRing([
                Position(q(v.x - 0.4 * spacing), q(v.y - 0.45 * spacing)), w,
                Position(q(v.x + 0.35 * spacing), q(v.y + 0.5 * spacing)),
                Position(q(v.x - 0.5 * spacing), q(v.y + 0.3 * spacing)),
                Position(q(v.x - 0.4 * spacing), q(v.y - 0.45 * spacing)),
            ])))))
        }
    }

    var bounds: BoundingBox {
        var box = features[0].geometry.boundingBox!
        for f in features { box.extend(f.geometry.boundingBox!) }
        return box
    }

    /// Seeded points: uniform (some outside the county), every vertex, exact midpoints and quarter
    /// points of edges, their 1-ulp neighbours, and points sharing an x or y with a vertex.
    func points(seed: UInt64, uniform: Int) -> [Position] {
        var rng = SplitMix64(seed: seed)
        let box = bounds
        let mx = (box.maxX - box.minX) * 0.05, my = (box.maxY - box.minY) * 0.05
        var out = [Position]()
        for _ in 0..<uniform {
            out.append(Position(Double.random(in: (box.minX - mx)...(box.maxX + mx), using: &rng),
                                Double.random(in: (box.minY - my)...(box.maxY + my), using: &rng)))
        }
        for f in features {
            for polygon in f.geometry.polygons {
                for ring in polygon.rings {
                    let ps = ring.positions
                    for k in 0..<(ps.count - 1) {
                        let a = ps[k], b = ps[k + 1]
                        out.append(a)
                        out.append(Position((a.x + b.x) / 2, (a.y + b.y) / 2))
                        out.append(Position((3 * a.x + b.x) / 4, (3 * a.y + b.y) / 4))
                        let m = Position((a.x + b.x) / 2, (a.y + b.y) / 2)
                        out.append(Position(m.x.nextUp, m.y))
                        out.append(Position(m.x, m.y.nextDown))
                        out.append(Position(a.x.nextDown, a.y.nextUp))
                        let d = Double.random(in: -0.3...0.3, using: &rng) * spacing
                        out.append(Position(a.x, a.y + d))
                        out.append(Position(a.x + d, a.y))
                    }
                }
            }
        }
        return out
    }
}

/// An independent brute-force covers test: every ring of every polygon of every feature, exact
/// on-segment tests for the boundary, and crossing parity of a ray towards -y (a different ray
/// than the index's) for the interior.
func bruteForceCovers(_ features: [(id: Int32, geometry: Geometry)], _ p: Position,
                      orient: (Position, Position, Position) -> Int = ExactPredicates.orient2d) -> [CoverHit]
{
    var hits = [CoverHit]()
    for feature in features {
        guard let box = feature.geometry.boundingBox, box.contains(p) else { continue }
        var onBoundary = false
        var crossings = 0
        scan: for polygon in feature.geometry.polygons {
            for ring in polygon.rings {
                let ps = ring.positions
                for k in 0..<(ps.count - 1) {
                    let a = ps[k], b = ps[k + 1]
                    if p.x >= min(a.x, b.x) && p.x <= max(a.x, b.x) && p.y >= min(a.y, b.y) && p.y <= max(a.y, b.y)
                        && orient(a, b, p) == 0
                    {
                        onBoundary = true
                        break scan
                    }
                    // Ray from p towards -y: the edge's half-open x range [min, max) holds p.x and
                    // the edge passes below p.
                    if (a.x <= p.x) != (b.x <= p.x) {
                        let (l, r) = a.x < b.x ? (a, b) : (b, a)
                        if orient(l, r, p) > 0 { crossings += 1 }
                    }
                }
            }
        }
        if onBoundary {
            hits.append(CoverHit(id: feature.id, onBoundary: true))
        } else if crossings % 2 == 1 {
            hits.append(CoverHit(id: feature.id, onBoundary: false))
        }
    }
    return hits
}
