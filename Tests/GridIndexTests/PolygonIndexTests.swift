import GeoJSON
@testable import GridIndex
import GridworkTestSupport
import Testing

@Suite struct PolygonIndexTests {
    func compare(_ index: PolygonIndex, _ features: [(id: Int32, geometry: Geometry)], _ points: [Position],
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) -> (covered: Int, boundary: Int, multiple: Int)
    {
        var hits = [CoverHit]()
        var mismatches = 0
        var stats = (covered: 0, boundary: 0, multiple: 0)
        for p in points {
            let expected = bruteForceCovers(features, p)
            let summary = index.coveringPolygons(of: p, into: &hits)
            let fast = index.coveringPolygons(of: p)
            if hits != expected || fast != summary {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record("point (\(p.x), \(p.y)): index \(hits) / \(fast), brute force \(expected)",
                                 sourceLocation: sourceLocation)
                }
            }
            if !expected.isEmpty { stats.covered += 1 }
            if expected.contains(where: \.onBoundary) { stats.boundary += 1 }
            if expected.count > 1 { stats.multiple += 1 }
        }
        #expect(mismatches == 0, "\(mismatches) of \(points.count) points disagree", sourceLocation: sourceLocation)
        return stats
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func seededCountyMatchesBruteForce(seed: UInt64) throws {
        let county = TestCounty(seed: seed, n: 12, subdivisions: 2)
        let index = try PolygonIndex(features: county.features)
        let points = county.points(seed: seed &+ 100, uniform: 20_000)
        let stats = compare(index, county.features, points)
        // The sample must reach every case it is meant to test.
        #expect(stats.boundary > 2_000, "boundary points: \(stats.boundary)")
        #expect(stats.multiple > 2_000, "points covered by several polygons: \(stats.multiple)")
        #expect(stats.covered < points.count, "some points must fall in the gap or outside")
    }

    @Test(arguments: [PolygonIndex.Options(cellsPerEdge: 0.05), PolygonIndex.Options(cellsPerEdge: 8),
                      PolygonIndex.Options(cellSize: 0.0007)])
    func cellSizeDoesNotChangeAnswers(options: PolygonIndex.Options) throws {
        let county = TestCounty(seed: 11, n: 8, subdivisions: 3)
        let index = try PolygonIndex(features: county.features, options: options)
        _ = compare(index, county.features, county.points(seed: 12, uniform: 5_000))
    }

    /// Axis-aligned lattices put many query paths exactly through vertices and along edges; the
    /// fallback path (q on an edge) must run and agree.
    @Test func axisAlignedLatticeExercisesTheFallback() throws {
        let county = TestCounty(seed: 5, n: 10, spacing: 0.0625, subdivisions: 1, extras: true, axisAligned: true)
        let index = try PolygonIndex(features: county.features, options: .init(cellsPerEdge: 0.5))
        var points = county.points(seed: 6, uniform: 5_000)
        // Points sharing an x with a vertex, over the whole height: their vertical leg runs along edges.
        var rng = SplitMix64(seed: 8)
        let box = county.bounds
        for i in 0...10 {
            for _ in 0..<200 {
                points.append(Position(county.origin.x + Double(i) * 0.0625,
                                       TestCounty.quantize(Double.random(in: box.minY...box.maxY, using: &rng))))
            }
        }
        _ = compare(index, county.features, points)
        let fallbacks = points.filter { index.answer($0.x, $0.y)?.needsFallback == true }.count
        #expect(fallbacks > 0, "the sample should reach the fallback path at least once")
    }

    /// A smaller sample against a brute force that uses big-integer orientation only.
    @Test func bigIntegerBruteForceAgrees() throws {
        let county = TestCounty(seed: 21, n: 5, subdivisions: 1)
        let index = try PolygonIndex(features: county.features)
        var hits = [CoverHit]()
        for p in county.points(seed: 22, uniform: 500) {
            index.coveringPolygons(of: p, into: &hits)
            let expected = bruteForceCovers(county.features, p, orient: rationalOrient)
            #expect(hits == expected, "point (\(p.x), \(p.y))")
        }
    }

    @Test func sharedEdgeAndVertexAreCoveredByAllNeighbours() throws {
        func square(_ x: Double, _ y: Double) -> Geometry {
            .polygon(Polygon(exterior: LinearRing([
                Position(x, y), Position(x + 1, y), Position(x + 1, y + 1), Position(x, y + 1), Position(x, y),
            ])))
        }
        let index = try PolygonIndex(features: [(id: 7, geometry: square(0, 0)), (id: 8, geometry: square(1, 0)),
                                                (id: 9, geometry: square(0, 1)), (id: 10, geometry: square(1, 1))])
        #expect(index.coveringPolygons(of: Position(0.5, 0.5)) == .one(id: 7, onBoundary: false))
        #expect(index.coveringPolygons(of: Position(1, 0.5)) == .many(firstID: 7, count: 2, onBoundary: true))
        #expect(index.coveringPolygons(of: Position(1, 1)) == .many(firstID: 7, count: 4, onBoundary: true))
        #expect(index.coveringPolygons(of: Position(0, 0)) == .one(id: 7, onBoundary: true))
        #expect(index.coveringPolygons(of: Position(2, 2)) == .one(id: 10, onBoundary: true))
        #expect(index.coveringPolygons(of: Position(2.0.nextUp, 2)) == .none)
        #expect(index.coveringPolygons(of: Position(-1, 0.5)) == .none)
        #expect(index.coveringPolygons(of: Position(.nan, 0.5)) == .none)
        var hits = [CoverHit]()
        index.coveringPolygons(of: Position(1, 2), into: &hits)
        #expect(hits == [CoverHit(id: 9, onBoundary: true), CoverHit(id: 10, onBoundary: true)])
        #expect(index.location(of: Position(1.5, 1.5), inPolygonWithID: 10) == .interior)
        #expect(index.location(of: Position(1.5, 1.5), inPolygonWithID: 7) == .exterior)
        #expect(index.location(of: Position(1.5, 1.5), inPolygonWithID: 99) == nil)
    }

