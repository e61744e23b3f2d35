import Foundation
import GeoJSON
import GridGeometry
import GridworkTestSupport
import SampleCounty
import Testing
@testable import Gridwork

@Suite struct GeoJSONThroughGEOSRoundTripTests {
    /// GeoJSON file → reader → GEOS (validated, WKB) → database → GEOS → writer → reader keeps ids, properties,
    /// holes, parts and RFC 7946 winding.
    @Test func gridsSurviveImportAndExport() throws {
        let scratch = Scratch()
        // A clockwise exterior (wrong winding on purpose) with a counter-clockwise hole, and a two-part grid.
        let holed = "{\"type\":\"Feature\",\"id\":7,\"properties\":{\"village_id\":\"V1\",\"name\":\"有洞网格\",\"level\":{\"a\":[1,2]}}," +
            "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.30,29.50],[119.30,29.51],[119.31,29.51],[119.31,29.50],[119.30,29.50]]," +
            "[[119.302,29.502],[119.304,29.502],[119.304,29.504],[119.302,29.504],[119.302,29.502]]]}}"
        let multi = "{\"type\":\"Feature\",\"id\":\"M\",\"properties\":{\"village_id\":\"V1\"},\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":" +
            "[[[[119.32,29.50],[119.33,29.50],[119.33,29.51],[119.32,29.50]]],[[[119.35,29.50],[119.36,29.50],[119.36,29.51],[119.35,29.50]]]]}}"
        let path = scratch.write("grids.geojson", collection([holed, multi]))
        let store = try SQLiteCountyStore(path: scratch.db)
        _ = try CountyImporter(options: ImportOptions(grids: path)).run(into: store)

        let grids = try store.grids()
        #expect(grids.map(\.gridID) == ["7", "M"])
        let out = scratch.path + "/out.geojson"
        let writer = try GeoJSONFeatureWriter(path: out, options: GeoJSONWriteOptions())
        for grid in grids {
            var properties = try #require(try GeoJSONFeatureReader(bytes: Array("{\"type\":\"Feature\",\"properties\":\(grid.extraProperties),\"geometry\":null}".utf8)).next()).properties
            properties["name"] = .string(grid.name)
            try writer.write(Feature(id: .string(grid.gridID), geometry: grid.geometry, properties: properties))
        }
        try writer.finish()

        let back = try GeoJSONFeatureReader.readFeatures(path: out)
        #expect(back.count == 2)
        let polygon = try #require(back[0].geometry?.polygons.first)
        #expect(polygon.exterior.isCounterClockwise, "exterior rings are written counter-clockwise")
        #expect(polygon.holes.count == 1)
        #expect(polygon.holes.allSatisfy { !$0.isCounterClockwise }, "holes are written clockwise")
        #expect(back[0].properties["name"] == .string("有洞网格"))
        #expect(back[0].properties["level"] == .object(["a": .array([.number(1), .number(2)])]))
        #expect(back[1].geometry?.polygons.count == 2)
        // Same point set as the input: GEOS says the geometries are topologically equal.
        let context = GEOSContext()
        let original = try GeoJSONFeatureReader.readFeatures(path: path)
        for (a, b) in zip(original, back) {
            let ga = try GEOSGeometry(a.geometry!, context: context), gb = try GEOSGeometry(b.geometry!, context: context)
            #expect(try ga.topologicallyEquals(gb))
        }
    }
}

@Suite struct ImportLeakTests {
    /// Imports the tiny sample county into a new database and drops it, many times: resident memory must stay flat
    /// (every GEOS, PROJ and SQLite handle opened by an import is freed).
    @Test(.residentMemoryMeasurable) func repeatedImportsDoNotLeak() throws {
        let scratch = Scratch()
        let sample = scratch.path + "/tiny"
        try SampleCountyGenerator(preset: .tiny, seed: 5).generate().write(to: sample)
        func importOnce(_ i: Int) throws {
            let db = scratch.path + "/leak-\(i).sqlite"
            do {
                let store = try SQLiteCountyStore(path: db)
                var options = ImportOptions(grids: sample + "/grids.geojson")
                options.villages = sample + "/villages.geojson"
                options.buildings = sample + "/buildings.geojson"
                options.households = sample + "/households.csv"
                options.staff = sample + "/staff.csv"
                options.crs = "EPSG:4490"
                _ = try CountyImporter(options: options).run(into: store)
                _ = try store.grids()
                _ = try store.buildings()
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        }
        for i in 0..<5 { try importOnce(i) }
        let before = try ResidentMemory.bytes()
        for i in 5..<45 { try importOnce(i) }
        let grown = try ResidentMemory.bytes() - before
        #expect(grown < 16 * 1024 * 1024, "resident memory grew by \(grown) bytes over 40 imports")
    }
}
