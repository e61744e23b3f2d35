import Foundation
import GeoJSON
import GridStore
import GridworkTestSupport
import Testing
@testable import Gridwork

/// Exports through GDAL/OGR, checked by GDAL's own `ogrinfo` and by importing the files back.
@Suite(.requiresTool("ogrinfo", ["--version"], fix: "install gdal-bin (tools/setup --checks)"))
struct OGRExportTests {
    static func export() throws -> LayerExport {
        try LayerExport(layers: try sampleLayers())
    }

    /// The largest coordinate difference between the vertex sets of two geometries (infinity when the counts
    /// differ): rings may come back reversed (Shapefiles wind exteriors clockwise) or start at another vertex.
    static func distance(_ a: Geometry, _ b: Geometry) -> Double {
        func vertices(_ g: Geometry) -> [Position] {
            var out = Set<Position>()
            g.forEachPosition { out.insert($0) }
            return out.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
        }
        let pa = vertices(a), pb = vertices(b)
        guard pa.count == pb.count else { return .infinity }
        return zip(pa, pb).map { max(abs($0.x - $1.x), abs($0.y - $1.y)) }.max() ?? 0
    }

    /// Export → `ogrinfo` → import gives the same grids (ids, names, villages and the same vertices) in every format.
    @Test(arguments: ExportFormat.allCases)
    func roundTripGivesTheSameGrids(format: ExportFormat) throws {
        let scratch = Scratch()
        let export = try Self.export()
        let path = scratch.path + "/grids" + format.row.extensions[0]
        let count = try export.write(.grids, to: path, format: format)
        #expect(count == export.layers.grids.count)
        let info = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-so", "-al", path]))
        #expect(info.status == 0 && info.stdout.contains("Feature Count: \(count)"), "\(info.output)")
        #expect(!info.output.contains("Warning") && !info.output.contains("ERROR"), "\(info.output)")

        let store = try SQLiteCountyStore(path: scratch.db)
        // Every written geometry passes the import's GEOS validity check (strict reader: an invalid one is refused).
        _ = try CountyImporter(options: ImportOptions(grids: path)).run(into: store)
        let back = try store.grids()
        let original = export.layers.grids
        #expect(back.map(\.gridID) == original.map(\.gridID))
        #expect(back.map(\.name) == original.map(\.name))
        #expect(back.map(\.villageID) == original.map(\.villageID))
        // Binary formats keep every bit; text formats 7 (GeoJSON) or 15 significant digits.
        let tolerance = format == .geojson ? 1e-7 : 1e-9
        for (a, b) in zip(back, original) {
            let d = Self.distance(a.geometry, b.geometry)
            #expect(d <= tolerance, "\(a.gridID) moved \(d)° in \(format)")
        }
    }

    @Test func shapefileIsUTF8WithCpgAndShortFieldNamesReadBackLong() throws {
        let scratch = Scratch()
        let export = try Self.export()
        let path = scratch.path + "/grids.shp"
        try export.write(.grids, to: path, format: .shp)
        #expect(try String(contentsOfFile: scratch.path + "/grids.cpg", encoding: .utf8) == "UTF-8")
        let info = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-so", "-al", path])).stdout
        for (long, short) in ShapefileFieldNames.short where ["building_heads", "workload_index", "overlap_area_m2",
                                                               "has_full_time_worker"].contains(long) {
            #expect(info.contains("\n\(short): "), "\(short) for \(long) in \(info)")
        }
        #expect(ShapefileFieldNames.short.values.allSatisfy { $0.count <= 10 })
        #expect(Set(ShapefileFieldNames.short.values).count == ShapefileFieldNames.short.count)
        var source: any FeatureSource = try OGRFeatureSource(path: path)
        let first = try #require(try source.next())
        #expect(first.properties["workload_index"] != nil && first.properties["building_heads"] != nil)
        #expect(first.properties["name"] == .string(export.layers.grids[0].name))
    }

    @Test func shapefileInGBKHasCodePage936AndGBKBytes() throws {
        let scratch = Scratch()
        var layers = try sampleLayers()
        layers.grids[0].name = "梅城镇新安村第一网格"
        let export = try LayerExport(layers: layers)
        let path = scratch.path + "/grids.shp"
        try export.write(.grids, to: path, format: .shp, encoding: "GBK")
        #expect(try String(contentsOfFile: scratch.path + "/grids.cpg", encoding: .utf8) == "CP936")
        let dbf = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.path + "/grids.dbf")))
        // 梅 is C3 B7 in GBK (E6 A2 85 in UTF-8).
        #expect(dbf.indices.dropLast().contains { dbf[$0] == 0xC3 && dbf[$0 + 1] == 0xB7 })
        let info = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-al", "-where", "grid_id = '\(layers.grids[0].gridID)'", path]))
        #expect(info.stdout.contains("name (String) = 梅城镇新安村第一网格"), "\(info.output)")
    }

    @Test func householdsGeoPackageHasASpatialIndexThatOGRInfoUses() throws {
        let scratch = Scratch()
        let export = try Self.export()
        let path = scratch.path + "/households.gpkg"
        let count = try export.write(.households, to: path, format: .gpkg)
        let extensions = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-q", path, "-sql",
            "SELECT extension_name FROM gpkg_extensions WHERE table_name = 'households'"]))
        #expect(extensions.stdout.contains("gpkg_rtree_index"), "\(extensions.output)")
        // A bounding-box query on the index gives exactly the households inside the box.
        let box = try #require(export.layers.grids[0].geometry.boundingBox)
        let inside = try export.features(.households).filter {
            if case .point(let p)? = $0.geometry { box.contains(p) } else { false }
        }.count
        let spat = try #require(try ExternalTool.run("ogrinfo", ["-ro", "-so", path, "households", "-spat",
            "\(box.minX)", "\(box.minY)", "\(box.maxX)", "\(box.maxY)"]))
        #expect(spat.stdout.contains("Feature Count: \(inside)"), "\(spat.output)")
        #expect(inside > 0 && inside < count)
    }
}
