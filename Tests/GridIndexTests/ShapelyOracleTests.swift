import Foundation
import GeoJSON
import GridIndex
import GridworkTestSupport
import Testing

/// Every answer of the index against shapely's GEOS `covered_by` / `touches`.
@Suite(.requiresPython("shapely", "numpy"))
struct ShapelyOracleTests {
    @Test(arguments: [UInt64(4), 5])
    func indexAgreesWithShapely(seed: UInt64) throws {
        let county = TestCounty(seed: seed, n: 12, subdivisions: 2)
        let index = try PolygonIndex(features: county.features)
        let points = county.points(seed: seed &+ 1, uniform: 20_000)
        let oracle = try ShapelyOracle.evaluate(county.features, points).hits
        var hits = [CoverHit]()
        var mismatches = 0
        var boundary = 0
        for (k, p) in points.enumerated() {
            index.coveringPolygons(of: p, into: &hits)
            if hits.contains(where: \.onBoundary) { boundary += 1 }
            if hits != oracle[k] {
                mismatches += 1
                if mismatches <= 10 { Issue.record("point (\(p.x), \(p.y)): index \(hits), shapely \(oracle[k])") }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(points.count) points disagree with shapely")
        #expect(boundary > 2_000, "the sample must hold many boundary points; got \(boundary)")
    }
}

/// Throughput figures; run with `GRIDWORK_BENCH=1` (see tools/bench-index.sh for a release build).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["GRIDWORK_BENCH"] == "1",
                "set GRIDWORK_BENCH=1 to measure throughput"))
struct PolygonIndexBenchmark {
    @Test func throughputOn705GridsAndOneMillionPoints() throws {
        // 27 × 27 lattice minus extras ≈ 729 grids; trim to 705 like Jiande. 8 vertices per side.
        var county = TestCounty(seed: 2024, n: 27, spacing: 0.01, subdivisions: 8)
        county.features = Array(county.features.prefix(705))
        let edges = county.features.reduce(0) { sum, f in
            sum + f.geometry.polygons.reduce(0) { $0 + $1.rings.reduce(0) { $0 + $1.positions.count - 1 } }
        }
        let clock = ContinuousClock()
        var index: PolygonIndex!
        let build = try clock.measure { index = try PolygonIndex(features: county.features) }
        var rng = SplitMix64(seed: 77)
        let box = county.bounds
        let n = 1_000_000
        var xs = [Double](), ys = [Double]()
        for _ in 0..<n {
            xs.append(Double.random(in: box.minX...box.maxX, using: &rng))
            ys.append(Double.random(in: box.minY...box.maxY, using: &rng))
        }
        var ids = [Int32](repeating: 0, count: n), flags = [UInt8](repeating: 0, count: n)
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var serial = Double.infinity, parallel = Double.infinity
        for _ in 0..<3 {
            xs.withUnsafeBufferPointer { x in
                ys.withUnsafeBufferPointer { y in
                    ids.withUnsafeMutableBufferPointer { i in
                        flags.withUnsafeMutableBufferPointer { f in
                            serial = min(serial, seconds(clock.measure { index.locate(xs: x, ys: y, into: i, flags: f) }))
                            parallel = min(parallel, seconds(clock.measure {
                                index.locateConcurrently(xs: x, ys: y, into: i, flags: f)
                            }))
                        }
                    }
                }
            }
        }
        let covered = ids.filter { $0 >= 0 }.count
        #expect(covered > n / 2)
        print("""
        PolygonIndex benchmark: \(county.features.count) polygons, \(edges) edges, \
        grid \(index.gridShape.columns)×\(index.gridShape.rows), \(index.entryCount) entries, build \(build)
          serial   \(String(format: "%.1f", Double(n) / serial / 1e6)) M points/s
          parallel \(String(format: "%.1f", Double(n) / parallel / 1e6)) M points/s (\(ProcessInfo.processInfo.activeProcessorCount) cores)
        """)
        if Python.canImport(ShapelyOracle.modules) {
            let points = (0..<n).map { Position(xs[$0], ys[$0]) }
            let shapely = try ShapelyOracle.evaluate(county.features, points, bench: true).seconds
            print("""
              shapely STRtree.query(predicate='covered_by') \(String(format: "%.2f", Double(n) / shapely / 1e6)) M points/s; \
            serial index is \(String(format: "%.0f", shapely / serial))× faster
            """)
        }
    }
}
