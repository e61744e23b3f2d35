import Foundation
import SampleCounty
import Testing
@testable import Gridwork
@testable import GridworkCLI

@Suite struct GeocodeCommandTests {
    /// `gridwork geocode` on the tiny sample: every household lands in the grid and building the generator put it in.
    @Test func geocodesTheTinySampleHouseholds() throws {
        let scratch = Scratch()
        try SampleCountyGenerator(preset: .tiny, seed: 3).generate().write(to: scratch.path)
        let out = scratch.path + "/out.csv"
        var command = try GridworkCommand.parseAsRoot([
            "geocode", "--grids", scratch.path + "/grids.geojson", "--buildings", scratch.path + "/buildings.geojson",
            "--points", scratch.path + "/households.csv", "--out", out, "--threads", "2",
        ])
        try command.run()
        let rows = try readOutput(out)
        let header = rows[0]
        #expect(Array(header.prefix(4)) == ["id", "grid_id", "building_id", "status"])
        let givenGrid = try #require(header.firstIndex(of: "input_grid_id"))
        let givenBuilding = try #require(header.firstIndex(of: "input_building_id"))
        #expect(header.contains("address") && header.contains("residents"))
        #expect(rows.count == 321)
        for row in rows.dropFirst() {
            #expect(row[3] == "inside", "\(row)")
            #expect(row[1] == row[givenGrid] && row[2] == row[givenBuilding], "\(row)")
        }
    }

    /// Points given in GCJ-02 with snapping through the command line; a bad CRS is a clear usage error.
    @Test func acceptsOtherSystemsAndRefusesUnknownOnes() throws {
        let scratch = Scratch()
        try SampleCountyGenerator(preset: .tiny, seed: 3).generate().write(to: scratch.path)
        let points = scratch.write("gcj.csv", "id,lon,lat\nfar,100.0,20.0\n")
        let grids = scratch.path + "/grids.geojson"
        var command = try GridworkCommand.parseAsRoot(["geocode", "--grids", grids, "--points", points, "--crs", "GCJ02",
                                                        "--snap-metres", "30"])
        try command.run()
        let rows = try readOutput(scratch.path + "/gcj.geocoded.csv")
        #expect(rows == [["id", "grid_id", "building_id", "status"], ["far", "", "", "outside"]])
        var bad = try GridworkCommand.parseAsRoot(["geocode", "--grids", grids, "--points", points, "--crs", "EPSG:999999"])
        do {
            try bad.run()
            Issue.record("an unknown CRS was accepted")
        } catch {
            #expect("\(error)".contains("--crs EPSG:999999"))
        }
        #expect(throws: (any Error).self) {
            _ = try GridworkCommand.parseAsRoot(["geocode", "--points", points])
        }
    }
}
