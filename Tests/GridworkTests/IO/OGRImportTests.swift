import Foundation
import GeoJSON
import GridworkTestSupport
import Testing
@testable import Gridwork

/// Files made by GDAL itself (`ogr2ogr`) from GeoJSON fixtures, imported through `OGRFeatureSource`.
@Suite(.requiresTool("ogr2ogr", ["--version"], fix: "install gdal-bin (tools/setup --checks)"))
struct OGRImportTests {
    /// Three grids in two villages around (119.3, 29.5), with Chinese names and the ids as properties.
    static let gridsJSON = collection([
        ogrGrid("G1", 119.30, 29.50, "V1", "新安村第一网格"),
        ogrGrid("G2", 119.31, 29.50, "V1", "新安村第二网格"),
        ogrGrid("G3", 119.30, 29.51, "V2", "胥岭村网格"),
    ])
    static let villagesJSON = collection([
        "{\"type\":\"Feature\",\"properties\":{\"village_id\":\"V1\",\"name\":\"梅城镇新安村\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.30,29.50],[119.32,29.50],[119.32,29.51],[119.30,29.51],[119.30,29.50]]]}}",
        "{\"type\":\"Feature\",\"properties\":{\"village_id\":\"V2\",\"name\":\"乾潭镇胥岭村\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.30,29.51],[119.31,29.51],[119.31,29.52],[119.30,29.52],[119.30,29.51]]]}}",
    ])

    static func ogrGrid(_ id: String, _ x: Double, _ y: Double, _ village: String, _ name: String,
                        size: Double = 0.01) -> String {
        let ring = "[[\(x),\(y)],[\(x + size),\(y)],[\(x + size),\(y + size)],[\(x),\(y + size)],[\(x),\(y)]]"
        return "{\"type\":\"Feature\",\"properties\":{\"grid_id\":\"\(id)\",\"village_id\":\"\(village)\"," +
            "\"name\":\"\(name)\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[\(ring)]}}"
    }

    static func ogr2ogr(_ arguments: [String]) throws {
        let result = try #require(try ExternalTool.run("ogr2ogr", arguments))
        try #require(result.status == 0, "ogr2ogr \(arguments.joined(separator: " ")): \(result.output)")
    }

    /// Imports and returns the stored grids and villages, or the errors.
    static func importing(_ options: ImportOptions, _ scratch: Scratch) throws -> Result<SQLiteCountyStore, ImportFailed> {
        let store = try SQLiteCountyStore(path: scratch.db)
        do {
            _ = try CountyImporter(options: options).run(into: store)
            return .success(store)
        } catch let failed as ImportFailed {
            return .failure(failed)
        }
    }

    /// The stored grids match the fixture: ids, villages, Chinese names, and corners within a millimetre.
    static func expectFixtureGrids(_ store: any CountyStore) throws {
        let grids = try store.grids()
        #expect(grids.map(\.gridID) == ["G1", "G2", "G3"])
        #expect(grids.map(\.name) == ["新安村第一网格", "新安村第二网格", "胥岭村网格"])
        #expect(grids.map(\.villageID) == ["V1", "V1", "V2"])
        let expected = [(119.30, 29.50), (119.31, 29.50), (119.30, 29.51)]
        for (grid, (x, y)) in zip(grids, expected) {
            let box = try #require(grid.geometry.boundingBox)
            // 1e-8° is about a millimetre.
            #expect(abs(box.minX - x) < 1e-8 && abs(box.minY - y) < 1e-8, "\(grid.gridID): \(box)")
            #expect(abs(box.maxX - (x + 0.01)) < 1e-8 && abs(box.maxY - (y + 0.01)) < 1e-8, "\(grid.gridID): \(box)")
        }
    }

    @Test(arguments: [4528, 4549])
    func gbkShapefileInGaussKrugerKeepsChineseNamesAndLandsInPlace(epsg: Int) throws {
        let scratch = Scratch()
        let source = scratch.write("grids.geojson", Self.gridsJSON)
        let villages = scratch.write("villages.geojson", Self.villagesJSON)
        let shp = scratch.path + "/grids.shp", villagesShp = scratch.path + "/villages.shp"
        try Self.ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:\(epsg)", "-lco", "ENCODING=CP936", shp, source])
        try Self.ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:\(epsg)", "-lco", "ENCODING=CP936", villagesShp, villages])
        // Zone 40 puts 40 in front of the easting; 4549 (CM 120°E) does not.
        let extent = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-so", "-al", shp])).stdout
        #expect(extent.contains(epsg == 4528 ? "Extent: (404" : "Extent: (4"), "\(extent)")
        var options = ImportOptions(grids: shp)
        options.villages = villagesShp
        let store = try Self.importing(options, scratch).get()
        try Self.expectFixtureGrids(store)
        #expect(try store.villages().map(\.name) == ["梅城镇新安村", "乾潭镇胥岭村"])
    }

