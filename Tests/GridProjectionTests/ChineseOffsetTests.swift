import GeoJSON
import GridworkTestSupport
import Testing
@testable import GridProjection

@Suite struct ChineseOffsetTests {
    /// Test vectors of googollee/eviltransform (its tests: wgsLat, wgsLng, gcjLat, gcjLng), which
    /// implements the same published GCJ-02 algorithm. Stored here as (lon, lat) pairs.
    static let eviltransformVectors: [(wgs: Position, gcj: Position)] = [
        (Position(121.5272106, 31.1774276), Position(121.531541859215, 31.17530398364597)),  // Shanghai
        (Position(113.912316, 22.543847), Position(113.9171764808363, 22.540796131694766)),  // Shenzhen
        (Position(116.377817, 39.911954), Position(116.38404722455657, 39.91334545536069)),  // Beijing
    ]

    @Test func publishedGCJ02Vectors() {
        for (wgs, gcj) in Self.eviltransformVectors {
            expectClose(ChineseOffset.wgs84ToGCJ02(wgs), gcj, tolerance: 1e-12, "forward")
            expectClose(ChineseOffset.gcj02ToWGS84(gcj), wgs, tolerance: 1e-9, "inverse")
        }
    }

    @Test func gcj02InverseIsExactOverChina() {
        var worst = 0.0
        var worstOneStep = 0.0
        for p in randomChinaPoints(count: 100_000, seed: 2024) {
            let gcj = ChineseOffset.wgs84ToGCJ02(p)
            let back = ChineseOffset.gcj02ToWGS84(gcj)
            worst = max(worst, abs(back.x - p.x), abs(back.y - p.y))
            // The usual one-step approximation, for comparison: gcj − (offset at gcj).
            let shifted = ChineseOffset.wgs84ToGCJ02(gcj)
            let oneStep = Position(2 * gcj.x - shifted.x, 2 * gcj.y - shifted.y)
            worstOneStep = max(worstOneStep, abs(oneStep.x - p.x), abs(oneStep.y - p.y))
        }
        #expect(worst < 1e-11, "iterative inverse error \(worst)°")  // required: < 1e-9°
        #expect(worstOneStep > 1e-6, "one-step error \(worstOneStep)° should be far worse (metres)")
    }

    @Test func offsetsAre100To700MetresInChina() {
        // Across eastern and central China, where most counties are, the offset is 100–700 m.
        var rng = SplitMix64(seed: 5)
        var smallest = Double.infinity
        var largest = 0.0
        for _ in 0..<20_000 {
            let p = Position(Double.random(in: 102...125, using: &rng), Double.random(in: 20...42, using: &rng))
            let metres = Geodesic.distance(p, ChineseOffset.wgs84ToGCJ02(p))
            smallest = min(smallest, metres)
            largest = max(largest, metres)
        }
        #expect(smallest > 100 && largest < 700, "offsets range \(smallest)…\(largest) m")
        // Over the whole country the series stays under about 710 m (it dips to ~20 m in Qinghai, near 96.6°E 37°N).
        let countryWide = randomChinaPoints(count: 20_000, seed: 6).map { Geodesic.distance($0, ChineseOffset.wgs84ToGCJ02($0)) }
        #expect(countryWide.max()! < 710 && countryWide.min()! > 10)
        // Jiande, a reference county: the offset is a few hundred metres, enough to change grid.
        let jiande = Position(119.2815, 29.4747)
        let offset = Geodesic.distance(jiande, ChineseOffset.wgs84ToGCJ02(jiande))
        #expect(offset > 300 && offset < 700, "offset at Jiande \(offset) m")
    }

    @Test func identityOutsideChina() {
        let outside = [Position(2.3522, 48.8566), Position(139.6917, 35.6895), Position(100, 60), Position(100, 0.5),
                       Position(-74.006, 40.7128), Position(72.0, 30)]
        for p in outside {
            #expect(ChineseOffset.isOutsideChina(p))
            #expect(ChineseOffset.wgs84ToGCJ02(p) == p)
            #expect(ChineseOffset.gcj02ToWGS84(p) == p)
        }
        #expect(!ChineseOffset.isOutsideChina(Position(119.2815, 29.4747)))
    }

    @Test func bd09RoundTrips() {
        var worst = 0.0
        for p in randomChinaPoints(count: 50_000, seed: 9) {
            let bd = ChineseOffset.gcj02ToBD09(p)
            let back = ChineseOffset.bd09ToGCJ02(bd)
            worst = max(worst, abs(back.x - p.x), abs(back.y - p.y))
            let viaWGS = ChineseOffset.bd09ToWGS84(ChineseOffset.wgs84ToBD09(p))
            worst = max(worst, abs(viaWGS.x - p.x), abs(viaWGS.y - p.y))
            #expect(ChineseOffset.wgs84ToBD09(p) == ChineseOffset.gcj02ToBD09(ChineseOffset.wgs84ToGCJ02(p)))
        }
        #expect(worst < 1e-9, "BD-09 round-trip error \(worst)°")
    }

    @Test func bd09ShiftFromGCJ02() {
        // BD-09 adds roughly +0.0065° longitude and +0.006° latitude to GCJ-02 (plus a small twist).
        let gcj = Position(120.16, 30.28)
        let bd = ChineseOffset.gcj02ToBD09(gcj)
        #expect(abs(bd.x - gcj.x - 0.0065) < 0.0005 && abs(bd.y - gcj.y - 0.006) < 0.0005, "\(bd)")
        let metres = Geodesic.distance(gcj, bd)
        #expect(metres > 600 && metres < 1_100, "BD-09 − GCJ-02 = \(metres) m")
    }
}
