import Foundation
import GeoJSON
import GridGeometry
@testable import Gridwork
import GridworkTestSupport

/// A seeded random county built to stress the locator, with every coordinate a multiple of 2⁻¹² degree so that
/// midpoints of edges are exactly on their edges:
/// - an 8 × 6 lattice of jittered quadrilateral grids sharing edges and vertices (ids `G<col><row>`);
/// - a gap (cell 6,4 is missing);
/// - a multipart grid `GM` (cells 7,0 and 7,2);
/// - grid `G0303` with a hole that holds the enclave grid `GE` (same ring);
/// - grid `GO`, a rectangle overlapping cells 1,4 and 2,4;
/// - buildings: squares inside cells, two overlapping ones and one across a grid edge.
struct TestCounty {
    static let unit = 1.0 / 256        // cell size, degrees (≈ 435 m)
    static let step = 1.0 / 4096       // coordinate granularity
    static let origin = Position(119.25, 29.5)
    static let columns = 8, rows = 6

    var grids: [Grid] = []
    var buildings: [Building] = []
    /// Vertices and exact edge midpoints of every grid and building ring: the hard points.
    var specialPoints: [Position] = []
    var bounds: BoundingBox

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let u = Self.unit, s = Self.step, o = Self.origin
        var lattice: [[Position]] = []
        for i in 0...Self.columns {
            var column: [Position] = []
            for j in 0...Self.rows {
                let edgeX = i == 0 || i == Self.columns, edgeY = j == 0 || j == Self.rows
                let jx = edgeX ? 0 : Double(random.below(7) - 3) * s
                let jy = edgeY ? 0 : Double(random.below(7) - 3) * s
                column.append(Position(o.x + Double(i) * u + jx, o.y + Double(j) * u + jy))
            }
            lattice.append(column)
        }
        func cell(_ i: Int, _ j: Int) -> LinearRing {
            LinearRing([lattice[i][j], lattice[i + 1][j], lattice[i + 1][j + 1], lattice[i][j + 1], lattice[i][j]])
        }
        func rect(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> LinearRing {
            LinearRing([Position(x0, y0), Position(x1, y0), Position(x1, y1), Position(x0, y1), Position(x0, y0)])
        }
        func grid(_ id: String, _ geometry: Geometry) -> Grid {
            Grid(gridID: id, villageID: "V1", townID: "T1", name: id, geometry: geometry)
        }
        // The enclave: a square in the middle of cell 3,3, on the granularity.
        let hx = o.x + 3 * u + 5 * s, hy = o.y + 3 * u + 5 * s
        let hole = rect(hx, hy, hx + 6 * s, hy + 6 * s)
        for i in 0..<Self.columns {
            for j in 0..<Self.rows {
                if (i, j) == (6, 4) || i == 7 && (j == 0 || j == 2) { continue }
                let id = String(format: "G%02d%02d", i, j)
                if (i, j) == (3, 3) {
                    grids.append(grid(id, .polygon(Polygon(exterior: cell(i, j), holes: [hole]))))
                } else {
                    grids.append(grid(id, .polygon(Polygon(exterior: cell(i, j)))))
                }
            }
        }
        grids.append(grid("GM", .multiPolygon(MultiPolygon([Polygon(exterior: cell(7, 0)), Polygon(exterior: cell(7, 2))]))))
        grids.append(grid("GE", .polygon(Polygon(exterior: hole))))
        let overlap = rect(o.x + 1.5 * u, o.y + 4.25 * u, o.x + 2.5 * u, o.y + 4.75 * u)
        grids.append(grid("GO", .polygon(Polygon(exterior: overlap))))
        grids.shuffle(using: &random)

        func building(_ id: String, _ ring: LinearRing) -> Building {
            Building(buildingID: id, gridID: nil, villageID: nil, kind: "urban", floors: 6, geometry: .polygon(Polygon(exterior: ring)))
        }
        var buildingRings: [(String, LinearRing)] = []
        for k in 0..<20 {
            let i = random.below(Self.columns), j = random.below(Self.rows)
            let x = o.x + Double(i) * u + Double(4 + random.below(7)) * s
            let y = o.y + Double(j) * u + Double(4 + random.below(7)) * s
            buildingRings.append((String(format: "B%03d", k), rect(x, y, x + 2 * s, y + 2 * s)))
        }
        // Two overlapping buildings and one straddling the edge between columns 4 and 5 of row 1 (jitter ≤ 3 steps).
        let bx = o.x + 2 * u + 8 * s, by = o.y + 1 * u + 8 * s
        buildingRings.append(("B100", rect(bx, by, bx + 3 * s, by + 3 * s)))
        buildingRings.append(("B101", rect(bx + 2 * s, by + 2 * s, bx + 5 * s, by + 5 * s)))
        let ex = o.x + 5 * u, ey = o.y + 1 * u + 6 * s
        buildingRings.append(("B102", rect(ex - 4 * s, ey, ex + 4 * s, ey + 2 * s)))
        buildings = buildingRings.map { building($0.0, $0.1) }

        for ring in grids.flatMap(\.geometry.rings) + buildings.flatMap(\.geometry.rings) {
            let ps = ring.positions
            for k in 0..<(ps.count - 1) {
                specialPoints.append(ps[k])
                specialPoints.append(Position((ps[k].x + ps[k + 1].x) / 2, (ps[k].y + ps[k + 1].y) / 2))
            }
        }
        bounds = BoundingBox(minX: o.x - u / 2, minY: o.y - u / 2,
                             maxX: o.x + Double(Self.columns) * u + u / 2, maxY: o.y + Double(Self.rows) * u + u / 2)
    }

