import GeoJSON
import Testing
@testable import GridProjection

/// UTM zones (WGS 84 / UTM zone 50N and 51N), as survey contractors sometimes deliver.
/// Expected values from pyproj 3.7 (PROJ 9.5):
/// `pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True).transform(119.3, 29.5)`.
@Suite struct UTMTests {
    @Test(arguments: [
        (32650, Position(119.3, 29.5), Position(722_964.3146, 3_265_587.8374)),
        (32651, Position(121.47, 31.23), Position(354_280.6043, 3_456_101.0654)),
    ])
    func lonLatToUTMMatchesPyprojToAMillimetre(epsg: Int, lonLat: Position, expected: Position) throws {
        let forward = try CoordinateTransformer(from: .wgs84, to: .epsg(epsg))
        let projected = try forward.transform(lonLat)
        #expect(abs(projected.x - expected.x) < 0.001)
        #expect(abs(projected.y - expected.y) < 0.001)
        let back = try CoordinateTransformer(from: .epsg(epsg), to: .wgs84).transform(expected)
        #expect(abs(back.x - lonLat.x) < 1e-8 && abs(back.y - lonLat.y) < 1e-8)
    }
}
