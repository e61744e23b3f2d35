import Foundation
import GeoJSON
import Testing
@testable import Gridwork

/// A scratch folder for one test, removed when the test ends.
final class Scratch {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "gridwork-test-" + UUID().uuidString
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

    var db: String { path + "/county.sqlite" }
}

/// A GeoJSON FeatureCollection with one feature per line, so line numbers in errors are predictable:
/// feature i (0-based) stands on line i + 2.
func collection(_ features: [String]) -> String {
    "{\"type\":\"FeatureCollection\",\"features\":[\n" + features.joined(separator: ",\n") + "\n]}\n"
}

func squareFeature(_ id: String, _ x: Double, _ y: Double, size: Double = 0.01, village: String = "V1") -> String {
    let ring = "[[\(x),\(y)],[\(x + size),\(y)],[\(x + size),\(y + size)],[\(x),\(y + size)],[\(x),\(y)]]"
    return "{\"type\":\"Feature\",\"id\":\"\(id)\",\"properties\":{\"village_id\":\"\(village)\",\"name\":\"网格 \(id)\"}," +
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[\(ring)]}}"
}

func feature(_ id: String, _ geometryJSON: String) -> String {
    "{\"type\":\"Feature\",\"id\":\"\(id)\",\"properties\":{\"village_id\":\"V1\"},\"geometry\":\(geometryJSON)}"
}

/// Two villages' worth of valid grids around (119.3, 29.5).
func validGrids() -> String {
    collection([squareFeature("G1", 119.30, 29.50), squareFeature("G2", 119.31, 29.50),
                squareFeature("G3", 119.30, 29.51, village: "V2")])
}

let villagesJSON = collection([
    "{\"type\":\"Feature\",\"id\":\"V1\",\"properties\":{\"name\":\"一村\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.30,29.50],[119.32,29.50],[119.32,29.51],[119.30,29.51],[119.30,29.50]]]}}",
    "{\"type\":\"Feature\",\"id\":\"V2\",\"properties\":{\"name\":\"二村\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.30,29.51],[119.31,29.51],[119.31,29.52],[119.30,29.52],[119.30,29.51]]]}}",
])

@Suite struct CountyImporterTests {
    /// Imports the valid fixture and returns the store.
    func importValid(_ scratch: Scratch) throws -> SQLiteCountyStore {
        var options = ImportOptions(grids: scratch.write("grids.geojson", validGrids()))
        options.villages = scratch.write("villages.geojson", villagesJSON)
        let store = try SQLiteCountyStore(path: scratch.db)
        let summary = try CountyImporter(options: options).run(into: store)
        #expect(summary.versionID == 1)
        return store
    }

    @Test func importsValidLayersWithAreasAndProperties() throws {
        let scratch = Scratch()
        let store = try importValid(scratch)
        let grids = try store.grids()
        #expect(grids.map(\.gridID) == ["G1", "G2", "G3"])
        #expect(grids[0].villageID == "V1")
        #expect(grids[0].name == "网格 G1")
        #expect(try store.villages().count == 2)
        let area = try store.connection.query("SELECT area_m2 FROM grid WHERE grid_id = 'G1'", []).first?[0].doubleValue
        // A 0.01° square at 29.5°N is about 1,113 m × 968 m.
        #expect(area != nil && abs(area! - 1_078_000) < 10_000)
    }

    @Test func reimportKeepsTheOldVersion() throws {
        let scratch = Scratch()
        let store = try importValid(scratch)
        let redrawn = collection([squareFeature("G1", 119.30, 29.50, size: 0.02)])
        let summary = try CountyImporter(options: ImportOptions(grids: scratch.write("v2.geojson", redrawn)))
            .run(into: store)
        #expect(summary.versionID == 2)
        #expect(try store.versions().count == 2)
        #expect(try store.grids().count == 1)
        #expect(try store.grids(version: 1).count == 3)
        // Villages not given again are carried over.
        #expect(try store.villages().count == 2)
    }

    /// Runs an import that must fail, and checks that the database is exactly as before.
    func expectRefused(grids: String? = nil, households: String? = nil, staff: String? = nil, makeValid: Bool = false,
                       crs: String? = nil) throws -> [ImportProblem] {
        let scratch = Scratch()
        let store = try importValid(scratch)
        let before = try store.counts()
        var options = ImportOptions(grids: grids.map { scratch.write("bad.geojson", $0) }
                                    ?? scratch.write("again.geojson", validGrids()))
        options.households = households.map { scratch.write("households.csv", $0) }
        options.staff = staff.map { scratch.write("staff.csv", $0) }
        options.makeValid = makeValid
        options.crs = crs
        do {
            _ = try CountyImporter(options: options).run(into: store)
            Issue.record("the import was accepted")
            return []
        } catch let failed as ImportFailed {
            #expect(try store.counts() == before, "a refused import changed the database")
            #expect(try store.versions().count == 1)
            return failed.problems.filter { $0.severity == .error }
        }
    }

