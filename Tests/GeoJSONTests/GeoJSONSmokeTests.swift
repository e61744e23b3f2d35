import Testing
@testable import GeoJSON

@Suite struct LinearRingTests {
    @Test func windingOfUnitSquare() {
        let ccw = LinearRing([Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 1), Position(0, 0)])
        #expect(ccw.isCounterClockwise)
        #expect(ccw.signedArea2 == 2)
        #expect(!ccw.reversed.isCounterClockwise)
        #expect(ccw.isClosed)
    }
}
