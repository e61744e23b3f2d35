import Foundation
import Testing
@testable import Gridwork
@testable import GridworkCLI

/// Commands say what they were loading when the files are refused (the refusal carries its purpose; no command
/// rewrites the import's wording).
@Suite struct LoadFailureMessageTests {
    @Test func planSaysItCannotLoadTheCounty() throws {
        let scratch = Scratch()
        try collection([squareFeature("G1", 119.30, 29.50), squareFeature("G1", 119.31, 29.50)])
            .write(toFile: scratch.path + "/grids.geojson", atomically: true, encoding: .utf8)
        try villagesJSON.write(toFile: scratch.path + "/villages.geojson", atomically: true, encoding: .utf8)
        try collection([squareFeature("B1", 119.30, 29.50, size: 0.001)])
            .write(toFile: scratch.path + "/buildings.geojson", atomically: true, encoding: .utf8)
        try "household_id,address,residents\nH1,a,2\n"
            .write(toFile: scratch.path + "/households.csv", atomically: true, encoding: .utf8)
        let source = try PlanSourceOptions.parse(["--dir", scratch.path])
        do {
            _ = try source.county()
            Issue.record("a folder with a duplicate grid id was accepted")
        } catch let failure as PlanFailure {
            let lines = failure.description.split(separator: "\n").map(String.init)
            #expect(lines.first == "cannot load the county for planning: 1 error(s)")
            #expect(lines.dropFirst().first?.hasPrefix("error: grids.geojson feature #1 at line 3, column 1 (id G1) [grid_id]: duplicate id") == true)
        }
    }

    @Test func geocodeAndReportsNameTheirPurpose() {
        let problem = ImportProblem(file: "grids.geojson", place: "file", reason: "cannot read the file: gone", fix: "check the path")
        #expect(ImportFailed(problems: [problem], purpose: .geocoding).description.hasPrefix(
            "cannot load the grids and buildings to geocode against: 1 error(s)\nerror: grids.geojson file: cannot read the file"))
        #expect(!ImportFailed(problems: [problem], purpose: .report).description.contains("import refused"))
    }
}
