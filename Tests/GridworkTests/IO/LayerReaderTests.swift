import Foundation
import GeoJSON
import Testing
@testable import Gridwork

/// One reader, two policies: the same problems with the same messages whether the layer is read strictly (import,
/// planner, geocoder) or keeping invalid geometries (reports), and through every caller.
@Suite struct LayerReaderTests {
    static let policies: [LayerReader.Policy] = [.strict, .keepInvalid]

    func read(_ path: String, _ policy: LayerReader.Policy) -> ([LayerFeature], [ImportProblem]) {
        var problems: [ImportProblem] = []
        let features = LayerReader(policy: policy).features(.grid, path, problems: &problems)
        return (features, problems)
    }

    @Test(arguments: policies)
    func unreadableFileIsAListedProblem(policy: LayerReader.Policy) {
        let scratch = Scratch()
        let (features, problems) = read(scratch.path + "/missing.geojson", policy)
        #expect(features.isEmpty)
        #expect(problems.count == 1)
        let problem = problems[0]
        #expect(problem.severity == .error && problem.file == "missing.geojson" && problem.place == "file")
        #expect(problem.reason.hasPrefix("cannot read the file: "))
        #expect(problem.fix == "check the path, and that the file is GeoJSON")
    }

    @Test(arguments: policies)
    func jsonSyntaxErrorIsAListedProblemAfterTheFeaturesBeforeIt(policy: LayerReader.Policy) {
        let scratch = Scratch()
        // Feature 1 is fine; the second line breaks off mid-object.
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n" + squareFeature("G1", 119.30, 29.50) +
            ",\n{\"type\":\"Feature\",\"id\":\"G2\",\"properties\":{]\n]}\n"
        let (features, problems) = read(scratch.write("grids.geojson", text), policy)
        #expect(features.map(\.id) == ["G1"])
        #expect(problems.count == 1)
        #expect(problems[0].place == "file" && problems[0].file == "grids.geojson")
        #expect(problems[0].reason.hasPrefix("not valid GeoJSON: ") && problems[0].reason.contains("line 3"))
        #expect(problems[0].fix == "repair the JSON syntax at that line and column")
    }

