import GeoJSON
import GridIndex
import GridworkTestSupport
import Testing

@Suite struct ExactPredicatesTests {
    @Test func rationalOracleKnowsTheBasics() {
        #expect(rationalOrient(Position(0, 0), Position(1, 0), Position(0, 1)) == 1)
        #expect(rationalOrient(Position(0, 0), Position(1, 0), Position(0, -1)) == -1)
        #expect(rationalOrient(Position(0, 0), Position(2, 2), Position(1, 1)) == 0)
        #expect(rationalOrient(Position(-1e-3, 5), Position(1e10, -3), Position(0.5, 0.25))
            == (((-1e-3 - 0.5) * (-3 - 0.25) - (5 - 0.25) * (1e10 - 0.5)) > 0 ? 1 : -1))
    }

    /// Shewchuk's classic picture: points within a few ulps of the line through (12, 12), (24, 24).
    /// Naive evaluation gets many of these wrong; the adaptive test must get all of them right.
    @Test func ulpGridAroundTheDiagonal() {
        let b = Position(12, 12), c = Position(24, 24)
        let ulp = 0.5.ulp
        var naiveWrong = 0
        var zeros = 0
        for i in 0..<64 {
            for j in 0..<64 {
                let a = Position(0.5 + Double(i) * ulp, 0.5 + Double(j) * ulp)
                let exact = rationalOrient(a, b, c)
                #expect(ExactPredicates.orient2d(a, b, c) == exact, "a = (\(a.x), \(a.y))")
                #expect(ExactPredicates.orient2dExact(a.x, a.y, b.x, b.y, c.x, c.y) == exact)
                let naive = (a.x - c.x) * (b.y - c.y) - (a.y - c.y) * (b.x - c.x)
                if (naive > 0 ? 1 : (naive < 0 ? -1 : 0)) != exact { naiveWrong += 1 }
                if exact == 0 { zeros += 1 }
            }
        }
        #expect(naiveWrong > 100, "the grid should defeat naive evaluation; got \(naiveWrong) naive errors")
        #expect(zeros == 64, "exactly the diagonal i == j is collinear; got \(zeros)")
    }

    /// Random lon/lat-sized segments, and points on, or within a few ulps of, the segment.
    @Test func nearCollinearGeographicPoints() {
        var rng = SplitMix64(seed: 42)
        var decidedByExactPath = 0
        for _ in 0..<20_000 {
            let a = Position(Double.random(in: 118...122, using: &rng), Double.random(in: 28...31, using: &rng))
            let b = Position(a.x + Double.random(in: -0.02...0.02, using: &rng),
                             a.y + Double.random(in: -0.02...0.02, using: &rng))
            let t = Double.random(in: -0.5...1.5, using: &rng)
            var c = Position(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
            let nudge = Int.random(in: -3...3, using: &rng)
            for _ in 0..<abs(nudge) { c.y = nudge > 0 ? c.y.nextUp : c.y.nextDown }
            let exact = rationalOrient(a, b, c)
            #expect(ExactPredicates.orient2d(a, b, c) == exact, "a=\(a) b=\(b) c=\(c)")
            #expect(ExactPredicates.orient2d(b, a, c) == -exact)
            #expect(ExactPredicates.orient2d(c, a, b) == exact, "cyclic permutation keeps the sign")
            if ExactPredicates.orient2dExact(a.x, a.y, b.x, b.y, c.x, c.y) != exact {
                Issue.record("exact path disagrees at a=\(a) b=\(b) c=\(c)")
            }
            let naive = (a.x - c.x) * (b.y - c.y) - (a.y - c.y) * (b.x - c.x)
            if abs(naive) <= 1e-15 { decidedByExactPath += 1 }
        }
        #expect(decidedByExactPath > 1_000, "the sample must exercise the exact stage; got \(decidedByExactPath)")
    }

    /// Collinear points whose coordinates are exact dyadic midpoints are reported as collinear,
    /// and as on the segment.
    @Test func exactMidpointsAreOnTheSegment() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            func q(_ v: Double) -> Double { (v * 0x1p30).rounded() / 0x1p30 }
            let a = Position(q(Double.random(in: 119...121, using: &rng)), q(Double.random(in: 29...31, using: &rng)))
            let b = Position(q(a.x + Double.random(in: -0.1...0.1, using: &rng)),
                             q(a.y + Double.random(in: -0.1...0.1, using: &rng)))
            let m = Position((a.x + b.x) / 2, (a.y + b.y) / 2)
            #expect(rationalOrient(a, b, m) == 0)
            #expect(ExactPredicates.orient2d(a, b, m) == 0)
            #expect(ExactPredicates.isOnSegment(m, a, b))
            let off = Position(m.x.nextUp, m.y)
            #expect(ExactPredicates.orient2d(a, b, off) == rationalOrient(a, b, off))
            if b.y != a.y { #expect(!ExactPredicates.isOnSegment(off, a, b)) }
        }
    }

    @Test func largeAndSmallMagnitudes() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<5_000 {
            let scale = [1e-100, 1e-20, 1.0, 3e5, 1e40, 1e120][Int.random(in: 0..<6, using: &rng)]
            let a = Position(Double.random(in: -1...1, using: &rng) * scale, Double.random(in: -1...1, using: &rng) * scale)
            let b = Position(Double.random(in: -1...1, using: &rng) * scale, Double.random(in: -1...1, using: &rng) * scale)
            let t = Double.random(in: 0...1, using: &rng)
            let c = Position(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
            #expect(ExactPredicates.orient2d(a, b, c) == rationalOrient(a, b, c), "a=\(a) b=\(b) c=\(c)")
        }
    }
}