    @Test func shapefileWithoutCpgNeedsAnEncodingAndThenReadsGBK() throws {
        let scratch = Scratch()
        let source = scratch.write("grids.geojson", Self.gridsJSON)
        let shp = scratch.path + "/grids.shp"
        try Self.ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:4549", "-lco", "ENCODING=CP936", shp, source])
        try FileManager.default.removeItem(atPath: scratch.path + "/grids.cpg")
        guard case .failure(let failed) = try Self.importing(ImportOptions(grids: shp), scratch) else {
            Issue.record("GBK text without .cpg or --encoding was accepted")
            return
        }
        let problem = try #require(failed.problems.first)
        #expect(problem.file == "grids.shp" && problem.place == "file")
        #expect(problem.reason.contains("not UTF-8") && problem.reason.contains("no .cpg"), "\(problem)")
        #expect(problem.fix.contains("--encoding GBK"), "\(problem)")

        for encoding in ["GBK", "GB18030"] {
            let again = Scratch()
            var options = ImportOptions(grids: shp)
            options.sourceOptions.encoding = encoding
            try Self.expectFixtureGrids(try Self.importing(options, again).get())
        }
    }

    @Test func shapefileWithoutPrjIsRefusedWithTheFixAndReadWithCRS() throws {
        let scratch = Scratch()
        let source = scratch.write("grids.geojson", Self.gridsJSON)
        let shp = scratch.path + "/grids.shp"
        try Self.ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:4528", "-lco", "ENCODING=UTF-8", shp, source])
        try FileManager.default.removeItem(atPath: scratch.path + "/grids.prj")
        guard case .failure(let failed) = try Self.importing(ImportOptions(grids: shp), scratch) else {
            Issue.record("a Shapefile without .prj was accepted")
            return
        }
        #expect(failed.problems.count == 1)
        let problem = try #require(failed.problems.first)
        #expect(problem.place == "file")
        #expect(problem.reason == "the Shapefile has no .prj file, so the coordinates' CRS is unknown", "\(problem)")
        #expect(problem.fix.hasPrefix("pass --crs with the CRS the coordinates are in"), "\(problem)")

        var options = ImportOptions(grids: shp)
        options.crs = "EPSG:4528"
        try Self.expectFixtureGrids(try Self.importing(options, Scratch()).get())
    }

