import Foundation
import GridworkTestSupport
import Testing
@testable import Gridwork
@testable import GridworkCLI

/// `gridwork import`'s GIS options: --layer, --encoding, --axis-order, and virtual paths.
@Suite struct ImportFormatOptionsTests {
    func parse(_ extra: [String]) throws -> ImportCommand {
        let scratch = Scratch()
        let grids = scratch.write("grids.geojson", validGrids())
        let command = try GridworkCommand.parseAsRoot(["import", "--db", scratch.db, "--grids", grids] + extra)
        return try #require(command as? ImportCommand)
    }

    @Test func layerChoicesByRoleAndPlain() throws {
        let command = try parse(["--layer", "villages=cun", "--layer", "wangge", "--layer", "buildings=louyu"])
        #expect(try command.layerChoices() == [.village: "cun", nil: "wangge", .building: "louyu"])
    }

    @Test(arguments: [["--layer", "roads=r"], ["--layer", "grids="], ["--axis-order", "x-first"]])
    func badChoicesAreRefusedWithTheFix(extra: [String]) {
        do {
            _ = try parse(extra)
            Issue.record("\(extra) was accepted")
        } catch {
            let message = GridworkCommand.message(for: error)
            #expect(message.contains("ROLE=NAME") || message.contains("easting-first or northing-first"), "\(message)")
        }
    }

    @Test func virtualPathsAreLeftToGDAL() throws {
        let scratch = Scratch()
        let command = try GridworkCommand.parseAsRoot(["import", "--db", scratch.db, "--grids",
                                                       "/vsizip//no/such/county.zip/grids.shp"])
        #expect(command is ImportCommand)
    }

    /// The whole command on a GBK Shapefile without .cpg, zone-prefixed Gauss-Krüger, made by ogr2ogr.
    @Test(.requiresTool("ogr2ogr", ["--version"], fix: "install gdal-bin (tools/setup --checks)"))
    func importCommandReadsAGBKShapefileWithEncoding() throws {
        let scratch = Scratch()
        let source = scratch.write("grids.geojson", OGRImportTests.gridsJSON)
        let shp = scratch.path + "/网格.shp"
        try OGRImportTests.ogr2ogr(["-f", "ESRI Shapefile", "-t_srs", "EPSG:4528", "-lco", "ENCODING=CP936", shp, source])
        try FileManager.default.removeItem(atPath: scratch.path + "/网格.cpg")
        let command = try #require(try GridworkCommand.parseAsRoot(
            ["import", "--db", scratch.db, "--grids", shp, "--encoding", "GBK"]) as? ImportCommand)
        try command.run()
        try OGRImportTests.expectFixtureGrids(try SQLiteCountyStore(path: scratch.db, create: false))
    }
}
