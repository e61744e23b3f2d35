import Foundation
import GeoJSON
import GridProjection
import Testing
@testable import Gridwork

/// The placement rules: CRS, finite numbers, swapped lon/lat, PROJ transforms, offset frames, outside with hints.
@Suite struct PointPlacerTests {
    let county = TestCounty(seed: 3)

    func placer(snapMetres: Double = 0) throws -> PointPlacer {
        try PointPlacer(grids: county.grids, buildings: county.buildings, snapMetres: snapMetres)
    }

    /// A point well inside grid G0000's cell.
    var inside: Position { Position(TestCounty.origin.x + 0.5 * TestCounty.unit, TestCounty.origin.y + 0.5 * TestCounty.unit) }

    @Test func locatesLonLatPointsAsTheLocatorDoes() throws {
        let placer = try placer()
        let expected = try GridLocator(grids: county.grids, buildings: county.buildings).locate(inside)
        let placed = try placer.locate(x: inside.x, y: inside.y, crsText: "EPSG:4326")
        #expect(placed.result == expected && placed.result.gridID == "G0000")
        #expect(placed.lon == inside.x && placed.lat == inside.y && placed.crs == .wgs84)
    }

    @Test func everyRefusalHasItsCaseAndMessage() throws {
        let placer = try placer()
        func error(_ x: Double, _ y: Double, _ crs: String) -> PlacementError? {
            do {
                _ = try placer.locate(x: x, y: y, crsText: crs)
                return nil
            } catch {
                return error as? PlacementError
            }
        }
        let bad = error(1, 2, "EPSG:nope")
        guard case .badCRS(let text, _) = bad else { Issue.record("\(String(describing: bad))"); return }
        #expect(text == "EPSG:nope" && bad!.description.contains("is not a CRS gridwork takes"))
        #expect(error(.nan, 29, "EPSG:4326") == .notFinite)
        #expect(error(.nan, 29, "EPSG:4326")?.description == "location x and y must be finite numbers")
        let swapped = error(inside.y, inside.x, "EPSG:4326")
        #expect(swapped == .looksSwapped(x: inside.y, y: inside.x))
        #expect(swapped?.description == "location (\(inside.y), \(inside.x)): x and y look swapped; x is the longitude, y the latitude")
        guard case .notLonLat = error(500_000, 3_300_000, "EPSG:4326") else { Issue.record("metres as lon/lat"); return }
        guard case .outside(_, _, _, _, let hint) = error(100, 30, "EPSG:4326") else { Issue.record("outside"); return }
        #expect(hint.contains("GCJ02"))
        #expect(error(100, 30, "EPSG:4326")!.description.hasPrefix("location (100.0, 30.0) in EPSG:4326 is outside the county's grids (county extent lon "))
    }

    @Test func projectedAndOffsetFramesLandInTheSameGrid() throws {
        let placer = try placer()
        let metres = try CoordinateTransformer(from: .wgs84, to: .epsg(4549)).transform(inside)
        #expect(try placer.locate(x: metres.x, y: metres.y, crsText: "EPSG:4549").result.gridID == "G0000")
        let gcj = ChineseOffset.wgs84ToGCJ02(inside)
        let placed = try placer.locate(x: gcj.x, y: gcj.y, crsText: "GCJ02")
        #expect(placed.result.gridID == "G0000" && placed.crs == .gcj02)
        #expect(abs(placed.lon - inside.x) < 1e-5 && abs(placed.lat - inside.y) < 1e-5)
        let bd = ChineseOffset.wgs84ToBD09(inside)
        #expect(try placer.locate(x: bd.x, y: bd.y, crsText: "BD09").result.gridID == "G0000")
    }

    @Test func concurrentCallsShareTheTransformerPool() async throws {
        let placer = try placer()
        let metres = try CoordinateTransformer(from: .wgs84, to: .epsg(4549)).transform(inside)
        let found = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<64 { group.addTask { try placer.locate(x: metres.x, y: metres.y, crsText: "EPSG:4549").result.gridID } }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(found.count == 64 && found.allSatisfy { $0 == "G0000" })
    }

    @Test func noGridsIsADomainError() {
        #expect(throws: PlacementError.noGrids) { try PointPlacer(grids: [], buildings: [], snapMetres: 0) }
    }

    /// The bulk geocoder applies the same swap rule: a row whose (lat, lon) falls in the county is invalid with
    /// the placer's reason.
    @Test func theGeocodeJobReportsSwappedRows() throws {
        let scratch = Scratch()
        let text = "id,lon,lat\nA1,\(inside.x),\(inside.y)\nA2,\(inside.y),\(inside.x)\nA3,500,20\n"
        let input = scratch.write("points.csv", text)
        let summary = try GeocodeJob(threads: 1).run(points: input, output: scratch.path + "/out.csv", placer: try placer())
        #expect(summary.invalidRows.map(\.id) == ["A2", "A3"])
        #expect(summary.invalidRows[0].reason == PlacementError.looksSwapped(x: inside.y, y: inside.x).description)
        #expect(summary.invalidRows[1].reason.contains("out of range") && summary.invalidRows[1].reason.contains("--crs"))
        #expect(summary.byStatus[.inside] == 1)
    }
}