    @Test func geoPackageWithAnUndefinedSRSAsksForCRS() throws {
        let scratch = Scratch()
        let gpkg = scratch.path + "/grids.gpkg"
        try Self.ogr2ogr(["-f", "GPKG", gpkg, scratch.write("g.geojson", Self.gridsJSON), "-nln", "grids", "-a_srs", "None"])
        guard case .failure(let failed) = try Self.importing(ImportOptions(grids: gpkg), scratch) else {
            Issue.record("an undefined SRS was taken as longitude/latitude")
            return
        }
        #expect(failed.problems.first?.reason ==
                    "the GPKG layer grids has an undefined CRS (Undefined geographic SRS), so the coordinates' CRS is unknown")
        #expect(failed.problems.first?.fix.hasPrefix("pass --crs") == true)
        var options = ImportOptions(grids: gpkg)
        options.crs = "EPSG:4326"
        try Self.expectFixtureGrids(try Self.importing(options, Scratch()).get())
    }

    @Test func twoLayerGeoPackageGivesEachRoleItsLayer() throws {
        let scratch = Scratch()
        let gpkg = scratch.path + "/county.gpkg"
        try Self.ogr2ogr(["-f", "GPKG", gpkg, scratch.write("g.geojson", Self.gridsJSON), "-nln", "grids"])
        try Self.ogr2ogr(["-update", "-f", "GPKG", gpkg, scratch.write("v.geojson", Self.villagesJSON), "-nln", "villages"])
        var options = ImportOptions(grids: gpkg)
        options.villages = gpkg
        let store = try Self.importing(options, scratch).get()
        try Self.expectFixtureGrids(store)
        #expect(try store.villages().map(\.villageID) == ["V1", "V2"])

        // Layers named otherwise: --layer chooses, and without it the refusal lists the layers.
        let renamed = scratch.path + "/renamed.gpkg"
        try Self.ogr2ogr(["-f", "GPKG", renamed, scratch.write("g2.geojson", Self.gridsJSON), "-nln", "wangge"])
        try Self.ogr2ogr(["-update", "-f", "GPKG", renamed, scratch.write("v2.geojson", Self.villagesJSON), "-nln", "cun"])
        guard case .failure(let failed) = try Self.importing(ImportOptions(grids: renamed), Scratch()) else {
            Issue.record("an ambiguous GeoPackage was read")
            return
        }
        #expect(failed.problems.first?.reason == #"the file holds 2 layers ("wangge", "cun") and none is chosen"#)
        #expect(failed.problems.first?.fix == "choose one with --layer grids=NAME")
        var chosen = ImportOptions(grids: renamed)
        chosen.villages = renamed
        chosen.sourceOptions.layers = [.grid: "wangge", .village: "cun"]
        try Self.expectFixtureGrids(try Self.importing(chosen, Scratch()).get())
    }

    @Test(arguments: [("KML", "grids.kml"), ("LIBKML", "grids.kmz"), ("OpenFileGDB", "grids.gdb"),
                      ("GeoJSONSeq", "grids.geojsonl"), ("CSV", "grids.csv"), ("FlatGeobuf", "grids.fgb")])
    func everyOtherFormatReadsTheSameGrids(driver: String, file: String) throws {
        let scratch = Scratch()
        let source = scratch.write("grids.geojson", Self.gridsJSON)
        let path = scratch.path + "/" + file
        var arguments = ["-f", driver, path, source]
        if driver == "CSV" { arguments += ["-lco", "GEOMETRY=AS_WKT"] }
        if driver == "OpenFileGDB" || driver == "FlatGeobuf" { arguments += ["-nln", "grids"] }
        try Self.ogr2ogr(arguments)
        try Self.expectFixtureGrids(try Self.importing(ImportOptions(grids: path), scratch).get())
    }

    @Test(.requiresPython()) func zippedShapefileIsReadThroughVsizip() throws {
        let scratch = Scratch()
        let source = scratch.write("grids.geojson", Self.gridsJSON)
        let folder = scratch.path + "/shp"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:4549", "-lco", "ENCODING=UTF-8", folder + "/grids.shp",
                          source])
        let zip = scratch.path + "/grids.zip"
        let zipped = try Python.run("""
            import sys, zipfile, os
            with zipfile.ZipFile(sys.argv[1], 'w') as z:
                for n in sorted(os.listdir(sys.argv[2])): z.write(os.path.join(sys.argv[2], n), n)
            """, [zip, folder])
        try #require(zipped.status == 0, "\(zipped.output)")
        try Self.expectFixtureGrids(try Self.importing(ImportOptions(grids: zip), scratch).get())
        try Self.expectFixtureGrids(try Self.importing(ImportOptions(grids: "/vsizip/" + zip + "/grids.shp"), Scratch()).get())
    }

    @Test(.requiresPython()) func northingFirstFileIsReadWithAxisOrder() throws {
        let scratch = Scratch()
        let source = scratch.write("grids.geojson", Self.gridsJSON)
        // A surveyor's file: x holds the northing, y the easting. GDAL projects to zone 40, Python swaps the axes.
        let projected = scratch.path + "/projected.geojson", swapped = scratch.path + "/swapped.geojson"
        try Self.ogr2ogr(["-f", "GeoJSON", "-t_srs", "EPSG:4528", "-lco", "COORDINATE_PRECISION=6", projected, source])
        let swap = try Python.run("""
            import json, sys
            d = json.load(open(sys.argv[1], encoding='utf-8'))
            for f in d['features']:
                f['geometry']['coordinates'] = [[[p[1], p[0]] for p in r] for r in f['geometry']['coordinates']]
            d.pop('crs', None)
            json.dump(d, open(sys.argv[2], 'w', encoding='utf-8'), ensure_ascii=False)
            """, [projected, swapped])
        try #require(swap.status == 0, "\(swap.output)")
        let shp = scratch.path + "/grids.shp"
        try Self.ogr2ogr(["-f", "ESRI Shapefile", "-a_srs", "EPSG:4528", "-lco", "ENCODING=UTF-8", shp, swapped])
        guard case .failure(let failed) = try Self.importing(ImportOptions(grids: shp), scratch) else {
            Issue.record("swapped axes were accepted without --axis-order")
            return
        }
        #expect(!failed.problems.isEmpty)
        var options = ImportOptions(grids: shp)
        options.sourceOptions.northingFirst = true
        let store = try Self.importing(options, Scratch()).get()
        // Millimetre coordinates in the projected file: within 1e-7° of the fixture.
        let box = try #require(try store.grids().first?.geometry.boundingBox)
        #expect(abs(box.minX - 119.30) < 1e-7 && abs(box.minY - 29.50) < 1e-7, "\(box)")
        #expect(try store.grids().map(\.name) == ["新安村第一网格", "新安村第二网格", "胥岭村网格"])
    }

    @Test func bowTieGridInAShapefileIsRefusedByIdAndFID() throws {
        let scratch = Scratch()
        let bowtie = "{\"type\":\"Feature\",\"properties\":{\"grid_id\":\"BOW\",\"village_id\":\"V1\",\"name\":\"蝴蝶\"}," +
            "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.3,29.5],[119.32,29.52],[119.32,29.5],[119.3,29.52],[119.3,29.5]]]}}"
        let source = scratch.write("bad.geojson", collection([Self.ogrGrid("G1", 119.30, 29.50, "V1", "一"), bowtie]))
        let shp = scratch.path + "/bad.shp"
        try Self.ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:4549", shp, source])
        guard case .failure(let failed) = try Self.importing(ImportOptions(grids: shp), scratch) else {
            Issue.record("a bow-tie grid was accepted")
            return
        }
        let errors = failed.problems.filter { $0.severity == .error }
        #expect(errors.count == 1)
        let problem = try #require(errors.first)
        #expect(problem.file == "bad.shp")
        #expect(problem.featureID == "BOW")
        #expect(problem.place == "feature #1", "the OGR FID of the second Shapefile record")
        #expect(problem.reason.hasPrefix("invalid polygon: Self-intersection at "), "\(problem)")
    }
}
