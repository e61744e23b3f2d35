import GeoJSON
import Testing
@testable import GridProjection

/// Expected values from pyproj 3.7.2, `pyproj.Geod(ellps="WGS84")`:
/// `polygon_area_perimeter`, `inv`, and `geometry_area_perimeter` of a shapely Polygon with a hole.
@Suite struct GeodesicTests {
    private static func square(_ lon: Double, _ lat: Double, _ size: Double) -> LinearRing {
        LinearRing([Position(lon, lat), Position(lon + size, lat), Position(lon + size, lat + size),
                    Position(lon, lat + size), Position(lon, lat)])
    }

    @Test func cellAt30North() {
        // g.polygon_area_perimeter([120, 120.01, 120.01, 120], [30, 30, 30.01, 30.01])
        let expectedArea = 1069521.1739587784
        let expectedPerimeter = 4146.679388054826
        let cell = Polygon(exterior: Self.square(120, 30, 0.01))
        #expect(abs(Geodesic.area(of: cell) / expectedArea - 1) < 1e-6)
        #expect(abs(Geodesic.perimeter(of: cell) / expectedPerimeter - 1) < 1e-6)
        // Orientation does not matter; the closing position is optional.
        let clockwise = Polygon(exterior: Self.square(120, 30, 0.01).reversed)
        #expect(abs(Geodesic.area(of: clockwise) / expectedArea - 1) < 1e-6)
        let open = Polygon(exterior: LinearRing(Array(Self.square(120, 30, 0.01).positions.dropLast())))
        #expect(abs(Geodesic.area(of: open) / expectedArea - 1) < 1e-6)
    }

    @Test func holesAreSubtracted() {
        // geometry_area_perimeter(Polygon(square(120, 30, 0.02), [square(120.005, 30.005, 0.005)]))
        let expectedArea = 4010499.72870636
        let expectedPerimeter = 8293.168581580514
        let polygon = Polygon(exterior: Self.square(120, 30, 0.02), holes: [Self.square(120.005, 30.005, 0.005)])
        #expect(abs(Geodesic.area(of: polygon) / expectedArea - 1) < 1e-6)
        #expect(abs(Geodesic.perimeter(of: polygon) / expectedPerimeter - 1) < 1e-6)  // exterior only, as pyproj
        let geometry = Geometry.geometryCollection([
            .multiPolygon(MultiPolygon([polygon, Polygon(exterior: Self.square(120, 30, 0.01))])),
            .point(Position(120, 30)),
        ])
        #expect(abs(Geodesic.area(of: geometry) / (expectedArea + 1069521.1739587784) - 1) < 1e-6)
        #expect(Geodesic.area(of: .lineString([Position(120, 30), Position(121, 31)])) == 0)
    }

    @Test func distances() {
        // g.inv(120, 30, 121, 31)[2] and g.inv(116.391, 39.907, 121.4737, 31.2304)[2] (Beijing → Shanghai)
        #expect(abs(Geodesic.distance(Position(120, 30), Position(121, 31)) - 146647.19941935272) < 1e-6)
        #expect(abs(Geodesic.distance(Position(116.391, 39.907), Position(121.4737, 31.2304)) - 1066761.336093788) < 1e-6)
        #expect(Geodesic.distance(Position(120, 30), Position(120, 30)) == 0)
        #expect(abs(Geodesic.length(of: [Position(120, 30), Position(121, 31), Position(120, 30)]) - 2 * 146647.19941935272) < 1e-5)
    }
}

@Suite struct GaussKrugerTests {
    @Test func zoneCodes() {
        // Central meridians checked with pyproj: CRS.from_epsg(4534) is "3-degree Gauss-Kruger CM 75E",
        // 4549 "CM 120E", 4554 "CM 135E" (+lon_0 = 75 + 3 × (code − 4534)).
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 75) == 4534)
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 119.2815) == 4549)  // Jiande
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 118.6) == 4549)
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 118.4) == 4548)
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 121.4) == 4549)
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 121.5) == 4550)  // zone edge goes east
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 108.9398) == 4545)  // Xi'an
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 126.535) == 4551)  // Harbin
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 135) == 4554)
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 60) == 4534)  // clamped
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: 150) == 4554)  // clamped
        #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: .nan) == 4534)
        for code in GaussKruger.cgcs2000ZoneEPSGRange {
            let cm = GaussKruger.centralMeridian(ofCGCS2000ZoneEPSG: code)!
            #expect(GaussKruger.cgcs2000ZoneEPSG(forLongitude: cm) == code)
        }
        #expect(GaussKruger.centralMeridian(ofCGCS2000ZoneEPSG: 4549) == 120)
        #expect(GaussKruger.centralMeridian(ofCGCS2000ZoneEPSG: 4533) == nil)
    }

    @Test func centralMeridianMapsToFalseEasting() throws {
        // On its central meridian every zone's easting is the 500 km false easting: proves code ↔ CM.
        for code in GaussKruger.cgcs2000ZoneEPSGRange {
            let cm = GaussKruger.centralMeridian(ofCGCS2000ZoneEPSG: code)!
            let projected = try CoordinateTransformer(from: .cgcs2000, to: .epsg(code)).transform(Position(cm, 35))
            #expect(abs(projected.x - 500_000) < 1e-6, "EPSG:\(code) easting \(projected.x)")
            #expect(try CoordinateReferenceSystem(parsing: "EPSG:\(code)") == .epsg(code))
        }
    }
}
