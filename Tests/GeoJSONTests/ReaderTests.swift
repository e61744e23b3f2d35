import Foundation
import OrderedCollections
import Testing
@testable import GeoJSON

@Suite struct ReaderTests {
    static let collection = """
    {
      "type": "FeatureCollection",
      "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },
      "features": [
        { "type": "Feature", "id": "G-001",
          "properties": { "name": "网格一", "level": 3, "tags": ["a", "b"], "meta": { "ok": true, "note": null } },
          "geometry": { "type": "Polygon", "coordinates": [
            [[119.0, 29.0], [119.1, 29.0], [119.1, 29.1], [119.0, 29.1], [119.0, 29.0]],
            [[119.02, 29.02], [119.02, 29.05], [119.05, 29.05], [119.02, 29.02]]
          ] } },
        { "type": "Feature", "id": 17, "properties": null,
          "geometry": { "coordinates": [[[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]], [[[2, 2], [3, 2], [3, 3]]]], "type": "MultiPolygon" } },
        { "type": "Feature", "properties": {}, "geometry": null }
      ]
    }
    """

    @Test func readsFeatureCollection() throws {
        let records = try readRecords(Self.collection)
        #expect(records.count == 3)

        let first = records[0]
        #expect(first.id == .string("G-001"))
        #expect(first.location == SourceLocation(line: 5, column: 5, featureIndex: 0))
        #expect(Array(first.properties.keys) == ["name", "level", "tags", "meta"])
        #expect(first.properties["name"] == .string("网格一"))
        #expect(first.properties["level"] == .number(3))
        #expect(first.properties["tags"] == .array([.string("a"), .string("b")]))
        #expect(first.properties["meta"] == .object(["ok": .bool(true), "note": .null]))
        let polygon = Polygon(
            exterior: LinearRing([Position(119.0, 29.0), Position(119.1, 29.0), Position(119.1, 29.1), Position(119.0, 29.1), Position(119.0, 29.0)]),
            holes: [LinearRing([Position(119.02, 29.02), Position(119.02, 29.05), Position(119.05, 29.05), Position(119.02, 29.02)])])
        #expect(try first.geometry.get() == .polygon(polygon))

        // `type` after `coordinates`, z dropped, an unclosed ring kept exactly as given.
        let second = records[1]
        #expect(second.id == .number(17))
        #expect(second.properties.isEmpty)
        #expect(second.location.featureIndex == 1)
        let multi = MultiPolygon([
            Polygon(exterior: LinearRing([Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)])),
            Polygon(exterior: LinearRing([Position(2, 2), Position(3, 2), Position(3, 3)])),
        ])
        #expect(try second.geometry.get() == .multiPolygon(multi))

