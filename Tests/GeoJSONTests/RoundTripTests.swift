import Foundation
import GridworkTestSupport
import OrderedCollections
import Testing
@testable import GeoJSON

@Suite struct RoundTripTests {
    static let features: [Feature] = [
        Feature(id: .string("330182-001-01"),
                geometry: .polygon(Polygon(exterior: square(119.25, 29.5, 0.01, counterClockwise: false),
                                           holes: [square(119.252, 29.502, 0.002, counterClockwise: true),
                                                   square(119.256, 29.506, 0.001, counterClockwise: false)])),
                properties: ["name": .string("新安江街道 第1网格"), "staff": .array([.string("张三"), .string("李四")]),
                             "info": .object(["households": .number(312), "area_m2": .number(1_234_567.891_234_5), "urban": .bool(true),
                                              "note": .null, "quote": .string("say \"hi\"\n\ttab \\ 😀")])]),
        Feature(id: .number(42),
                geometry: .multiPolygon(MultiPolygon([
                    Polygon(exterior: square(119.3, 29.6, 0.005)),
                    Polygon(exterior: square(119.4, 29.6, 0.005, counterClockwise: false), holes: [square(119.401, 29.601, 0.001)]),
                ])),
                properties: ["level": .number(-2), "ratio": .number(0.1)]),
        Feature(id: .number(7_000_000_001), geometry: .point(Position(119.123_456_7, 29.765_432_1)), properties: [:]),
        Feature(id: nil, geometry: nil, properties: ["empty": .object([:]), "emptyList": .array([])]),
    ]

    /// What reading the written file should give: rings rewound to RFC 7946 winding, coordinates
    /// rounded to 7 decimals (integer / 10^7 is the double nearest the printed decimal).
    static func rewound(_ feature: Feature) -> Feature {
        func round7(_ ring: LinearRing) -> LinearRing {
            LinearRing(ring.positions.map { Position(($0.x * 1e7).rounded() / 1e7, ($0.y * 1e7).rounded() / 1e7) })
        }
        func fix(_ polygon: Polygon) -> Polygon {
            Polygon(exterior: round7(polygon.exterior.isCounterClockwise ? polygon.exterior : polygon.exterior.reversed),
                    holes: polygon.holes.map { round7($0.isCounterClockwise ? $0.reversed : $0) })
        }
        var copy = feature
        switch feature.geometry {
        case .polygon(let p)?: copy.geometry = .polygon(fix(p))
        case .multiPolygon(let m)?: copy.geometry = .multiPolygon(MultiPolygon(m.polygons.map(fix)))
        default: break
        }
        return copy
    }

    @Test func writeReadKeepsEverything() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("round.geojson").path
        let writer = try GeoJSONFeatureWriter(path: path, options: GeoJSONWriteOptions())
        for feature in Self.features { try writer.write(feature) }
        try writer.finish()

        let read = try GeoJSONFeatureReader.readFeatures(path: path)
        #expect(read == Self.features.map(Self.rewound))
        // Winding after the writer: exteriors counter-clockwise, holes clockwise.
        for feature in read {
            for polygon in feature.geometry?.polygons ?? [] {
                #expect(polygon.exterior.isCounterClockwise)
                #expect(polygon.holes.allSatisfy { !$0.isCounterClockwise })
            }
        }
        // Writing what was read gives the same bytes (deterministic output).
        let again = directory.appendingPathComponent("again.geojson").path
        let second = try GeoJSONFeatureWriter(path: again, options: GeoJSONWriteOptions())
        for feature in read { try second.write(feature) }
        try second.finish()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: again)))
        // Ids keep their kind.
        #expect(read.map(\.id) == [.string("330182-001-01"), .number(42), .number(7_000_000_001), nil])
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(#""id":7000000001,"#))
    }

    /// GDAL reads what the writer writes, without warnings.
    @Test(.requiresTool("ogrinfo", ["--version"], fix: "install gdal-bin to run this cross-check"))
    func ogrinfoAcceptsTheOutput() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("grids.geojson").path
        let writer = try GeoJSONFeatureWriter(path: path)
        // GDAL wants one geometry type and one property schema per layer: polygons and multipolygons mix.
        var count = 0
        for feature in Self.features.prefix(2) {
            try writer.write(Feature(id: feature.id, geometry: feature.geometry, properties: ["name": .string("网格\(count)")]))
            count += 1
        }
        for i in 0..<200 {
            try writer.write(Feature(id: .number(Double(1000 + i)), geometry: .polygon(Polygon(exterior: square(119 + Double(i) * 0.001, 29, 0.001))),
                                     properties: ["name": .string("grid \(i)")]))
            count += 1
        }
        try writer.finish()

        let result = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-al", "-so", path]))
        let output = result.output
        #expect(result.status == 0, "\(output)")
        #expect(output.contains("Feature Count: \(count)"), "\(output)")
        let complaints = output.split(separator: "\n").filter { $0.contains("Warning") || $0.contains("ERROR") }
        #expect(complaints.isEmpty, "\(complaints)")
    }
}
