import Foundation
import GeoJSON
import GridworkTestSupport
import Testing
@testable import GridGDAL

/// A scratch folder for one test, removed when the test ends.
final class Scratch {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "gridgdal-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        try! text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

/// Runs ogr2ogr (GDAL's own writer, so the files are not made by the code under test) and requires success.
func ogr2ogr(_ arguments: [String]) throws {
    let result = try #require(try ExternalTool.run("ogr2ogr", arguments))
    try #require(result.status == 0, "ogr2ogr \(arguments.joined(separator: " ")): \(result.output)")
}

let requiresOGR2OGR = ConditionTrait.requiresTool("ogr2ogr", ["--version"], fix: "install gdal-bin (tools/setup --checks)")

/// Two villages, one with a hole, with Chinese names, an integer, a real and a null.
let villagesGeoJSON = """
    {"type":"FeatureCollection","features":[
    {"type":"Feature","properties":{"village_id":"V1","name":"梅城镇新安村","households":120,"area_km2":1.25,"note":null},
     "geometry":{"type":"Polygon","coordinates":[[[119.0,29.0],[119.02,29.0],[119.02,29.02],[119.0,29.02],[119.0,29.0]],
       [[119.005,29.005],[119.005,29.01],[119.01,29.01],[119.01,29.005],[119.005,29.005]]]}},
    {"type":"Feature","properties":{"village_id":"V2","name":"乾潭镇胥岭村","households":7,"area_km2":0.5,"note":"山区"},
     "geometry":{"type":"MultiPolygon","coordinates":[[[[119.03,29.0],[119.04,29.0],[119.04,29.01],[119.03,29.0]]],
       [[[119.05,29.0],[119.06,29.0],[119.06,29.01],[119.05,29.0]]]]}}
    ]}
    """

@Suite(requiresOGR2OGR) struct OGRDatasetTests {
    @Test func readsFieldsValuesAndGeometryOfAGeoPackageMadeByOGR2OGR() throws {
        let scratch = Scratch()
        let source = scratch.write("villages.geojson", villagesGeoJSON)
        let gpkg = scratch.path + "/villages.gpkg"
        try ogr2ogr(["-f", "GPKG", gpkg, source, "-nln", "villages", "-a_srs", "EPSG:4490"])

        let dataset = try OGRDataset.open(gpkg)
        #expect(dataset.driverName == "GPKG")
        #expect(dataset.layerNames == ["villages"])
        let layer = try #require(dataset.layer(named: "villages"))
        #expect(layer.featureCount() == 2)
        let fields = layer.fields
        #expect(fields.map(\.name) == ["village_id", "name", "households", "area_km2", "note"])
        #expect(fields.map(\.kind) == [.string, .string, .integer, .real, .string])
        let srs = try #require(layer.spatialReference)
        #expect(srs.epsgCode() == 4490)
        #expect(srs.isGeographic)

        let first = try #require(try layer.nextFeature())
        #expect(first.fid == 1)
        #expect(first.values == [.string("V1"), .string("梅城镇新安村"), .integer(120), .real(1.25), .null])
        guard case .polygon(let polygon)? = try first.geometry() else {
            Issue.record("expected a polygon, got \(String(describing: try first.geometry()))")
            return
        }
        #expect(polygon.exterior.positions.first == Position(119.0, 29.0))
        #expect(polygon.holes.count == 1)
        let second = try #require(try layer.nextFeature())
        #expect(second.values[1] == .string("乾潭镇胥岭村"))
        guard case .multiPolygon(let multi)? = try second.geometry() else {
            Issue.record("expected a multipolygon")
            return
        }
        #expect(multi.polygons.count == 2)
        #expect(try layer.nextFeature() == nil)
        layer.resetReading()
        #expect(try layer.nextFeature()?.fid == 1)
    }