    @Test func selfIntersectionIsReportedWithItsLocation() throws {
        let bowtie = feature("B", "{\"type\":\"Polygon\",\"coordinates\":[[[119.3,29.5],[119.32,29.52],[119.32,29.5],[119.3,29.52],[119.3,29.5]]]}")
        let problems = try expectRefused(grids: collection([squareFeature("G1", 119.30, 29.50), bowtie]))
        #expect(problems.count == 1)
        #expect(problems[0].featureID == "B")
        #expect(problems[0].place == "feature #1 at line 3, column 1")
        #expect(problems[0].reason.contains("Self-intersection at (119.31, 29.51)"))
        #expect(problems[0].fix.contains("--make-valid"))
    }

    @Test func makeValidRepairsAndSaysWhat() throws {
        let scratch = Scratch()
        let bowtie = feature("B", "{\"type\":\"Polygon\",\"coordinates\":[[[119.3,29.5],[119.32,29.52],[119.32,29.5],[119.3,29.52],[119.3,29.5]]]}")
        let open = feature("O", "{\"type\":\"Polygon\",\"coordinates\":[[[119.4,29.5],[119.41,29.5],[119.41,29.51],[119.4,29.51]]]}")
        var options = ImportOptions(grids: scratch.write("g.geojson", collection([bowtie, open])))
        options.makeValid = true
        let store = try SQLiteCountyStore(path: scratch.db)
        let summary = try CountyImporter(options: options).run(into: store)
        let repaired = summary.problems.filter { $0.severity == .repaired }
        #expect(repaired.count == 2)
        #expect(repaired.contains { $0.featureID == "B" && $0.reason.contains("make-valid") })
        #expect(repaired.contains { $0.featureID == "O" && $0.reason.contains("not closed") })
        let grids = try store.grids()
        #expect(grids.count == 2)
        #expect(grids.first { $0.gridID == "B" }?.geometry.polygons.count == 2)
    }

    @Test func unclosedRingIsRefused() throws {
        let open = feature("O", "{\"type\":\"Polygon\",\"coordinates\":[[[119.4,29.5],[119.41,29.5],[119.41,29.51],[119.4,29.51]]]}")
        let problems = try expectRefused(grids: collection([open]))
        #expect(problems.count == 1)
        #expect(problems[0].reason.contains("ring 0 is not closed"))
        #expect(problems[0].field == "geometry.coordinates[0]")
    }

    @Test func tooFewPointsIsRefused() throws {
        let thin = feature("T", "{\"type\":\"Polygon\",\"coordinates\":[[[119.4,29.5],[119.41,29.5],[119.4,29.5]]]}")
        let problems = try expectRefused(grids: collection([thin]))
        #expect(problems.first?.reason.contains("too few points") == true)
    }

    @Test func nanCoordinateIsRefused() throws {
        let nan = feature("N", "{\"type\":\"Polygon\",\"coordinates\":[[[119.4,29.5],[NaN,29.5],[119.41,29.51],[119.4,29.5]]]}")
        let problems = try expectRefused(grids: collection([nan]))
        #expect(problems.count == 1)
        #expect(problems[0].reason.contains("not a finite number"))
        #expect(problems[0].field == "geometry.coordinates[0][1]")
    }

    @Test func projectedCoordinatesAreRefusedWithTheCRSHint() throws {
        let projected = feature("P", "{\"type\":\"Polygon\",\"coordinates\":[[[500000,3265000],[501000,3265000],[501000,3266000],[500000,3265000]]]}")
        let problems = try expectRefused(grids: collection([projected]))
        #expect(problems.count == 1)
        #expect(problems[0].reason.contains("not longitude/latitude"))
        #expect(problems[0].fix.contains("--crs"))
    }

    @Test func projectedGridsImportWithCRS() throws {
        let scratch = Scratch()
        // A 1 km square in CGCS2000 / 3-degree Gauss-Krüger CM 120E (EPSG:4549), near 29.5N.
        let square = feature("K", "{\"type\":\"Polygon\",\"coordinates\":[[[450000,3265000],[451000,3265000],[451000,3266000],[450000,3266000],[450000,3265000]]]}")
        var options = ImportOptions(grids: scratch.write("k.geojson", collection([square])))
        options.crs = "EPSG:4549"
        let store = try SQLiteCountyStore(path: scratch.db)
        _ = try CountyImporter(options: options).run(into: store)
        let box = try #require(try store.grids().first?.geometry.boundingBox)
        #expect(box.minX > 119.4 && box.maxX < 119.6 && box.minY > 29.4 && box.maxY < 29.6)
        let area = try #require(try store.connection.query("SELECT area_m2 FROM grid", []).first?[0].doubleValue)
        // Gauss-Krüger scale near 50 km from the central meridian is about 1.00003: the area stays 1 km² within 0.1%.
        #expect(abs(area - 1_000_000) < 1_000)
    }

