import Foundation
import GridworkTestSupport
import Testing
@testable import GeoJSON

@Suite struct WKBTests {
    static let samples: [Geometry] = [
        .point(Position(119.5, 29.25)),
        .lineString([Position(0, 0), Position(1, 1), Position(2, 0)]),
        .polygon(Polygon(exterior: square(0, 0, 10), holes: [square(2, 2, 1, counterClockwise: false)])),
        .multiPolygon(MultiPolygon([Polygon(exterior: square(0, 0, 1)), Polygon(exterior: square(5, 5, 2))])),
        .multiPoint([Position(1, 2), Position(3, 4)]),
        .multiLineString([[Position(0, 0), Position(1, 0)], [Position(2, 2), Position(3, 3)]]),
        .geometryCollection([.point(Position(1, 1)), .polygon(Polygon(exterior: square(0, 0, 1)))]),
    ]

    @Test func roundTripsEveryGeometryType() throws {
        for geometry in Self.samples {
            #expect(try WKB.decode(WKB.encode(geometry)) == geometry)
        }
    }

    /// The bytes shapely (GEOS) writes, big- and little-endian, ISO Z: read as the same 2D polygon.
    @Test(.requiresPython("shapely")) func readsWhatShapelyWritesInEitherByteOrderAndWithZ() throws {
        let script = """
            import sys, json, shapely.wkb
            from shapely.geometry import shape
            g = shape(json.loads(sys.argv[1]))
            print(shapely.wkb.dumps(g, hex=True, byte_order=1))
            print(shapely.wkb.dumps(g, hex=True, byte_order=0))
            g3 = shapely.force_3d(g, 9.0)
            print(shapely.wkb.dumps(g3, hex=True, byte_order=0, flavor='iso'))
            print(shapely.wkb.dumps(g3, hex=True, byte_order=1, flavor='extended'))
            """
        for geometry in Self.samples {
            let json = GeoJSONEncoder.encode(geometry, options: GeoJSONWriteOptions(precision: 15, rewind: false))
            let output = try Python.run(script, [json])
            #expect(output.status == 0, "\(output.output)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 4)
            for (k, hex) in lines.enumerated() {
                let decoded = try WKB.decode(bytes(hex))
                #expect(decoded == geometry, "variant \(k) of \(json)")
            }
            // Our little-endian 2D encoding is byte for byte what GEOS writes.
            #expect(WKB.encode(geometry) == bytes(lines[0]), "\(json)")
        }
    }

    @Test func refusesCurvesTruncatedBytesAndTrailingBytesByOffset() {
        // A CircularString (type 8).
        #expect(throws: GeometryDecodingError.self) { try WKB.decode([1, 8, 0, 0, 0, 0, 0, 0, 0]) }
        do {
            _ = try WKB.decode([1, 8, 0, 0, 0, 0, 0, 0, 0])
        } catch {
            #expect(error.reason.contains("CircularString"))
            #expect(error.path == "wkb[1]")
        }
        let polygon = WKB.encode(Self.samples[2])
        do {
            _ = try WKB.decode(Array(polygon.prefix(7)))
            Issue.record("a truncated header should not decode")
        } catch {
            #expect(error.reason == "the WKB ends early: 4 more bytes expected, 2 left", "\(error)")
            #expect(error.path == "wkb[5]")
        }
        do {
            _ = try WKB.decode(Array(polygon.dropLast(3)))
            Issue.record("a truncated polygon should not decode")
        } catch {
            #expect(error.reason.contains("cannot fit") || error.reason.contains("ends early"), "\(error)")
        }
        do {
            _ = try WKB.decode(polygon + [0])
            Issue.record("trailing bytes should be refused")
        } catch {
            #expect(error.reason.contains("1 bytes left"), "\(error)")
        }
        // A ring count far beyond the data is refused, not allocated.
        do {
            _ = try WKB.decode([1, 3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F])
            Issue.record("an impossible ring count should be refused")
        } catch {
            #expect(error.reason.contains("cannot fit"), "\(error)")
        }
    }

    func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }
}