    @Test func batchAndConcurrentLocateMatchSingleQueries() throws {
        let county = TestCounty(seed: 31, n: 10, subdivisions: 2)
        let index = try PolygonIndex(features: county.features)
        let points = county.points(seed: 32, uniform: 100_000)
        let xs = points.map(\.x), ys = points.map(\.y)
        var serialIDs = [Int32](repeating: 0, count: points.count), serialFlags = [UInt8](repeating: 9, count: points.count)
        var parallelIDs = serialIDs, parallelFlags = serialFlags
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeBufferPointer { y in
                serialIDs.withUnsafeMutableBufferPointer { ids in
                    serialFlags.withUnsafeMutableBufferPointer { flags in
                        index.locate(xs: x, ys: y, into: ids, flags: flags)
                    }
                }
                parallelIDs.withUnsafeMutableBufferPointer { ids in
                    parallelFlags.withUnsafeMutableBufferPointer { flags in
                        index.locateConcurrently(xs: x, ys: y, into: ids, flags: flags, chunkSize: 4096)
                    }
                }
            }
        }
        #expect(serialIDs == parallelIDs)
        #expect(serialFlags == parallelFlags)
        var bad = 0
        for (k, p) in points.enumerated() {
            let r = index.coveringPolygons(of: p)
            let flags = (r.onBoundary ? LocateFlags.onBoundary : 0) | (r.count > 1 ? LocateFlags.multiple : 0)
            if serialIDs[k] != (r.firstID ?? -1) || serialFlags[k] != flags { bad += 1 }
        }
        #expect(bad == 0)
    }

    @Test func nearestPolygonSnapsWithinDistance() throws {
        let ring = LinearRing([Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)])
        let other = LinearRing([Position(20, 0), Position(30, 0), Position(30, 10), Position(20, 10), Position(20, 0)])
        let index = try PolygonIndex(features: [(id: 1, geometry: .polygon(Polygon(exterior: ring))),
                                                (id: 2, geometry: .polygon(Polygon(exterior: other)))],
                                     options: .init(cellSize: 1))
        #expect(index.nearestPolygon(to: Position(5, 5), within: 1)! == (id: 1, distance: 0))
        let snapped = try #require(index.nearestPolygon(to: Position(12, 5), within: 3))
        #expect(snapped.id == 1 && abs(snapped.distance - 2) < 1e-12)
        let right = try #require(index.nearestPolygon(to: Position(19, 5), within: 3))
        #expect(right.id == 2 && abs(right.distance - 1) < 1e-12)
        let tie = try #require(index.nearestPolygon(to: Position(15, 5), within: 6))
        #expect(tie.id == 1 && abs(tie.distance - 5) < 1e-12, "ties go to the first polygon")
        #expect(index.nearestPolygon(to: Position(15, 5), within: 4.9) == nil)
        #expect(index.nearestPolygon(to: Position(-3, -4), within: 5.0000001)?.id == 1)
        #expect(index.nearestPolygon(to: Position(100, 100), within: 5) == nil)
    }

    @Test func rejectsBadInputWithClearErrors() {
        #expect(throws: PolygonIndexError.notPolygonal(featureIndex: 0, id: 3, type: "LineString")) {
            try PolygonIndex(features: [(id: Int32(3), geometry: .lineString([Position(0, 0), Position(1, 1)]))])
        }
        #expect(throws: PolygonIndexError.ringTooShort(featureIndex: 0, id: 4, part: 0, ring: 0, count: 3)) {
            try PolygonIndex(features: [(id: Int32(4), geometry: .polygon(Polygon(exterior: LinearRing(
                [Position(0, 0), Position(1, 1), Position(0, 0)]))))])
        }
        do {
            _ = try PolygonIndex(features: [(id: Int32(5), geometry: .polygon(Polygon(exterior: LinearRing(
                [Position(0, 0), Position(.infinity, 1), Position(1, 0), Position(0, 0)]))))])
            Issue.record("an infinite coordinate must be rejected")
        } catch {
            #expect(error.description.contains("position 1"))
        }
        #expect(throws: PolygonIndexError.idOutOfRange(featureIndex: 0, id: Int(Int32.max) + 1)) {
            try PolygonIndex(features: [(id: Int(Int32.max) + 1, geometry: .multiPolygon(MultiPolygon([])))])
        }
    }

    @Test func unclosedRingsAreClosedAndEmptyIndexAnswersNone() throws {
        let open = Polygon(exterior: LinearRing([Position(0, 0), Position(4, 0), Position(0, 4)]))
        let index = try PolygonIndex(geometries: [.polygon(open)])
        #expect(index.coveringPolygons(of: Position(1, 1)) == .one(id: 0, onBoundary: false))
        #expect(index.coveringPolygons(of: Position(0, 2)) == .one(id: 0, onBoundary: true))
        let empty = try PolygonIndex(geometries: [.multiPolygon(MultiPolygon([]))])
        #expect(empty.coveringPolygons(of: Position(0, 0)) == .none)
        #expect(empty.bounds == nil)
    }
}
