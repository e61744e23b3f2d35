import Foundation
import GeoJSON
import GridworkTestSupport
import Testing
@testable import GridProjection

/// Expected values computed with pyproj 3.7.2 (PROJ 9.5.1), always_xy=True, e.g.
/// `python3 -c 'import pyproj; print(pyproj.Transformer.from_crs(4326, 4549, always_xy=True).transform(119.2815, 29.4747))'`.
/// pyproj gives identical results from EPSG:4490 (PROJ's CGCS2000 → WGS84 operation is a ballpark null shift).
/// (zone EPSG, longitude, latitude, easting, northing)
private let gaussKrugerReference: [(Int, Double, Double, Double, Double)] = [
    (4545, 108.9398, 34.3416, 586475.5545921233, 3801953.6908840113),  // Xi'an
    (4546, 111.2865, 30.6919, 527449.6023234696, 3396851.285547753),  // Yichang
    (4547, 114.3055, 30.5928, 529299.8603174951, 3385869.453411797),  // Wuhan
    (4548, 117.2272, 31.8206, 521510.563725035, 3521982.10903869),  // Hefei
    (4549, 119.2815, 29.4747, 430311.4643255581, 3262099.932207833),  // Jiande
    (4549, 120.1551, 30.2741, 514923.73429044784, 3350508.8698495682),  // Hangzhou
    (4550, 123.4315, 41.8057, 535858.6907534924, 4630145.718107095),  // Shenyang
    (4551, 126.535, 45.8038, 541589.0841981727, 5074417.626673389),  // Harbin
]

/// Inverse direction, same pyproj: `Transformer.from_crs(code, 4326, always_xy=True).transform(e, n)`.
/// (zone EPSG, easting, northing, longitude, latitude)
private let gaussKrugerInverseReference: [(Int, Double, Double, Double, Double)] = [
    (4549, 500000.0, 3300000.0, 119.99999999999999, 29.81855451739542),
    (4549, 420123.456, 3262345.678, 119.17645051622837, 29.476308261147576),
    (4547, 612345.0, 3385000.0, 115.17119404681392, 30.58004631718457),
]

/// 1 mm; 1e-8 degrees is about 1 mm on the ground.
private let millimetre = 1e-3
private let millimetreInDegrees = 1e-8

@Suite struct CoordinateTransformerTests {
    @Test func geographicToGaussKrugerMatchesPyproj() throws {
        for (code, lon, lat, east, north) in gaussKrugerReference {
            for source in [CoordinateReferenceSystem.wgs84, .cgcs2000] {
                let transformer = try CoordinateTransformer(from: source, to: .epsg(code))
                let projected = try transformer.transform(Position(lon, lat))
                expectClose(projected, Position(east, north), tolerance: millimetre, "\(source) → EPSG:\(code)")
            }
        }
    }

    @Test func gaussKrugerToWGS84MatchesPyproj() throws {
        for (code, east, north, lon, lat) in gaussKrugerInverseReference {
            let transformer = try CoordinateTransformer(from: .epsg(code))
            expectClose(try transformer.transform(Position(east, north)), Position(lon, lat),
                        tolerance: millimetreInDegrees, "EPSG:\(code) → WGS84")
        }
        for (code, lon, lat, east, north) in gaussKrugerReference {
            let transformer = try CoordinateTransformer(from: .epsg(code), to: .cgcs2000)
            expectClose(try transformer.transform(Position(east, north)), Position(lon, lat),
                        tolerance: millimetreInDegrees, "EPSG:\(code) → CGCS2000")
        }
    }

    @Test func batchEqualsPointByPoint() throws {
        let transformer = try CoordinateTransformer(from: .wgs84, to: .epsg(4549))
        // 10,000 points around zone 120°E: more than two 4,096-point chunks.
        var rng = SplitMix64(seed: 7)
        let input = (0..<10_000).map { _ in
            Position(Double.random(in: 118.6...121.4, using: &rng), Double.random(in: 27...33, using: &rng))
        }
        var batch = input
        try transformer.transform(&batch)
        for (i, p) in input.enumerated() {
            #expect(try transformer.transform(p) == batch[i])
        }
        let (_, lon, lat, east, north) = gaussKrugerReference[4]
        var one = [Position(lon, lat)]
        try transformer.transform(&one)
        expectClose(one[0], Position(east, north), tolerance: millimetre)
        var empty: [Position] = []
        try transformer.transform(&empty)
        #expect(empty.isEmpty)
    }

