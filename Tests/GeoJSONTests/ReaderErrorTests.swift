import Testing
@testable import GeoJSON

/// JSON syntax errors throw with line, column and what was expected; geometry problems are
/// reported per feature with the JSON path and reading goes on.
@Suite struct ReaderErrorTests {
    static func feature(_ geometry: String) -> String {
        #"{"type":"Feature","properties":{},"geometry":"# + geometry + "}"
    }

    @Test func missingCommaInArray() throws {
        let text = """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {}, "geometry":
            {"type": "Point", "coordinates": [1 2]}}
        ]}
        """
        let error = try #require(readError(text))
        #expect(error.kind == .syntax)
        #expect(error.line == 3)
        #expect(error.column == 41)
        #expect(error.message == "expected ',' or ']' after array element, found '2'")
        #expect(error.description == "expected ',' or ']' after array element, found '2' at line 3, column 41")
        // The same with tokens straddling chunks.
        #expect(readError(text, chunkSize: 3) == error)
    }

    @Test func missingCommaBetweenMembers() throws {
        let error = try #require(readError("{\"type\": \"Feature\"\n  \"properties\": {}}"))
        #expect(error.message == "expected ',' or '}' after object member \"type\", found '\"'")
        #expect((error.line, error.column) == (2, 3))
    }

