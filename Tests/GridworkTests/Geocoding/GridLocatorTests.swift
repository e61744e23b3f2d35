import Foundation
import GeoJSON
import GridProjection
import SampleCounty
import Testing
@testable import Gridwork

@Suite struct GridLocatorTests {
    /// Every point of three seeded random counties (uniform points, every vertex and exact edge midpoint of
    /// every grid and building) gets exactly the grid, building and status GEOS prepared covers gives.
    @Test(arguments: [UInt64(1), 2, 3])
    func agreesWithGEOSPreparedCovers(seed: UInt64) throws {
        let county = TestCounty(seed: seed)
        let locator = try GridLocator(grids: county.grids, buildings: county.buildings)
        let oracle = try GEOSOracle(grids: county.grids, buildings: county.buildings)
        let points = county.uniformPoints(3_000, seed: seed &+ 100) + county.specialPoints
        var seen: [GeocodeStatus: Int] = [:]
        var disagreements: [String] = []
        for p in points {
            let expected = try oracle.expected(p)
            let got = locator.locate(p)
            seen[expected.status, default: 0] += 1
            if got != expected { disagreements.append("\(p): expected \(expected), got \(got)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
        // The fixture really exercises every status.
        for status in [GeocodeStatus.inside, .boundary, .overlap, .outside] {
            #expect(seen[status, default: 0] > 0, "no \(status) points in the fixture")
        }
    }

    @Test func namedCasesFollowTheDocumentedRules() throws {
        let county = TestCounty(seed: 1)
        let locator = try GridLocator(grids: county.grids, buildings: county.buildings)
        let u = TestCounty.unit, o = TestCounty.origin
        // The enclave's interior is GE, not G0303 (the hole).
        let enclave = locator.locate(Position(o.x + 3 * u + 8 * TestCounty.step, o.y + 3 * u + 8 * TestCounty.step))
        #expect(enclave.gridID == "GE" && enclave.status == .inside)
        // The hole's ring is shared by G0303 and GE: boundary, lowest id wins ("G0303" < "GE").
        let ringPoint = Position(o.x + 3 * u + 5 * TestCounty.step, o.y + 3 * u + 8 * TestCounty.step)
        #expect(locator.locate(ringPoint) == GeocodeResult(gridID: "G0303", buildingID: nil, status: .boundary))
        // The gap is outside; the multipart grid's second part is GM.
        #expect(locator.locate(Position(o.x + 6.5 * u, o.y + 4.5 * u)).status == .outside)
        #expect(locator.locate(Position(o.x + 7.5 * u, o.y + 2.5 * u)).gridID == "GM")
        // The overlap goes to the lowest id: "G0104" < "GO".
        #expect(locator.locate(Position(o.x + 1.75 * u, o.y + 4.5 * u)) ==
                GeocodeResult(gridID: "G0104", buildingID: nil, status: .overlap))
        // Out-of-range and NaN positions are invalid.
        #expect(locator.locate(Position(.nan, 29.5)).status == .invalid)
        #expect(locator.locate(Position(200, 29.5)).status == .invalid)
    }

    @Test func snapsToTheNearestGridWithinTheDistance() throws {
        let county = TestCounty(seed: 1)
        let locator = try GridLocator(grids: county.grids)
        let o = TestCounty.origin
        // 0.0005° west of the county's straight west edge (x = o.x): 0.0005 × 111,195 × cos 29.51° ≈ 48.4 m.
        let p = Position(o.x - 0.0005, o.y + 0.5 * TestCounty.unit)
        let expected = 0.0005 * GridLocator.metresPerDegree * cos(p.y * .pi / 180)
        #expect(locator.locate(p, snapMetres: 40).status == .outside)
        let snapped = locator.locate(p, snapMetres: 60)
        #expect(snapped.status == .snapped && snapped.gridID == "G0000")
        #expect(abs((snapped.snapDistanceMetres ?? 0) - expected) < 0.01)
        // Inside points are never snapped.
        #expect(locator.locate(Position(o.x + 0.5 * TestCounty.unit, p.y), snapMetres: 60).status == .inside)
    }

    /// The bound on straight edges in the GCJ-02 and BD-09 frames holds on every edge of the tiny sample county and
    /// of the test county (435 m edges): the measured distance from the exact image of 63 points along each edge to
    /// the moved straight edge never exceeds `FrameEdgeError.boundMetres`; and after the locator cuts long edges
    /// into pieces, every piece's bound (and measured deviation) is within `FrameEdgeError.toleranceMetres`.
    @Test(arguments: [LocatorFrame.gcj02, .bd09])
    func straightEdgesStayWithinTheProvenBound(frame: LocatorFrame) throws {
        let tiny = SampleCountyGenerator(preset: .tiny, seed: 7).generate()
        let scratch = Scratch()
        try tiny.write(to: scratch.path)
        let grids = try LayerReader().read { $0.grids(scratch.path + "/grids.geojson", problems: &$1) } + TestCounty(seed: 1).grids
        func forward(_ p: Position) -> Position {
            frame == .gcj02 ? ChineseOffset.wgs84ToGCJ02(p) : ChineseOffset.wgs84ToBD09(p)
        }
        /// Measured deviation of the exact image of a → b from the straight edge between the moved endpoints.
        func measured(_ a: Position, _ b: Position) -> Double {
            let fa = forward(a), fb = forward(b)
            var worst = 0.0
            for t in stride(from: 1.0 / 64, to: 1, by: 1.0 / 64) {
                worst = max(worst, metresFromSegment(forward(Position(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))), fa, fb))
            }
            return worst
        }
        var worstMeasured = 0.0, worstBound = 0.0, worstPiece = 0.0
        var edges = 0, cut = 0
        for ring in grids.flatMap(\.geometry.rings) {
            let ps = ring.positions
            for k in 0..<(ps.count - 1) {
                let a = ps[k], b = ps[k + 1]
                let deviation = measured(a, b)
                let bound = FrameEdgeError.boundMetres(from: a, to: b, frame: frame)
                #expect(deviation <= bound, "edge \(a) → \(b): measured \(deviation) m > bound \(bound) m")
                worstMeasured = max(worstMeasured, deviation)
                worstBound = max(worstBound, bound)
                let n = FrameEdgeError.pieces(from: a, to: b, frame: frame)
                if n > 1 { cut += 1 }
                for j in 0..<n {
                    let p = Position(a.x + Double(j) / Double(n) * (b.x - a.x), a.y + Double(j) / Double(n) * (b.y - a.y))
                    let q = Position(a.x + Double(j + 1) / Double(n) * (b.x - a.x), a.y + Double(j + 1) / Double(n) * (b.y - a.y))
                    let pieceBound = FrameEdgeError.boundMetres(from: p, to: q, frame: frame)
                    #expect(pieceBound <= FrameEdgeError.toleranceMetres)
                    #expect(measured(p, q) <= pieceBound)
                    worstPiece = max(worstPiece, pieceBound)
                }
                edges += 1
            }
        }
        #expect(edges > 100)
        // The bound is not loose: within a factor 3 of the worst measured deviation.
        #expect(worstBound < 3 * worstMeasured)
        print("\(frame): \(edges) edges, worst measured \(worstMeasured) m, worst bound \(worstBound) m; " +
              "\(cut) edges cut, worst piece bound \(worstPiece) m")
    }

    /// Shared edges cut into pieces get the same intermediate vertices in both grids, so the moved county has no
    /// slivers: points on the moved shared edges still find a grid.
    @Test func movedSharedEdgesStayShared() throws {
        let county = TestCounty(seed: 5)
        let locator = try GridLocator(grids: county.grids, frame: .bd09)
        let moved = county.grids.map { GridLocator.move($0.geometry, to: .bd09) }
        var checked = 0
        for ring in moved.flatMap(\.rings) {
            for p in ring.positions {
                #expect(locator.locate(p).gridID != nil, "moved vertex \(p) is in no grid")
                checked += 1
            }
        }
        #expect(checked > county.grids.count * 5)
    }
}

/// Distance in metres (local equirectangular) from `p` to the segment a–b.
func metresFromSegment(_ p: Position, _ a: Position, _ b: Position) -> Double {
    let kx = GridLocator.metresPerDegree * cos(p.y * .pi / 180), ky = GridLocator.metresPerDegree
    return GridLocator.squaredDistanceToOrigin((a.x - p.x) * kx, (a.y - p.y) * ky, (b.x - p.x) * kx, (b.y - p.y) * ky)
        .squareRoot()
}

/// Distance in metres from `p` to the nearest edge of any grid.
func metresToNearestEdge(_ p: Position, grids: [Grid]) -> Double {
    var best = Double.infinity
    for ring in grids.flatMap(\.geometry.rings) {
        let ps = ring.positions
        for k in 0..<(ps.count - 1) { best = min(best, metresFromSegment(p, ps[k], ps[k + 1])) }
    }
    return best
}