    @Test func roundTripWGS84ThroughZone4549() throws {
        let forward = try CoordinateTransformer(from: .wgs84, to: .epsg(4549))
        let back = try CoordinateTransformer(from: .epsg(4549), to: .wgs84)
        var rng = SplitMix64(seed: 4549)
        let input = (0..<2_000).map { _ in
            Position(Double.random(in: 118.5...121.5, using: &rng), Double.random(in: 20...45, using: &rng))
        }
        var positions = input
        try forward.transform(&positions)
        #expect(positions.allSatisfy { $0.x > 300_000 && $0.x < 700_000 })  // eastings, not swapped axes
        try back.transform(&positions)
        for (original, returned) in zip(input, positions) {
            expectClose(returned, original, tolerance: 1e-9)
        }
    }

    @Test func geometryKeepsStructure() throws {
        let transformer = try CoordinateTransformer(from: .wgs84, to: .epsg(4549))
        let ring = LinearRing([Position(119.28, 29.47), Position(119.29, 29.47), Position(119.29, 29.48),
                               Position(119.28, 29.47)])
        let hole = LinearRing([Position(119.284, 29.472), Position(119.286, 29.474), Position(119.286, 29.472),
                               Position(119.284, 29.472)])
        let polygon = Polygon(exterior: ring, holes: [hole])
        let geometry = Geometry.geometryCollection([
            .point(Position(119.2815, 29.4747)),
            .lineString([Position(119.28, 29.47), Position(119.3, 29.5)]),
            .multiPolygon(MultiPolygon([polygon, polygon])),
            .multiLineString([[Position(120, 30)], [Position(120.1, 30.1), Position(120.2, 30.2)]]),
        ])
        let projected = try transformer.transform(geometry)
        guard case .geometryCollection(let members) = projected, members.count == 4,
              case .point(let point) = members[0], case .multiPolygon(let multi) = members[2],
              case .multiLineString(let lines) = members[3] else {
            Issue.record("structure changed: \(projected)")
            return
        }
        expectClose(point, Position(430311.4643255581, 3262099.932207833), tolerance: millimetre)
        #expect(multi.polygons.count == 2 && multi.polygons[1].holes.count == 1)
        #expect(multi.polygons[1].holes[0].positions[1] == (try transformer.transform(hole.positions[1])))
        #expect(multi.polygons[0].exterior.isClosed)
        #expect(lines.map(\.count) == [1, 2])
        #expect(lines[1][1] == (try transformer.transform(Position(120.2, 30.2))))
    }

    @Test func chineseOffsetsComposeWithPROJ() throws {
        let wgs = Position(119.2815, 29.4747)
        let gcj = ChineseOffset.wgs84ToGCJ02(wgs)
        let bd = ChineseOffset.wgs84ToBD09(wgs)
        let zone = Position(430311.4643255581, 3262099.932207833)  // pyproj, see gaussKrugerReference

        expectClose(try CoordinateTransformer(from: .gcj02).transform(gcj), wgs, tolerance: 1e-9)
        expectClose(try CoordinateTransformer(from: .bd09).transform(bd), wgs, tolerance: 1e-9)
        expectClose(try CoordinateTransformer(from: .wgs84, to: .gcj02).transform(wgs), gcj, tolerance: 1e-12)
        expectClose(try CoordinateTransformer(from: .gcj02, to: .epsg(4549)).transform(gcj), zone, tolerance: millimetre)
        expectClose(try CoordinateTransformer(from: .bd09, to: .epsg(4549)).transform(bd), zone, tolerance: millimetre)
        expectClose(try CoordinateTransformer(from: .epsg(4549), to: .gcj02).transform(zone), gcj, tolerance: 1e-9)
        expectClose(try CoordinateTransformer(from: .epsg(4549), to: .bd09).transform(zone), bd, tolerance: 1e-9)
        expectClose(try CoordinateTransformer(from: .gcj02, to: .bd09).transform(gcj), bd, tolerance: 1e-12)
        expectClose(try CoordinateTransformer(from: .bd09, to: .gcj02).transform(bd), gcj, tolerance: 1e-9)
        expectClose(try CoordinateTransformer(from: .cgcs2000, to: .gcj02).transform(wgs), gcj, tolerance: 1e-12)
        #expect(try CoordinateTransformer(from: .gcj02, to: .gcj02).transform(gcj) == gcj)
        #expect(try CoordinateTransformer(from: .epsg(4326), to: .wgs84).transform(wgs) == wgs)
    }