    @Test func missingCommaBetweenFeatures() throws {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n" + ReaderErrorTests.feature("null") + "\n" + ReaderErrorTests.feature("null") + "]}"
        let reader = GeoJSONFeatureReader(bytes: Array(text.utf8))
        // The first feature is complete, so it is returned; the error comes with the next call.
        #expect(throws: GeoJSONError.self) { _ = try reader.next() }
        let error = try #require(readError(text))
        #expect(error.message == "expected ',' or ']' after feature #0 in 'features', found '{'")
        #expect((error.line, error.column) == (3, 1))
    }

    @Test func truncatedFile() throws {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n" + #"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1.5,"#
        for chunkSize in [1, 4, 1 << 20] {
            let error = try #require(readError(text, chunkSize: chunkSize))
            #expect(error.kind == .syntax)
            #expect(error.message == "expected a value, found end of file (the document is truncated)")
            #expect(error.line == 2)
            #expect(error.column == text.split(separator: "\n")[1].utf8.count + 1)
        }
        let afterFeature = try #require(readError("{\"type\":\"FeatureCollection\",\"features\":[" + ReaderErrorTests.feature("null")))
        #expect(afterFeature.message.hasPrefix("expected ',' or ']' after feature #0 in 'features', found end of file"))
        let inString = try #require(readError(#"{"type":"Feature","properties":{"name":"abc"#))
        #expect(inString.message == "expected '\"' to end the string, found end of file (the document is truncated)")
        #expect((inString.line, inString.column) == (1, 44))
        let inNumber = try #require(readError(#"{"type":"Point","coordinates":[1.5e"#, chunkSize: 2))
        #expect(inNumber.message == "expected a digit in the exponent, found end of file (the document is truncated)")
        #expect((inNumber.line, inNumber.column) == (1, 36))
    }

    @Test func otherSyntaxErrors() throws {
        let cases: [(String, String, Int, Int)] = [
            ("", "the document is empty; expected a GeoJSON object", 1, 1),
            ("[1]", "expected '{' to start a GeoJSON object, found '['", 1, 1),
            (#"{"type":"Feature","geometry":null,"properties":{}} x"#, "expected the end of the document after the GeoJSON object, found 'x'", 1, 52),
            (#"{"type":"Feature","geometry":nul}"#, "expected 'null', found '}'", 1, 33),
            (#"{"type":"Feature","geometry":null,"properties":{"a":[1,]}}"#, "expected a value (object, array, string, number, true, false or null), found ']'", 1, 56),
            (#"{"type":"Feature","geometry":null,"properties":{"a":01}}"#, "expected ',' or '}' after object member \"a\", found '1'", 1, 54),
            (#"{"type":"Feature","geometry":null,"properties":{"a":-x}}"#, "expected a digit after '-', found 'x'", 1, 54),
            (#"{"type":"Feature","geometry":null,"properties":{"a":1.}}"#, "expected a digit after '.', found '}'", 1, 55),
            (#"{"type":"Feature","geometry":null,"properties":{"a":-NaN}}"#, "expected 'Infinity' after '-', found 'N'", 1, 54),
            (#"{"type":"Feature","geometry":null,"properties":{"a":"\x"}}"#, #"expected an escape (\" \\ \/ \b \f \n \r \t or \uXXXX) after '\', found 'x'"#, 1, 55),
            (#"{"type":"Feature","geometry":null,"properties":{"a":"\u12G4"}}"#, "expected 4 hexadecimal digits after '\\u', found 'G'", 1, 58),
            ("{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":\"x\ty\"}}", "control character byte 0x9 in string; write it escaped (e.g. \\n or \\u00XX)", 1, 55),
            (#"{"type":"Feature","geometry":null,"properties":{"a" 1}}"#, "expected ':' after member name \"a\", found '1'", 1, 53),
            (#"{"type":"Feature","geometry":null,"properties":{,}}"#, "expected a member name string or '}', found ','", 1, 49),
            (#"{"type":"FeatureCollection","features":{}}"#, "'features' must be an array, found an object", 1, 40),
            (#"{"type":"FeatureCollection","features":[1]}"#, "expected a Feature object in 'features', found '1'", 1, 41),
            (#"{"type":"FeatureCollection"}"#, "the FeatureCollection has no 'features' array", 1, 1),
            (#"{"type":"Topology"}"#, "unknown GeoJSON type 'Topology' (expected FeatureCollection, Feature or a geometry type)", 1, 1),
            (#"{}"#, "the GeoJSON object has no 'type' member", 1, 1),
        ]
        for (text, message, line, column) in cases {
            let error = readError(text)
            #expect(error?.message == message, "\(text)")
            #expect(error?.line == line, "\(text)")
            #expect(error?.column == column, "\(text)")
            // Tiny chunks give the same error.
            #expect(readError(text, chunkSize: 1) == error, "\(text)")
        }
    }

    @Test func invalidUTF8IsReported() throws {
        var bytes = Array(#"{"type":"Feature","geometry":null,"properties":{"a":"x"#.utf8)
        bytes += [0xC3, 0x28] + Array("\"}}".utf8)
        let reader = GeoJSONFeatureReader(bytes: bytes)
        #expect(throws: GeoJSONError.self) { _ = try reader.next() }
        // After an error every call throws the same error.
        do {
            _ = try reader.next()
            Issue.record("expected the error again")
        } catch let error as GeoJSONError {
            #expect(error.message == "invalid UTF-8 in string; the file must be UTF-8 encoded")
        }
    }

    @Test func tooDeepNestingIsAnError() throws {
        let text = #"{"type":"Feature","geometry":null,"properties":{"a":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}}"
        let error = try #require(readError(text))
        #expect(error.message == "nesting deeper than 512 levels")
    }

    @Test func geometryErrorsAreReportedPerFeatureWithThePath() throws {
        let cases: [(String, String, String)] = [
            (#"{"type":"Hexagon","coordinates":[]}"#, "geometry.type",
             "unknown geometry type 'Hexagon' (expected Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection)"),
            (#"{"type":"Polygon"}"#, "geometry", "Polygon has no 'coordinates' member"),
            (#"{"coordinates":[1,2]}"#, "geometry", "geometry has no 'type' member"),
            (#"{"type":7,"coordinates":[1,2]}"#, "geometry.type", "geometry type must be a string, found a number"),
            (#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0]]]}"#, "geometry.coordinates[0][3]", "a position needs at least 2 numbers (x, y), found 1"),
            (#"{"type":"Polygon","coordinates":[[[0,0],[1,"a"]]]}"#, "geometry.coordinates[0][1][1]", "expected a number in a position, found a string"),
            (#"{"type":"Polygon","coordinates":[[0,0],[1,1]]}"#, "geometry.coordinates[0][0]", "expected a position [x, y], found a number"),
            (#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]], "x"]}"#, "geometry.coordinates[1]", "expected an array of rings, found a string"),
            (#"{"type":"Point","coordinates":"0,0"}"#, "geometry.coordinates", "expected a position [x, y], found a string"),
            (#"{"type":"Point","coordinates":[0,[0]]}"#, "geometry.coordinates[1]", "expected a number in a position, found an array"),
            (#"{"type":"LineString","coordinates":null}"#, "geometry.coordinates", "expected an array of positions, found null"),
            (#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]},{"type":"Point","coordinates":[]}]}"#,
             "geometry.geometries[1].coordinates", "a position needs at least 2 numbers (x, y), found 0"),
            (#"{"type":"GeometryCollection"}"#, "geometry", "GeometryCollection has no 'geometries' member"),
            (#"{"type":"GeometryCollection","geometries":[null]}"#, "geometry.geometries[0]", "expected a geometry object, found null"),
            (#"[0,0]"#, "geometry", "expected a geometry object or null, found an array"),
        ]
        for (geometry, path, reason) in cases {
            let error = try geometryError(ReaderErrorTests.feature(geometry))
            #expect(error == GeometryDecodingError(path: path, reason: reason), "\(geometry)")
        }
        #expect(try geometryError(#"{"type":"Feature","properties":{}}"#)?.path == "geometry")
        #expect(try geometryError(#"{"type":"Feature","id":[1],"properties":{},"geometry":null}"#)
            == GeometryDecodingError(path: "id", reason: "a feature id must be a string or a number, found an array"))
        #expect(try geometryError(#"{"type":"Feature","properties":[],"geometry":null}"#)
            == GeometryDecodingError(path: "properties", reason: "'properties' must be an object or null, found an array"))
        #expect(try geometryError(#"{"type":"FeatureCollection","features":[{"type":"Point","properties":{},"geometry":null}]}"#)
            == GeometryDecodingError(path: "type", reason: "expected a 'type' of 'Feature' for an element of 'features', found 'Point'"))
    }

    @Test func badFeaturesDoNotStopTheRead() throws {
        let text = """
        {"type":"FeatureCollection","features":[
        \(ReaderErrorTests.feature(#"{"type":"Point","coordinates":[0,0]}"#)),
        \(ReaderErrorTests.feature(#"{"type":"Circle","coordinates":[0,0]}"#)),
        \(ReaderErrorTests.feature(#"{"type":"Point","coordinates":[1]}"#)),
        \(ReaderErrorTests.feature(#"{"type":"Point","coordinates":[2,2]}"#))
        ]}
        """
        let records = try readRecords(text)
        #expect(records.count == 4)
        let failed = records.filter { if case .failure = $0.geometry { true } else { false } }
        #expect(failed.map(\.location) == [SourceLocation(line: 3, column: 1, featureIndex: 1), SourceLocation(line: 4, column: 1, featureIndex: 2)])
        #expect(try records[3].geometry.get() == .point(Position(2, 2)))
        #expect(failed[0].geometry == .failure(GeometryDecodingError(
            path: "geometry.type",
            reason: "unknown geometry type 'Circle' (expected Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection)")))
    }
}
