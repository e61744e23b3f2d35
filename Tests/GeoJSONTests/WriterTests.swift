import Foundation
import OrderedCollections
import Testing
@testable import GeoJSON

@Suite struct WriterTests {
    @Test func encodesAFeatureDeterministically() {
        let feature = Feature(
            id: .number(17),
            geometry: .polygon(Polygon(exterior: square(119.5, 29.25, 0.5))),
            properties: ["name": .string("网格 \"A\"\\"), "level": .number(3), "ratio": .number(0.25),
                         "bad": .number(.nan), "list": .array([.bool(true), .null]), "nested": .object(["k": .string("v")])])
        let expected = #"{"type":"Feature","id":17,"bbox":[119.5,29.25,120,29.75],"properties":{"name":"网格 \"A\"\\","level":3,"ratio":0.25,"bad":null,"list":[true,null],"nested":{"k":"v"}},"geometry":{"type":"Polygon","coordinates":[[[119.5,29.25],[120,29.25],[120,29.75],[119.5,29.75],[119.5,29.25]]]}}"#
        #expect(GeoJSONEncoder.encode(feature) == expected)
        #expect(GeoJSONEncoder.encode(feature) == GeoJSONEncoder.encode(feature))
    }

    @Test func idsAndNullGeometry() {
        let options = GeoJSONWriteOptions(featureBBox: false)
        #expect(GeoJSONEncoder.encode(Feature(id: .string("G-1"), geometry: nil), options: options)
            == #"{"type":"Feature","id":"G-1","properties":{},"geometry":null}"#)
        #expect(GeoJSONEncoder.encode(Feature(id: .number(1.5), geometry: nil), options: options)
            == #"{"type":"Feature","id":1.5,"properties":{},"geometry":null}"#)
        #expect(GeoJSONEncoder.encode(Feature(id: .number(-3), geometry: nil), options: options)
            == #"{"type":"Feature","id":-3,"properties":{},"geometry":null}"#)
        #expect(GeoJSONEncoder.encode(Feature(geometry: nil)) == #"{"type":"Feature","properties":{},"geometry":null}"#)
    }

    @Test func escapesStrings() {
        var output = JSONOutput(options: GeoJSONWriteOptions())
        output.string("a\"b\\c\n\r\t\u{08}\u{0C}\u{01}\u{1F}/网格😀\u{7F}")
        #expect(output.string == #""a\"b\\c\n\r\t\b\f\u0001\u001f/网格😀"# + "\u{7F}\"")
    }

    @Test func rewindsRingsWhenAsked() {
        // Clockwise exterior and counter-clockwise hole: both wrong for RFC 7946.
        let polygon = Polygon(exterior: square(0, 0, 10, counterClockwise: false), holes: [square(2, 2, 2, counterClockwise: true)])
        let geometry = Geometry.multiPolygon(MultiPolygon([polygon, Polygon(exterior: square(20, 0, 1))]))
        let rewound = GeoJSONEncoder.encode(geometry)
        #expect(rewound == #"{"type":"MultiPolygon","coordinates":[[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[4,2],[2,2]]],[[[20,0],[21,0],[21,1],[20,1],[20,0]]]]}"#)
        let asStored = GeoJSONEncoder.encode(geometry, options: GeoJSONWriteOptions(rewind: false))
        #expect(asStored == #"{"type":"MultiPolygon","coordinates":[[[[0,0],[0,10],[10,10],[10,0],[0,0]],[[2,2],[4,2],[4,4],[2,4],[2,2]]],[[[20,0],[21,0],[21,1],[20,1],[20,0]]]]}"#)
    }

    @Test func encodesOtherGeometryTypes() {
        let geometry = Geometry.geometryCollection([
            .point(Position(1.123456789, -2)),
            .multiPoint([Position(0, 0)]),
            .lineString([Position(0, 0), Position(1, 1)]),
            .multiLineString([[Position(0, 0), Position(1, 1)], []]),
            .polygon(Polygon(exterior: LinearRing([]))),
        ])
        #expect(GeoJSONEncoder.encode(geometry, options: GeoJSONWriteOptions(precision: 3)) ==
            #"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1.123,-2]},{"type":"MultiPoint","coordinates":[[0,0]]},{"type":"LineString","coordinates":[[0,0],[1,1]]},{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[]]},{"type":"Polygon","coordinates":[]}]}"#)
    }

    @Test func collectionHasBBoxAfterFeatures() throws {
        let features = [
            Feature(id: .string("a"), geometry: .point(Position(1, 2))),
            Feature(id: .string("b"), geometry: nil),
            Feature(id: .string("c"), geometry: .lineString([Position(-1, 5), Position(3, 0.5)])),
        ]
        let text = GeoJSONEncoder.encodeCollection(features)
        #expect(text == """
        {"type":"FeatureCollection","features":[
        {"type":"Feature","id":"a","bbox":[1,2,1,2],"properties":{},"geometry":{"type":"Point","coordinates":[1,2]}},
        {"type":"Feature","id":"b","properties":{},"geometry":null},
        {"type":"Feature","id":"c","bbox":[-1,0.5,3,5],"properties":{},"geometry":{"type":"LineString","coordinates":[[-1,5],[3,0.5]]}}
        ],"bbox":[-1,0.5,3,5]}

        """)
        let bare = GeoJSONEncoder.encodeCollection([], options: GeoJSONWriteOptions(collectionBBox: false))
        #expect(bare == "{\"type\":\"FeatureCollection\",\"features\":[\n]}\n")
        #expect(try readRecords(bare).isEmpty)
    }

    @Test func fileWriterMatchesEncoder() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.geojson").path
        let features = (0..<50).map { i in
            Feature(id: .number(Double(i)), geometry: .polygon(Polygon(exterior: square(Double(i), 0, 1))), properties: ["i": .number(Double(i))])
        }
        let writer = try GeoJSONFeatureWriter(path: path)
        for feature in features { try writer.write(feature) }
        try writer.finish()
        #expect(writer.featureCount == 50)
        #expect(throws: GeoJSONError.self) { try writer.write(features[0]) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == GeoJSONEncoder.encodeCollection(features))
    }

    @Test func unwritablePathIsAnIOError() {
        do {
            _ = try GeoJSONFeatureWriter(path: "/nonexistent/dir/out.geojson")
            Issue.record("expected an error")
        } catch let error as GeoJSONError {
            #expect(error.kind == .io)
            #expect(error.file == "/nonexistent/dir/out.geojson")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
