import DispatchTestSupport
import Foundation
import Gridwork
@testable import GridworkDispatch
import Testing

/// A boundary version imported while the service runs is served without a restart.
@Suite("Boundary versions picked up while serving")
struct BoundaryReloadTests {
    @Test("a new version in the county file is found by the version check; new incidents are placed in its grids")
    func sqliteVersionCheck() throws {
        let f = try Fixture()
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        let before = try f.service.intake(IntakeRequest(category: "garbage", description: "before",
                                                        location: .init(x: p.lon, y: p.lat)), by: reporter).incident
        #expect(try f.service.reloadBoundaries() == nil, "nothing newer yet")
        let first = f.service.directory.versionID

        // Redrawn grids: the same shapes under new ids, imported as the next version.
        let original = try String(contentsOfFile: f.dir + "/sample/grids.geojson", encoding: .utf8)
        let renamed = original.replacingOccurrences(of: "-G0", with: "-N0")
        #expect(renamed != original)
        try renamed.write(toFile: f.dir + "/redrawn.geojson", atomically: true, encoding: .utf8)
        let summary = try CountyImporter(options: ImportOptions(grids: f.dir + "/redrawn.geojson"))
            .run(into: try SQLiteCountyStore(path: f.dbPath))
        let second = try #require(summary.versionID)
        #expect(second > first)

        #expect(try f.service.reloadBoundaries() == second)
        #expect(f.service.directory.versionID == second)
        #expect(f.service.geocoder.grids.allSatisfy { $0.gridID.contains("-N0") })
        let after = try f.service.intake(IntakeRequest(category: "garbage", description: "after",
                                                       location: .init(x: p.lon, y: p.lat)), by: reporter).incident
        #expect(after.gridID == p.grid.replacingOccurrences(of: "-G0", with: "-N0"))
        #expect(try f.service.store.incident(id: before.id)?.gridID == p.grid, "stored incidents keep their grids")
        #expect(try f.service.reloadBoundaries() == nil, "already serving the newest")
    }
}