    @Test func readsAGBKShapefileInGaussKrugerWithItsEncodingAndCRS() throws {
        let scratch = Scratch()
        let source = scratch.write("villages.geojson", villagesGeoJSON)
        let shp = scratch.path + "/villages.shp"
        try ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:4528", "-lco", "ENCODING=CP936", shp, source])
        // The .dbf really holds GBK bytes: 梅 is C3 B7 in GBK.
        let dbf = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.path + "/villages.dbf")))
        #expect(dbf.indices.dropLast().contains { dbf[$0] == 0xC3 && dbf[$0 + 1] == 0xB7 })

        let layer = try OGRDataset.open(shp).layer(at: 0)
        #expect(layer.metadataItem("SOURCE_ENCODING", domain: "SHAPEFILE") == "CP936")
        #expect(layer.spatialReference?.epsgCode() == 4528)
        let feature = try #require(try layer.nextFeature())
        #expect(feature.fid == 0)
        #expect(feature.values[1] == .string("梅城镇新安村"))
        // Zone-prefixed easting: 40 500 000 m false easting, so x is about 40.4 million.
        let x = try #require(try feature.geometry()?.boundingBox?.minX)
        #expect(x > 40_000_000 && x < 41_000_000)
    }

    @Test func withoutACpgFileGBKBytesComeThroughUndecodedUnlessAnEncodingIsGiven() throws {
        let scratch = Scratch()
        let source = scratch.write("villages.geojson", villagesGeoJSON)
        let shp = scratch.path + "/villages.shp"
        try ogr2ogr(["-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", shp, source])
        try FileManager.default.removeItem(atPath: scratch.path + "/villages.cpg")

        let raw = try OGRDataset.open(shp).layer(at: 0)
        #expect(raw.metadataItem("SOURCE_ENCODING", domain: "SHAPEFILE") ?? "" == "")
        guard case .undecodedText(let bytes) = try #require(try raw.nextFeature()).values[1] else {
            Issue.record("GBK text without a .cpg should not decode as UTF-8")
            return
        }
        #expect(Array(bytes.prefix(2)) == [0xC3, 0xB7])  // 梅 in GBK

        let recoded = try OGRDataset.open(shp, openOptions: ["ENCODING": "GBK"]).layer(at: 0)
        #expect(try recoded.nextFeature()?.values[1] == .string("梅城镇新安村"))
    }

    @Test func failuresCarryGDALsMessage() throws {
        let scratch = Scratch()
        let junk = scratch.write("junk.gpkg", "this is not a geopackage")
        do {
            _ = try OGRDataset.open(junk)
            Issue.record("opening junk should fail")
        } catch let error as GDALError {
            #expect(error.operation.contains("GDALOpenEx"))
            #expect(!error.message.isEmpty, "\(error)")
        }
        do {
            _ = try OGRDataset.open(scratch.path + "/missing.shp")
            Issue.record("opening a missing file should fail")
        } catch let error as GDALError {
            #expect(error.message.contains("No such file") || error.message.contains("does not exist"), "\(error)")
        }
    }

    @Test func writesAGeoPackageThatOGRInfoReadsBack() throws {
        let scratch = Scratch()
        let path = scratch.path + "/out.gpkg"
        let dataset = try OGRDataset.create(path, driver: "GPKG")
        let layer = try dataset.createLayer("grids", geometryType: .multiPolygon,
                                            spatialReference: try OGRSpatialReference(epsg: 4326))
        try layer.createField(OGRFieldDefinition(name: "grid_id", kind: .string))
        try layer.createField(OGRFieldDefinition(name: "households", kind: .integer64))
        try layer.createField(OGRFieldDefinition(name: "staffed", kind: .boolean))
        let square = Geometry.multiPolygon(MultiPolygon([Polygon(exterior: LinearRing([
            Position(119, 29), Position(119.01, 29), Position(119.01, 29.01), Position(119, 29.01), Position(119, 29),
        ]))]))
        try dataset.transaction {
            try layer.write(values: [.string("网格一"), .integer(42), .boolean(true)], wkb: WKB.encode(square))
            try layer.write(values: [.string("G2"), .null, .boolean(false)], wkb: nil)
        }
        try dataset.close()

        let info = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-al", path]))
        #expect(info.status == 0, "\(info.output)")
        #expect(info.stdout.contains("grid_id (String) = 网格一"))
        #expect(info.stdout.contains("households (Integer64) = 42"))
        #expect(info.stdout.contains("staffed (Integer(Boolean)) = 1"))
        #expect(info.stdout.contains("MULTIPOLYGON (((119 29,119.01 29.0,119.01 29.01,119.0 29.01,119 29)))"), "\(info.stdout)")
        let back = try OGRDataset.open(path).layer(at: 0)
        #expect(try back.nextFeature()?.geometry() == square)
    }
}
