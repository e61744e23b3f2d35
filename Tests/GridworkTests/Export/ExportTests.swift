import Foundation
import GeoJSON
import GridStore
import GridworkTestSupport
import Testing
@testable import Gridwork

@Suite struct ExportTests {
    /// Every layer of the seeded county with planted faults (so gaps and overlaps are not empty).
    static func export() throws -> LayerExport {
        var layers = try sampleLayers()
        var copy = layers.grids[0]
        copy.gridID = "ZZ-COPY"
        layers.grids.remove(at: 2)
        layers.grids.append(copy)
        return try LayerExport(layers: layers)
    }

    @Test(.requiresTool("ogrinfo", ["--version"], fix: "install gdal-bin (tools/setup --checks)"))
    func ogrinfoOpensEveryLayerInBothFormatsWithoutWarnings() throws {
        let scratch = Scratch()
        let export = try Self.export()
        let gpkg = scratch.path + "/county.gpkg"
        for layer in ExportLayer.allCases {
            let expected = try export.features(layer).count
            #expect(expected > 0 || layer == .slivers, "\(layer) should not be empty in this fixture")
            let geojson = scratch.path + "/\(layer.rawValue).geojson"
            #expect(try export.write(layer, to: geojson, format: .geojson) == expected)
            #expect(try export.write(layer, to: gpkg, format: .gpkg) == expected)
            for (path, name) in [(geojson, layer.rawValue), (gpkg, layer.rawValue)] {
                let result = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-so", path, name]))
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.contains("Feature Count: \(expected)"), "\(path) \(name): \(result.output)")
                let complaints = result.output.split(separator: "\n").filter {
                    $0.contains("Warning") || $0.contains("WARN") || $0.contains("ERROR")
                }
                #expect(complaints.isEmpty, "\(path) \(name): \(complaints)")
            }
        }
        // Attribute types survive in the GeoPackage: counts are integers, areas reals, ids text.
        let grids = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-so", gpkg, "grids"])).output
        #expect(grids.contains("Geometry: Multi Polygon"))
        #expect(grids.contains("households: Integer"))
        #expect(grids.contains("workload_index: Real"))
        #expect(grids.contains("grid_id: String"))
        let households = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-so", gpkg, "households"])).output
        #expect(households.contains("Geometry: Point"))
        // All seven layers are in the one file.
        let all = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-q", gpkg])).output
        #expect(ExportLayer.allCases.allSatisfy { all.contains($0.rawValue) }, "\(all)")
    }

    @Test func geoJSONFollowsRFC7946() throws {
        let scratch = Scratch()
        let export = try Self.export()
        let path = scratch.path + "/grids.geojson"
        try export.write(.grids, to: path, format: .geojson)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("\"crs\""))
        #expect(text.contains("\"bbox\""))
        let reader = try GeoJSONFeatureReader(path: path)
        var count = 0
        while let record = try reader.next() {
            count += 1
            let geometry = try #require(try record.geometry.get())
            for polygon in geometry.polygons {
                #expect(polygon.exterior.isCounterClockwise)
                #expect(polygon.holes.allSatisfy { !$0.isCounterClockwise })
            }
            #expect(record.properties["workload_index"]?.doubleValue != nil)
            geometry.forEachPosition { p in
                // 7 decimals: the coordinate times 1e7 is a whole number.
                #expect(abs(p.x * 1e7 - (p.x * 1e7).rounded()) < 1e-3)
            }
        }
        #expect(count == export.layers.grids.count)
    }

    @Test func householdsCarryNoPersonalDataUnlessAsked() throws {
        let export = try Self.export()
        let plain = try export.features(.households)
        #expect(plain.allSatisfy { $0.properties["address"] == nil })
        #expect(Set(plain[0].properties.keys) == ["household_id", "building_id", "grid_id", "residents"])
        #expect(try export.features(.incidents).allSatisfy { $0.properties["description"] == nil })
        var personal = export
        personal.includePersonal = true
        #expect(try personal.features(.households).allSatisfy { $0.properties["address"]?.stringValue?.isEmpty == false })
    }

    @Test func geoPackageHasTheRequiredTablesASpatialIndexAndBinaryHeader() throws {
        let scratch = Scratch()
        let path = scratch.path + "/one.gpkg"
        let square = rectangle(119.3, 29.5, 119.31, 29.51)
        try OGRLayerWriter(path: path, format: .gpkg).write(layer: "squares", features: [
            Feature(geometry: square, properties: ["n": .number(1), "name": .string("一")]),
        ])
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(try db.query("PRAGMA application_id")[0][0].intValue == 0x4750_4B47)
        #expect((try db.query("PRAGMA user_version")[0][0].intValue ?? 0) >= 10200)
        #expect(try db.query("SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = 'squares'")
            .first.map { [$0[0].stringValue ?? "", "\($0[1].intValue ?? 0)"] } == ["MULTIPOLYGON", "4326"])
        #expect(try db.query("SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326)")[0][0].intValue == 3)
        // The R-tree QGIS relies on, registered as the gpkg_rtree_index extension and filled.
        #expect(try db.query("SELECT count(*) FROM gpkg_extensions WHERE table_name = 'squares' AND extension_name = 'gpkg_rtree_index'")[0][0].intValue == 1)
        #expect(try db.query("SELECT count(*) FROM rtree_squares_geom")[0][0].intValue == 1)
        let blob = try #require(try db.query("SELECT geom FROM squares")[0][0].blobValue)
        #expect(Array(blob.prefix(3)) == [0x47, 0x50, 0])
        // Little-endian flags with an [minx, maxx, miny, maxy] envelope (envelope code 1 in bits 1-3).
        #expect(blob[3] & 0b1 == 1 && (blob[3] >> 1) & 0b111 == 1)
        // After the 8-byte header and the 32-byte envelope: little-endian WKB of a MultiPolygon (type 6).
        #expect(Array(blob[40..<45]) == [1, 6, 0, 0, 0])
        let minX = blob[8..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(Double(bitPattern: UInt64(littleEndian: minX)) == 119.3)
        // Writing the layer again replaces it; another layer in the same file stays.
        try OGRLayerWriter(path: path, format: .gpkg).write(layer: "other", features: [Feature(geometry: square)])
        try OGRLayerWriter(path: path, format: .gpkg).write(layer: "squares", features: [])
        let reopened = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(try reopened.query("SELECT count(*) FROM squares")[0][0].intValue == 0)
        #expect(try reopened.query("SELECT count(*) FROM other")[0][0].intValue == 1)
        #expect(throws: ReportError.self) { try OGRLayerWriter(path: path, format: .gpkg).write(layer: "bad name;", features: []) }
    }

    /// Property names come from users' files and become column names: quotes and SQL in them stay text.
    @Test func hostilePropertyNamesAreQuotedNotExecuted() throws {
        let scratch = Scratch()
        let path = scratch.path + "/hostile.gpkg"
        let hostile = "x\"; DROP TABLE gpkg_contents; --"
        try OGRLayerWriter(path: path, format: .gpkg).write(layer: "squares", features: [
            Feature(geometry: rectangle(119.3, 29.5, 119.31, 29.51), properties: [hostile: .string("kept")]),
        ])
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(try db.query("SELECT count(*) FROM gpkg_contents")[0][0].intValue == 1)
        let row = try db.query("SELECT * FROM squares")[0]
        #expect(row[hostile] == .text("kept"))
    }
}