        #expect(try records[2].geometry.get() == nil)
        #expect(records[2].id == nil)
    }

    @Test func readsEveryGeometryType() throws {
        let text = """
        {"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1.5,-2.5]}},
        {"type":"Feature","properties":{},"geometry":{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}},
        {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}},
        {"type":"Feature","properties":{},"geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]}},
        {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[]}},
        {"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[
            {"type":"Point","coordinates":[0,0]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}}
        ]}
        """
        let geometries = try readRecords(text).map { try $0.geometry.get() }
        #expect(geometries == [
            .point(Position(1.5, -2.5)),
            .multiPoint([Position(1, 2), Position(3, 4)]),
            .lineString([Position(1, 2), Position(3, 4)]),
            .multiLineString([[Position(1, 2), Position(3, 4)], [Position(5, 6), Position(7, 8)]]),
            .polygon(Polygon(exterior: LinearRing([]))),
            .geometryCollection([.point(Position(0, 0)), .lineString([Position(0, 0), Position(1, 1)])]),
        ])
    }

    @Test func readsSingleFeatureAndBareGeometry() throws {
        let feature = try readRecords("""
        {"geometry": {"type": "Point", "coordinates": [NaN, 2]}, "properties": {"k": "v"}, "id": 5, "type": "Feature"}
        """)
        #expect(feature.count == 1)
        #expect(feature[0].id == .number(5))
        #expect(feature[0].properties == ["k": .string("v")])
        guard case .point(let p)? = try feature[0].geometry.get() else {
            Issue.record("expected a point")
            return
        }
        #expect(p.x.isNaN && p.y == 2)

        let bare = try readRecords("\n  {\"type\": \"LineString\", \"coordinates\": [[1, 2], [3, 4]]}\n")
        #expect(bare.count == 1)
        #expect(bare[0].location == SourceLocation(line: 2, column: 3, featureIndex: 0))
        #expect(try bare[0].geometry.get() == .lineString([Position(1, 2), Position(3, 4)]))

        let badBare = try readRecords("{\"type\": \"Point\", \"coordinates\": [1]}")
        #expect(badBare[0].geometry == .failure(GeometryDecodingError(path: "coordinates", reason: "a position needs at least 2 numbers (x, y), found 1")))
    }

    @Test func acceptsNonFiniteTokens() throws {
        let records = try readRecords("""
        {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"v":Infinity,"w":-Infinity},
        "geometry":{"type":"LineString","coordinates":[[NaN,1],[Infinity,-Infinity]]}}]}
        """)
        #expect(records[0].properties["v"] == .number(.infinity))
        #expect(records[0].properties["w"] == .number(-.infinity))
        guard case .lineString(let ps)? = try records[0].geometry.get() else {
            Issue.record("expected a line string")
            return
        }
        #expect(ps[0].x.isNaN && ps[0].y == 1)
        #expect(ps[1] == Position(.infinity, -.infinity))
    }

    @Test func decodesStringEscapes() throws {
        let records = try readRecords(#"""
        {"type":"Feature","geometry":null,"properties":{"s":"q\"b\\s\/n\nt\tc\u0001 \u7f51\u683c \ud83d\ude00 lone \ud800!","网格":"直接"}}
        """#)
        #expect(records[0].properties["s"] == .string("q\"b\\s/n\nt\tc\u{01} 网格 😀 lone \u{FFFD}!"))
        #expect(records[0].properties["网格"] == .string("直接"))
    }

    @Test func ignoresAByteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"type":"Point","coordinates":[1,2]}"#.utf8)
        for chunkSize in [1, 2, 1 << 20] {
            let reader = GeoJSONFeatureReader(bytes: bytes, chunkSize: chunkSize)
            let record = try #require(try reader.next())
            #expect(try record.geometry.get() == .point(Position(1, 2)))
            #expect(record.location == SourceLocation(line: 1, column: 1, featureIndex: 0))
            #expect(try reader.next() == nil)
        }
        let broken = GeoJSONFeatureReader(bytes: [0xEF, 0xBB, 0xBF] + Array("{,}".utf8))
        #expect(throws: GeoJSONError(kind: .syntax, message: "expected a member name string, found ','", line: 1, column: 2)) {
            _ = try broken.next()
        }
    }

    @Test func emptyCollectionAndTopLevelMembersAfterFeatures() throws {
        #expect(try readRecords(#"{"type":"FeatureCollection","features":[]}"#).isEmpty)
        let records = try readRecords(#"{"features":[{"type":"Feature","properties":{},"geometry":null}],"bbox":[0,0,1,1],"type":"FeatureCollection"}"#)
        #expect(records.count == 1)
    }

    /// Every chunk size from 1 byte up gives the same records: tokens straddle chunk boundaries.
    @Test func chunkBoundariesDoNotMatter() throws {
        let text = Self.collection + "\n"
        let reference = try readRecords(text)
        for chunkSize in [1, 2, 3, 5, 7, 11, 16, 64, 333] {
            let records = try readRecords(text, chunkSize: chunkSize)
            #expect(records == reference, "chunk size \(chunkSize)")
        }
        // Escapes and long numbers straddling boundaries.
        let tricky = #"{"type":"Feature","id":"a\u7f51\ud83d\ude00\"z","properties":{"n":-12345.678901234567e-3,"x":[true,false,null]},"geometry":{"type":"Point","coordinates":[-Infinity,1.7976931348623157e308]}}"#
        let trickyReference = try readRecords(tricky)
        #expect(trickyReference[0].id == .string("a网😀\"z"))
        #expect(trickyReference[0].properties["n"] == .number(Double("-12345.678901234567e-3")!))
        for chunkSize in 1...9 {
            #expect(try readRecords(tricky, chunkSize: chunkSize) == trickyReference, "chunk size \(chunkSize)")
        }
    }

    @Test func readsFromFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("grids.geojson").path
        try Self.collection.write(toFile: path, atomically: true, encoding: .utf8)
        let records = try GeoJSONFeatureReader.readAll(path: path)
        #expect(records == (try readRecords(Self.collection)))
        let features = try GeoJSONFeatureReader.readFeatures(path: path)
        #expect(features.count == 3)
        #expect(features[0].id == .string("G-001"))
    }

    @Test func missingFileIsAnIOError() {
        do {
            _ = try GeoJSONFeatureReader(path: "/nonexistent/dir/grids.geojson")
            Issue.record("expected an error")
        } catch let error as GeoJSONError {
            #expect(error.kind == .io)
            #expect(error.file == "/nonexistent/dir/grids.geojson")
            #expect(error.description.contains("cannot open"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

@Suite struct LinearRingTests {
    @Test func windingOfUnitSquare() {
        let ccw = LinearRing([Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 1), Position(0, 0)])
        #expect(ccw.isCounterClockwise)
        #expect(ccw.signedArea2 == 2)
        #expect(!ccw.reversed.isCounterClockwise)
        #expect(ccw.isClosed)
    }
}