    @Test(arguments: policies)
    func duplicateIDsNameTheFirstFeature(policy: LayerReader.Policy) {
        let scratch = Scratch()
        let path = scratch.write("grids.geojson", collection([squareFeature("G1", 119.30, 29.50),
                                                             squareFeature("G1", 119.31, 29.50)]))
        let (features, problems) = read(path, policy)
        #expect(features.map(\.id) == ["G1"])
        #expect(problems.map(\.description) == [
            "error: grids.geojson feature #1 at line 3, column 1 (id G1) [grid_id]: duplicate id: G1 is also the id of " +
                "feature #0 at line 2, column 1. Fix: give every feature its own id",
        ])
    }

    @Test func invalidGeometryIsRefusedStrictlyAndKeptWithAWarningOtherwise() {
        let scratch = Scratch()
        // A bow tie: self-intersecting.
        let bowTie = feature("G2", "{\"type\":\"Polygon\",\"coordinates\":[[[119.31,29.5],[119.32,29.51],[119.32,29.5],[119.31,29.51],[119.31,29.5]]]}")
        let path = scratch.write("grids.geojson", collection([squareFeature("G1", 119.30, 29.50), bowTie]))

        let (strict, strictProblems) = read(path, .strict)
        #expect(strict.map(\.id) == ["G1"])
        #expect(strictProblems.count == 1 && strictProblems[0].severity == .error)
        #expect(strictProblems[0].featureID == "G2" && strictProblems[0].reason.hasPrefix("invalid polygon: "))

        let (kept, keptProblems) = read(path, .keepInvalid)
        #expect(kept.map(\.id) == ["G1", "G2"])
        #expect(keptProblems.map(\.severity) == [.warning])
        #expect(keptProblems[0].reason == strictProblems[0].reason && keptProblems[0].fix == strictProblems[0].fix)
    }

    @Test(arguments: policies)
    func nonPolygonalGeometryIsAnErrorInBothPolicies(policy: LayerReader.Policy) {
        let scratch = Scratch()
        let point = feature("G2", "{\"type\":\"Point\",\"coordinates\":[119.3,29.5]}")
        let (features, problems) = read(scratch.write("grids.geojson", collection([point])), policy)
        #expect(features.isEmpty)
        #expect(problems.count == 1 && problems[0].severity == .error && problems[0].field == "geometry.type")
    }

    @Test func anEmptyFileSaysSo() {
        let scratch = Scratch()
        let (_, problems) = read(scratch.write("grids.geojson", collection([])), .keepInvalid)
        #expect(problems.map(\.reason) == ["the file holds no features"])
    }

    @Test func gridsKeepTheirExtraPropertiesAndUseTheFieldNames() throws {
        let scratch = Scratch()
        let text = collection([
            "{\"type\":\"Feature\",\"properties\":{\"code\":\"X1\",\"cun\":\"V9\",\"name\":\"一\",\"size\":3}," +
                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[119.3,29.5],[119.31,29.5],[119.31,29.51],[119.3,29.5]]]}}",
        ])
        let reader = LayerReader(fields: LayerFields(village: "cun", grid: "code"))
        let grids = try reader.read { $0.grids(scratch.write("grids.geojson", text), problems: &$1) }
        #expect(grids.map(\.gridID) == ["X1"] && grids[0].villageID == "V9" && grids[0].name == "一")
        #expect(grids[0].extraProperties == #"{"size":3}"#)
    }

    /// A source other than GeoJSON plugs in through `FeatureSource` and gets the same checks.
    @Test func anotherFeatureSourceGetsTheSameChecks() {
        struct ListSource: FeatureSource {
            var name = "list"
            var features: [FeatureRecord]
            mutating func next() throws -> FeatureRecord? { features.isEmpty ? nil : features.removeFirst() }
        }
        let square = Geometry.polygon(Polygon(exterior: LinearRing([Position(119.3, 29.5), Position(119.31, 29.5),
                                                                     Position(119.31, 29.51), Position(119.3, 29.5)])))
        func record(_ index: Int, _ id: FeatureID?) -> FeatureRecord {
            FeatureRecord(location: SourceLocation(line: 0, column: 0, featureIndex: index), id: id, properties: [:],
                          geometry: .success(square))
        }
        var source: any FeatureSource = ListSource(features: [record(1, .string("A")), record(2, nil)])
        var problems: [ImportProblem] = []
        let features = LayerReader().features(from: &source, idField: "grid_id", problems: &problems)
        #expect(features.map(\.id) == ["A"])
        #expect(problems.map(\.description) == [
            "error: list feature #2 [grid_id]: the feature has no id. Fix: set the Feature \"id\" or a \"grid_id\" " +
                "property (or name the id property with --id-field)",
        ])
    }

    // MARK: - Through the callers

    /// The import, the report loader, the planner and the geocoder refuse the same broken file with the same
    /// problem lines, each saying what it was doing.
    @Test func everyCallerRefusesWithTheSameProblemsAndItsOwnPurpose() throws {
        let scratch = Scratch()
        let broken = "{\"type\":\"FeatureCollection\",\"features\":[\n" + squareFeature("G1", 119.30, 29.50) +
            ",\n" + squareFeature("G1", 119.31, 29.50) + ",\n{\"type\":\"Feature\",]\n]}\n"
        let grids = scratch.write("grids.geojson", broken)
        let expected = [
            "error: grids.geojson feature #1 at line 3, column 1 (id G1) [grid_id]: duplicate id: G1 is also the id " +
                "of feature #0 at line 2, column 1. Fix: give every feature its own id",
        ]
        func check(_ purpose: ImportFailed.Purpose, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("\(purpose) did not refuse the file")
            } catch let failed as ImportFailed {
                #expect(failed.purpose == purpose)
                #expect(Array(failed.problems.map(\.description).prefix(1)) == expected)
                #expect(failed.problems.count == 2 && failed.problems[1].reason.hasPrefix("not valid GeoJSON: "))
                #expect(failed.description.hasPrefix(purpose.refusal + ": 2 error(s)"))
            } catch {
                Issue.record("\(purpose): unexpected \(error)")
            }
        }
        check(.import) { _ = try CountyImporter(options: ImportOptions(grids: grids)).run(into: SQLiteCountyStore(path: scratch.db)) }
        check(.report) { _ = try CountyLayers.load(files: CountyFiles(grids: grids)) }
        check(.geocoding) { _ = try LayerReader(purpose: .geocoding).read { $0.grids(grids, problems: &$1) } }
        let folder = scratch.path + "/county"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: grids, toPath: folder + "/grids.geojson")
        try villagesJSON.write(toFile: folder + "/villages.geojson", atomically: true, encoding: .utf8)
        try collection([]).write(toFile: folder + "/buildings.geojson", atomically: true, encoding: .utf8)
        try "household_id,address,residents\n".write(toFile: folder + "/households.csv", atomically: true, encoding: .utf8)
        do {
            _ = try PlanningCounty(directory: folder)
            Issue.record("the planner did not refuse the folder")
        } catch let failed as ImportFailed {
            #expect(failed.purpose == .planning)
            #expect(failed.description.hasPrefix("cannot load the county for planning: "))
            #expect(failed.problems.map(\.description).contains(expected[0]))
        }
    }

    @Test func theImportMessageStillSaysNothingWasWritten() {
        let problem = ImportProblem(file: "grids.geojson", place: "file", reason: "r", fix: "f")
        #expect(ImportFailed(problems: [problem]).description ==
            "import refused: 1 error(s); nothing was written to the database\nerror: grids.geojson file: r. Fix: f")
        #expect(ImportFailed(problems: [problem], purpose: .report).description ==
            "cannot load the layers for the report: 1 error(s)\nerror: grids.geojson file: r. Fix: f")
    }

    /// The report loader keeps an invalid grid for the coverage report to name, and does not refuse the files.
    @Test func reportsKeepInvalidGridsAndNameThem() throws {
        let scratch = Scratch()
        let bowTie = feature("G2", "{\"type\":\"Polygon\",\"coordinates\":[[[119.31,29.5],[119.32,29.51],[119.32,29.5],[119.31,29.51],[119.31,29.5]]]}")
        let grids = scratch.write("grids.geojson", collection([squareFeature("G1", 119.30, 29.50), bowTie]))
        let layers = try CountyLayers.load(files: CountyFiles(grids: grids))
        #expect(layers.grids.map(\.gridID) == ["G1", "G2"])
        #expect(layers.invalidGrids.keys.sorted() == ["G2"])
    }
}
