import Foundation
import GeoJSON
import GridAddress
import GridGeometry
import Testing
@testable import Gridwork

/// Rows without coordinates placed by their address; rows with both checked against each other.
@Suite struct GeocodeByAddressTests {
    /// The stress county's buildings, eight of those inside a grid with door-plate addresses: six door plates with
    /// one building each, and one estate door plate with two buildings (1幢, 2幢). Returns all buildings and the
    /// eight addressed ones in that order.
    func addressedCounty() throws -> (TestCounty, [Building], [Building]) {
        let county = TestCounty(seed: 3)
        var buildings = county.buildings
        var picked: [Int] = []
        for (i, b) in buildings.enumerated() where picked.count < 8 {
            if try oracleGrid(b, county) != nil { picked.append(i) }
        }
        try #require(picked.count == 8)
        for (k, i) in picked.prefix(6).enumerated() { buildings[i].address = "样例县清埠街道云信社区湾昌路\(2 * k + 1)号" }
        buildings[picked[6]].address = "样例县清埠街道云信社区湾昌路99号锦绣花园1幢"
        buildings[picked[7]].address = "样例县清埠街道云信社区湾昌路99号锦绣花园2幢"
        return (county, buildings, picked.map { buildings[$0] })
    }

    /// The grid of a building as GEOS alone sees it: the grid covering its PointOnSurface, lowest id first.
    func oracleGrid(_ b: Building, _ county: TestCounty) throws -> String? {
        let oracle = try GEOSOracle(grids: county.grids, buildings: [])
        let inside = try GEOSGeometry(b.geometry, context: GEOSContext()).pointOnSurface()
        return try oracle.expected(inside).gridID
    }

    @Test func rowsWithoutCoordinatesArePlacedByAddress() throws {
        let (county, buildings, addressed) = try addressedCounty()
        let scratch = Scratch()
        let b0 = addressed[0].geometry.boundingBox!
        let inB0 = Position((b0.minX + b0.maxX) / 2, (b0.minY + b0.maxY) / 2)
        let text = [
            "id,lon,lat,address",
            "H1,,,样例县清埠街道云信社区湾昌路1号101室",          // exact
            "H2,,,湾昌路3号",                                   // building: town and community not given
            "H3,,,清埠街道云信社区湾昌路99号锦绣花园2幢3单元402室",   // exact, estate building 2
            "H4,,,湾昌路99号",                                   // ambiguous: two buildings
            "H5,,,湾昌路1000号",                                 // none
            "H6,,,",                                            // no coordinates, no address: invalid
            "H7,\(inB0.x),\(inB0.y),样例县清埠街道云信社区湾昌路1号",   // a point, its address agrees
            "H8,\(inB0.x),\(inB0.y),样例县清埠街道云信社区湾昌路5号",   // a point, its address names another building
            "H9,,,\"杭州市淳安县千岛湖镇新安路5号\"",                 // another county
        ].joined(separator: "\n") + "\n"
        let input = scratch.write("points.csv", text)
        var job = GeocodeJob(threads: 2)
        job.addressMatcher = try AddressMatcher.forBuildings(buildings, grids: county.grids)
        job.checkAddress = true
        let locator = try GridLocator(grids: county.grids, buildings: buildings)
        let summary = try job.run(points: input, output: scratch.path + "/out.csv", locator: locator)
        let rows = try readOutput(scratch.path + "/out.csv")
        #expect(rows[0] == ["id", "grid_id", "building_id", "status", "match", "score", "matched_address", "address"])
        func row(_ id: String) -> [String] { rows.first { $0[0] == id }! }

        let g0 = try oracleGrid(addressed[0], county), g1 = try oracleGrid(addressed[1], county)
        let g7 = try oracleGrid(addressed[7], county)
        #expect(row("H1") == ["H1", g0!, addressed[0].buildingID, "address", "exact", "1.0",
                              "样例县清埠街道云信社区湾昌路1号", "样例县清埠街道云信社区湾昌路1号101室"])
        #expect(Array(row("H2")[1...4]) == [g1!, addressed[1].buildingID, "address", "building"])
        #expect(Array(row("H3")[1...4]) == [g7!, addressed[7].buildingID, "address", "exact"])
        #expect(Array(row("H4")[1...4]) == ["", "", "unplaced", "ambiguous"])
        #expect(Array(row("H5")[1...4]) == ["", "", "unplaced", "none"])
        #expect(row("H6")[3] == "invalid" && row("H6")[4] == "")
        #expect(row("H7")[2] == addressed[0].buildingID && row("H7")[4] == "exact")
        #expect(row("H8")[2] == addressed[0].buildingID && row("H8")[4] == "exact" && row("H8")[6].hasSuffix("湾昌路5号"))
        #expect(Array(row("H9")[3...4]) == ["unplaced", "none"])

        #expect(summary.byStatus[.address] == 3 && summary.byStatus[.unplaced] == 3 && summary.byStatus[.invalid] == 1)
        #expect(summary.byMatch == [.exact: 2, .building: 1, .ambiguous: 1, .none: 2])
        #expect(summary.unplacedRows.map(\.id) == ["H4", "H5", "H9"])
        #expect(summary.unplacedRows[0].line == 5 && summary.unplacedRows[0].reason.contains("candidates"))
        #expect(summary.unplacedRows[1].reason.contains("no door plate 湾昌路1000号"))
        #expect(summary.unplacedRows[2].reason.contains("outside this county"))
        #expect(summary.invalidRows.map(\.id) == ["H6"] && summary.invalidRows[0].reason.contains("no address"))
        #expect(summary.disagreementCount == 1 && summary.disagreements.first?.id == "H8")
        #expect(summary.disagreements.first?.reason.contains(addressed[2].buildingID) == true)
    }

    @Test func withoutAMatcherTheOutputIsAsBefore() throws {
        let (county, buildings, _) = try addressedCounty()
        let scratch = Scratch()
        let input = scratch.write("points.csv", "id,lon,lat,address\nH1,,,样例县清埠街道云信社区湾昌路1号\n")
        let summary = try GeocodeJob().run(points: input, output: scratch.path + "/out.csv",
                                          locator: try GridLocator(grids: county.grids, buildings: buildings))
        let rows = try readOutput(scratch.path + "/out.csv")
        #expect(rows[0] == ["id", "grid_id", "building_id", "status", "address"])
        #expect(rows[1][3] == "invalid" && summary.byStatus[.invalid] == 1)
    }

    @Test func buildingsWithoutAddressesGiveNoMatcher() throws {
        let county = TestCounty(seed: 3)
        #expect(try AddressMatcher.forBuildings(county.buildings, grids: county.grids) == nil)
    }

    @Test func aBuildingsGridIdWinsOverItsFootprint() throws {
        let (county, buildings, addressed) = try addressedCounty()
        let withGrid = buildings.map { b in
            var b = b
            if b.buildingID == addressed[0].buildingID { b.gridID = "G-FROM-LAYER" }
            return b
        }
        let matcher = try #require(try AddressMatcher.forBuildings(withGrid, grids: county.grids))
        #expect(matcher.match("样例县清埠街道云信社区湾昌路1号").gridID == "G-FROM-LAYER")
    }
}