    /// `count` uniform points over the bounds (a margin outside the grids included), full double precision.
    func uniformPoints(_ count: Int, seed: UInt64) -> [Position] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            Position(bounds.minX + random.unit() * (bounds.maxX - bounds.minX),
                     bounds.minY + random.unit() * (bounds.maxY - bounds.minY))
        }
    }
}

extension Geometry {
    /// Every ring of every polygon.
    var rings: [LinearRing] {
        var result: [LinearRing] = []
        forEachRing { result.append($0) }
        return result
    }
}

/// The independent oracle: GEOS prepared `covers` (and `contains`, for the interior) of every grid and building.
final class GEOSOracle {
    let context: GEOSContext
    let gridIDs: [String]
    let grids: [PreparedGEOSGeometry]
    let buildingIDs: [String]
    let buildings: [PreparedGEOSGeometry]

    init(grids: [Grid], buildings: [Building]) throws {
        let context = GEOSContext()
        self.context = context
        let g = grids.sorted { $0.gridID < $1.gridID }
        gridIDs = g.map(\.gridID)
        self.grids = try g.map { try GEOSGeometry($0.geometry, context: context).prepared() }
        let b = buildings.sorted { $0.buildingID < $1.buildingID }
        buildingIDs = b.map(\.buildingID)
        self.buildings = try b.map { try GEOSGeometry($0.geometry, context: context).prepared() }
    }

    /// What the specification says the answer is, computed from GEOS alone (no snapping).
    func expected(_ p: Position) throws -> GeocodeResult {
        let point = try GEOSGeometry(point: p, context: context)
        var covering: [(id: String, interior: Bool)] = []
        for (k, grid) in grids.enumerated() where try grid.covers(point) {
            covering.append((gridIDs[k], try grid.contains(point)))
        }
        var building: String?
        for (k, b) in buildings.enumerated() where try b.covers(point) {
            building = buildingIDs[k]
            break
        }
        let status: GeocodeStatus = switch covering.count {
        case 0: .outside
        case 1: .inside
        default: covering.allSatisfy { !$0.interior } ? .boundary : .overlap
        }
        return GeocodeResult(gridID: covering.first?.id, buildingID: building, status: status)
    }
}

/// Writes `points` as a CSV with columns id,lon,lat,note (the note holds a comma and a quote, to be carried).
func writePointsCSV(_ points: [Position], to path: String, header: String = "id,lon,lat,note",
                    format: (Position) -> String = { "\($0.x),\($0.y)" }) throws {
    var text = header + "\n"
    for (k, p) in points.enumerated() {
        text += "P\(k),\(format(p)),\"n\(k), \"\"q\"\"\"\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Reads a CSV written by the geocoder (a simple reader: fields may be quoted).
func readOutput(_ path: String) throws -> [[String]] {
    let reader = try CSVReader(path: path)
    var rows: [[String]] = []
    while let record = try reader.next() { rows.append(record.fields) }
    return rows
}