    // MARK: - Errors

    @Test func unknownEPSGFailsWithPROJMessage() {
        #expect {
            try CoordinateTransformer(from: .epsg(999_999), to: .wgs84)
        } throws: { error in
            guard let error = error as? ProjectionError, case .unknownEPSG(999_999, let message) = error else { return false }
            return message.contains("crs not found")
        }
        #expect {
            try CoordinateTransformer(from: .wgs84, to: .epsg(123))
        } throws: { error in
            guard let error = error as? ProjectionError, case .unknownEPSG(123, _) = error else { return false }
            return true
        }
    }

    @Test func nonFiniteInputNamesThePosition() throws {
        let transformer = try CoordinateTransformer(from: .wgs84, to: .epsg(4549))
        var positions = [Position(120, 30), Position(120.1, 30.1), Position(.nan, 30), Position(120, 30)]
        #expect {
            try transformer.transform(&positions)
        } throws: { error in
            guard let error = error as? ProjectionError, case .nonFiniteCoordinate(let index, let p) = error else {
                return false
            }
            return index == 2 && p.x.isNaN && p.y == 30 && error.description.contains("position #2")
        }
        #expect(throws: ProjectionError.nonFiniteCoordinate(index: 0, position: Position(120, .infinity))) {
            try transformer.transform(Position(120, .infinity))
        }
        // GCJ-02 input is checked before the offset is applied.
        #expect(throws: ProjectionError.self) { try CoordinateTransformer(from: .gcj02).transform(Position(.nan, 30)) }
    }

    @Test func transformFailureCarriesPROJMessageAndIndex() throws {
        let transformer = try CoordinateTransformer(from: .epsg(4549), to: .wgs84)
        // An easting of 1e10 m is outside the transverse Mercator's domain.
        var positions = randomChinaPoints(count: 5_000, seed: 1).map { _ in Position(500_000, 3_300_000) }
        positions[4_500] = Position(1e10, 0)
        let expectedError = "Point outside of projection domain"
        #expect {
            try transformer.transform(&positions)
        } throws: { error in
            guard let error = error as? ProjectionError,
                  case .pointFailed(let index, let p, let from, let to, let message) = error else { return false }
            return index == 4_500 && p == Position(1e10, 0) && from == .epsg(4549) && to == .wgs84
                && message.contains(expectedError)
                && error.description.contains("position #4500 (10000000000.0, 0.0) from EPSG:4549 to EPSG:4326")
        }
        // The transformer is still usable after a failure, and the failure does not leak into the next call.
        let (_, lon, lat, east, north) = gaussKrugerReference[5]
        expectClose(try transformer.transform(Position(east, north)), Position(lon, lat), tolerance: millimetreInDegrees)
        #expect {
            try transformer.transform(Position(1e10, 0))
        } throws: { error in
            guard let error = error as? ProjectionError, case .pointFailed(0, _, _, _, let message) = error else {
                return false
            }
            return message.contains(expectedError)
        }
        #expect {
            try transformer.transform(Geometry.lineString([Position(500_000, 3_300_000), Position(1e10, 0)]))
        } throws: { error in
            guard let error = error as? ProjectionError, case .pointFailed(1, _, _, _, _) = error else { return false }
            return true
        }
    }

    // MARK: - Resources and threads

    @Test(.residentMemoryMeasurable) func manyTransformersAreFreed() throws {
        let point = Position(430311.4643255581, 3262099.932207833)
        func churn(_ count: Int) throws {
            for i in 0..<count {
                let transformer = try CoordinateTransformer(from: .epsg(4549), to: i % 2 == 0 ? .wgs84 : .gcj02)
                var batch = [point, point]
                try transformer.transform(&batch)  // allocates the scratch buffer too
                #expect(batch[0].x > 119 && batch[0].x < 120)
            }
        }
        try churn(500)  // warm up PROJ's caches and the allocator
        let before = try ResidentMemory.bytes()
        try churn(10_000)
        let after = try ResidentMemory.bytes()
        // A leaked context + PJ + 64 KiB scratch buffer would cost well over 1 GiB for 10,000 transformers.
        #expect(after - before < 64 << 20, "resident memory grew by \((after - before) >> 20) MiB")
    }

    @Test func oneTransformerPerThread() throws {
        let input = randomChinaPoints(count: 20_000, seed: 99).map { Position(118.6 + ($0.x - 73.7) / 61 * 2.8, $0.y) }
        var reference = input
        try CoordinateTransformer(from: .gcj02, to: .epsg(4549)).transform(&reference)
        let expected = reference

        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var mismatches = 0
            var errors: [String] = []
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do {
                let transformer = try CoordinateTransformer(from: .gcj02, to: .epsg(4549))  // this thread's own
                for _ in 0..<3 {
                    var positions = input
                    try transformer.transform(&positions)
                    let bad = zip(positions, expected).filter { $0 != $1 }.count
                    results.lock.withLock { results.mismatches += bad }
                }
            } catch {
                results.lock.withLock { results.errors.append("\(error)") }
            }
        }
        #expect(results.errors.isEmpty)
        #expect(results.mismatches == 0)
    }
}