    @Test func duplicateAndMissingIdsAreRefused() throws {
        let noID = "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.3,29.5],[119.31,29.5],[119.31,29.51],[119.3,29.5]]]}}"
        let problems = try expectRefused(grids: collection([squareFeature("G1", 119.3, 29.5), squareFeature("G1", 119.4, 29.5), noID]))
        #expect(problems.count == 2)
        #expect(problems[0].reason.contains("duplicate id: G1 is also the id of feature #0 at line 2"))
        #expect(problems[1].reason == "the feature has no id")
        #expect(problems[1].fix.contains("--id-field"))
    }

    @Test func emptyAndWrongTypeGeometriesAreRefused() throws {
        let problems = try expectRefused(grids: collection([
            feature("E", "null"),
            feature("C", "{\"type\":\"Polygon\",\"coordinates\":[]}"),
            feature("L", "{\"type\":\"LineString\",\"coordinates\":[[119.3,29.5],[119.4,29.5]]}"),
        ]))
        #expect(problems.map(\.featureID) == ["E", "C", "L"])
        #expect(problems[0].reason.contains("empty"))
        #expect(problems[1].reason.contains("empty"))
        #expect(problems[2].reason.contains("found a LineString"))
    }

    @Test func unknownVillageIsRefused() throws {
        let problems = try expectRefused(grids: collection([squareFeature("G9", 119.3, 29.5, village: "V404")]))
        #expect(problems.count == 1)
        #expect(problems[0].reason.contains("village V404"))
    }

    @Test func malformedJSONIsRefusedWithLineAndColumn() throws {
        let broken = "{\"type\":\"FeatureCollection\",\"features\":[\n" + squareFeature("G1", 119.3, 29.5) + "\n" +
            squareFeature("G2", 119.31, 29.5) + "\n]}"
        let problems = try expectRefused(grids: broken)
        #expect(problems.count == 1)
        #expect(problems[0].reason.contains("line 3"))
    }

    @Test func badHouseholdRowsAreReportedByLine() throws {
        let csv = """
            household_id,building_id,address,lon,lat,residents
            H1,,一村1号,119.301,29.501,3
            H2,,一村2号,east,29.501,2
            H1,,一村3号,119.302,29.502,2
            H4,,一村4号,119.303,95.0,2
            H5,,一村5号,119.304,29.503,many
            """
        let problems = try expectRefused(households: csv)
        #expect(problems.map(\.place) == ["line 3", "line 4", "line 5", "line 6"])
        #expect(problems[0].reason.contains("not numbers"))
        #expect(problems[1].reason.contains("duplicate household_id (first on line 2)"))
        #expect(problems[2].reason.contains("out of range"))
        #expect(problems[3].field == "residents")
    }

    @Test func badStaffRowsAreReported() throws {
        let csv = """
            staff_id,role,grid_id,building_id,name,phone,on_duty
            S1,grid_worker,G1,,张三(合成),13800000001,1
            S2,mayor,G1,,李四(合成),13800000002,1
            S3,grid_worker,G77,,王五(合成),13800000003,1
            """
        let problems = try expectRefused(staff: csv)
        #expect(problems.count == 2)
        #expect(problems[0].reason.contains("unknown role 'mayor'"))
        #expect(problems[0].fix.contains("grid_worker"))
        #expect(problems[1].reason.contains("grid G77"))
    }

    @Test func missingColumnIsRefused() throws {
        let problems = try expectRefused(households: "id,address\nH1,x\n")
        #expect(problems.first?.reason.contains("missing column 'household_id'") == true)
    }

    @Test func dryRunWritesNothing() throws {
        let scratch = Scratch()
        var options = ImportOptions(grids: scratch.write("grids.geojson", validGrids()))
        options.dryRun = true
        let store = try SQLiteCountyStore(path: scratch.db)
        let summary = try CountyImporter(options: options).run(into: store)
        #expect(summary.counts["grids"] == 3)
        #expect(try store.versions().isEmpty)
    }

    @Test func unknownCRSIsRefused() throws {
        let problems = try expectRefused(crs: "EPSG:999999")
        #expect(problems.first?.file == "--crs")
    }
}