@Suite struct OperationCacheTests {
    @Test func singleCandidatePairsReuseThePipeline() throws {
        // Zone 4550 → CGCS2000 is used by no other test, so the first creation here does the database search
        // (unless another test in this process raced ahead, which does not change what is checked).
        let (_, lon, lat, east, north) = gaussKrugerReference[6]
        let first = try CoordinateTransformer(from: .epsg(4550), to: .cgcs2000)
        guard case .pipeline(let pipeline)? = OperationCache.shared.entry(source: 4550, target: 4490) else {
            Issue.record("EPSG:4550 → EPSG:4490 was not cached: \(String(describing: OperationCache.shared.entry(source: 4550, target: 4490)))")
            return
        }
        #expect(pipeline.contains("+proj=tmerc") && pipeline.contains("+lon_0=123"), "\(pipeline)")
        let second = try CoordinateTransformer(from: .epsg(4550), to: .cgcs2000)
        let fromFirst = try first.transform(Position(east, north))
        #expect(try second.transform(Position(east, north)) == fromFirst)
        expectClose(fromFirst, Position(lon, lat), tolerance: millimetreInDegrees)
    }

    @Test func multiCandidatePairsAreNotCached() throws {
        // Beijing 1954 → WGS84 has 7 candidate operations in PROJ (projinfo -s EPSG:4214 -t EPSG:4326
        // --spatial-test intersects), chosen per point by area of use: no single pipeline can stand for it.
        let ordos = Position(108.5, 38.5)
        let first = try CoordinateTransformer(from: .epsg(4214), to: .wgs84)
        #expect(OperationCache.shared.entry(source: 4214, target: 4326) == .uncacheable)
        let second = try CoordinateTransformer(from: .epsg(4214), to: .wgs84)
        let shifted = try first.transform(ordos)
        #expect(try second.transform(ordos) == shifted)
        let metres = Geodesic.distance(ordos, shifted)
        #expect(metres > 1 && metres < 300, "Beijing 1954 → WGS84 shift \(metres) m")
    }
}
