import Foundation
import GeoJSON
import GridProjection
import GridworkTestSupport
import SampleCounty
import Testing
@testable import Gridwork
@testable import GridworkCLI

@Suite struct GeocodeJobTests {
    /// The CSV path (blocks cut into parts on two threads, numbers parsed from bytes) gives, row by row and in
    /// input order, what GEOS gives; carried columns come back byte for byte.
    @Test(arguments: [(threads: 1, blockBytes: 1 << 20), (threads: 2, blockBytes: 4_096), (threads: 3, blockBytes: 5_000)])
    func streamedCSVAgreesWithGEOS(threads: Int, blockBytes: Int) throws {
        let county = TestCounty(seed: 11)
        let scratch = Scratch()
        // Full-precision doubles (strtod path) and 7-decimal ones (fast path), then the hard points.
        let points = county.uniformPoints(1_500, seed: 5)
            + county.uniformPoints(1_500, seed: 6).map { Position(($0.x * 1e7).rounded() / 1e7, ($0.y * 1e7).rounded() / 1e7) }
            + county.specialPoints
        let input = scratch.path + "/points.csv"
        try writePointsCSV(points, to: input)
        let job = GeocodeJob(blockBytes: blockBytes, threads: threads)
        let locator = try GridLocator(grids: county.grids, buildings: county.buildings)
        let summary = try job.run(points: input, output: scratch.path + "/out.csv", locator: locator)
        let oracle = try GEOSOracle(grids: county.grids, buildings: county.buildings)
        let rows = try readOutput(scratch.path + "/out.csv")
        #expect(rows.first == ["id", "grid_id", "building_id", "status", "note"])
        #expect(rows.count == points.count + 1)
        #expect(summary.rows == points.count)
        var mismatches: [String] = []
        for (k, p) in points.enumerated() where k + 1 < rows.count {
            let row = rows[k + 1]
            let expected = try oracle.expected(p)
            let want = ["P\(k)", expected.gridID ?? "", expected.buildingID ?? "", expected.status.rawValue, "n\(k), \"q\""]
            if row != want { mismatches.append("row \(k) \(p): \(row) vs \(want)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(5))")
        #expect(summary.byStatus.values.reduce(0, +) == points.count)
    }

    /// The same agreement on a file without quotes (the one-pass path's eight-bytes-at-a-time splitting and in-place
    /// number parsing throughout), CRLF line ends, the id column last and a carried column first.
    @Test(arguments: [(threads: 1, blockBytes: 1 << 20), (threads: 2, blockBytes: 4_096)])
    func unquotedCSVAgreesWithGEOS(threads: Int, blockBytes: Int) throws {
        let county = TestCounty(seed: 12)
        let scratch = Scratch()
        let points = county.uniformPoints(1_500, seed: 7).map { Position(($0.x * 1e7).rounded() / 1e7, ($0.y * 1e7).rounded() / 1e7) }
            + county.uniformPoints(500, seed: 8) + county.specialPoints
        var text = "note,lon,lat,id\r\n"
        for (k, p) in points.enumerated() { text += "n\(k),\(p.x),\(p.y),P\(k)\r\n" }
        let input = scratch.write("points.csv", text)
        let locator = try GridLocator(grids: county.grids, buildings: county.buildings)
        let summary = try GeocodeJob(blockBytes: blockBytes, threads: threads)
            .run(points: input, output: scratch.path + "/out.csv", locator: locator)
        let oracle = try GEOSOracle(grids: county.grids, buildings: county.buildings)
        let rows = try readOutput(scratch.path + "/out.csv")
        #expect(rows.first == ["id", "grid_id", "building_id", "status", "note"])
        #expect(rows.count == points.count + 1 && summary.rows == points.count)
        var mismatches: [String] = []
        for (k, p) in points.enumerated() where k + 1 < rows.count {
            let expected = try oracle.expected(p)
            let want = ["P\(k)", expected.gridID ?? "", expected.buildingID ?? "", expected.status.rawValue, "n\(k)"]
            if rows[k + 1] != want { mismatches.append("row \(k) \(p): \(rows[k + 1]) vs \(want)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(5))")
    }

    /// Bad rows are reported with their lines and written as `invalid`; every other row still goes through, in order.
    @Test func badRowsAreReportedWithLineNumbers() throws {
        let county = TestCounty(seed: 2)
        let scratch = Scratch()
        let o = TestCounty.origin, u = TestCounty.unit
        let good = "\(o.x + 0.5 * u),\(o.y + 0.5 * u)"
        let text = [
            "id,lon,lat,address",                       // 1
            "A1,\(good),\"two\nlines\"",                 // 2-3
            "A2,,29.5,x",                                // 4
            "A3,abc,29.5,x",                             // 5
            "A4,nan,29.5,x",                             // 6
            "A5,200,29.5,x",                             // 7
            "",                                          // 8 (blank)
            "A6,\(good),x,extra",                        // 9
            "A7,\(good),x\r",                            // 10 (CRLF)
            "A8,\(good)",                                // 11 (too few fields)
            "A9,\(o.x + 0.5 * u),95,x",                  // 12
            "A10,\(good),last",                          // 13, no final newline
        ].joined(separator: "\n")
        let input = scratch.write("bad.csv", text)
        let locator = try GridLocator(grids: county.grids)
        let summary = try GeocodeJob(blockBytes: 4_096, threads: 2).run(points: input, output: scratch.path + "/out.csv",
                                                                        locator: locator)
        let rows = try readOutput(scratch.path + "/out.csv")
        #expect(rows.map { $0[0] } == ["id", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"])
        #expect(rows.map { $0[3] } == ["status", "inside", "invalid", "invalid", "invalid", "invalid", "invalid",
                                       "inside", "invalid", "invalid", "inside"])
        #expect(rows[1] == ["A1", "G0000", "", "inside", "two\nlines"])
        #expect(rows[7] == ["A7", "G0000", "", "inside", "x"])
        #expect(summary.invalidRows.map(\.line) == [4, 5, 6, 7, 9, 11, 12])
        #expect(summary.invalidRows.map(\.id) == ["A2", "A3", "A4", "A5", "A6", "A8", "A9"])
        let reasons = summary.invalidRows.map(\.reason)
        #expect(reasons[0].contains("missing lon or lat"))
        #expect(reasons[1].contains("not numeric") && reasons[1].contains("abc"))
        #expect(reasons[2].contains("not a finite number"))
        #expect(reasons[3].contains("out of range") && reasons[3].contains("--crs"))
        #expect(reasons[4].contains("5 fields but the header has 4"))
        #expect(summary.byStatus[.invalid] == 7 && summary.byStatus[.inside] == 3)
    }

    @Test func headerProblemsAreClearErrors() throws {
        let scratch = Scratch()
        let locator = try GridLocator(grids: TestCounty(seed: 1).grids)
        let noCoordinates = scratch.write("a.csv", "id,east,north\n1,2,3\n")
        #expect(throws: CSVError.self) { try GeocodeJob().run(points: noCoordinates, output: scratch.path + "/o.csv", locator: locator) }
        let noID = scratch.write("b.csv", "name,lon,lat\n1,2,3\n")
        do {
            _ = try GeocodeJob().run(points: noID, output: scratch.path + "/o.csv", locator: locator)
            Issue.record("a file without an id column was accepted")
        } catch let error as CSVError {
            #expect(error.description.contains("missing column 'id'") && error.line == 1)
        }
        let empty = scratch.write("c.csv", "")
        #expect(throws: CSVError.self) { try GeocodeJob().run(points: empty, output: scratch.path + "/o.csv", locator: locator) }
    }

    /// The same points in EPSG:4549 (Gauss-Krüger metres), GCJ-02 and BD-09 land in the grids their WGS84 form lands
    /// in, for every point farther from every edge than the method's error (PROJ round trip: millimetres; the
    /// offset frames: `FrameEdgeError.boundMetres` of the longest edge, plus the same millimetres).
    @Test(arguments: ["EPSG:4549", "GCJ02", "BD09"])
    func otherCoordinateSystemsLandInTheSameGrids(crsText: String) throws {
        let county = TestCounty(seed: 4)
        let scratch = Scratch()
        let crs = try CoordinateReferenceSystem(parsing: crsText)
        let points = county.uniformPoints(2_000, seed: 9)
        let wgsLocator = try GridLocator(grids: county.grids, buildings: county.buildings)
        let job = GeocodeJob(crs: crs, blockBytes: 8_192, threads: 2)
        let locator = try GridLocator(grids: county.grids, buildings: county.buildings, frame: job.frame)
        let moved: [Position]
        let header: String
        switch crs {
        case .gcj02: moved = points.map(ChineseOffset.wgs84ToGCJ02); header = "id,lon,lat,note"
        case .bd09: moved = points.map(ChineseOffset.wgs84ToBD09); header = "id,lon,lat,note"
        default:
            var xy = points
            try CoordinateTransformer(from: .wgs84, to: crs).transform(&xy)
            moved = xy
            header = "id,x,y,note"
        }
        var margin = 0.01
        for ring in county.grids.flatMap(\.geometry.rings) {
            let ps = ring.positions
            for k in 0..<(ps.count - 1) { margin = max(margin, 0.01 + FrameEdgeError.boundMetres(from: ps[k], to: ps[k + 1], frame: job.frame)) }
        }
        #expect(margin < 1)
        let input = scratch.path + "/points.csv"
        try writePointsCSV(moved, to: input, header: header)
        let summary = try job.run(points: input, output: scratch.path + "/out.csv", locator: locator)
        #expect(summary.byStatus[.invalid] == nil)
        let rows = try readOutput(scratch.path + "/out.csv")
        var compared = 0
        var mismatches: [String] = []
        for (k, p) in points.enumerated() where metresToNearestEdge(p, grids: county.grids + county.buildings.map {
            Grid(gridID: $0.buildingID, villageID: nil, townID: nil, name: "", geometry: $0.geometry)
        }) > margin {
            let expected = wgsLocator.locate(p)
            let row = rows[k + 1]
            compared += 1
            if row[1] != (expected.gridID ?? "") || row[2] != (expected.buildingID ?? "") || row[3] != expected.status.rawValue {
                mismatches.append("\(p): \(row) vs \(expected)")
            }
        }
        #expect(compared > 1_800)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// Peak memory does not grow with the file: with 64 KiB blocks, the geocoder binary's peak RSS on 300,000 rows
    /// (9 MB) stays within a few megabytes of its peak on 30,000 rows (the 10-million-row run is in the benchmark).
    @Test func peakMemoryStaysFlatAsTheFileGrows() throws {
        guard let binary = gridworkBinary() else {
            Issue.record("the gridwork binary is not next to the test bundle: run `swift build --build-tests` first")
            return
        }
        let county = TestCounty(seed: 3)
        let scratch = Scratch()
        let grids = scratch.path + "/grids.geojson"
        let features = county.grids.map { grid in
            Feature(id: .string(grid.gridID), geometry: grid.geometry,
                    properties: ["grid_id": .string(grid.gridID), "village_id": .string("V1")])
        }
        let writer = try GeoJSONFeatureWriter(path: grids)
        for feature in features { try writer.write(feature) }
        try writer.finish()
        var peaks: [Int] = []
        for count in [30_000, 300_000] {
            let input = scratch.path + "/p\(count).csv"
            var text = "id,lon,lat\n"
            var random = SplitMix64(seed: UInt64(count))
            let b = county.bounds
            for k in 0..<count {
                let x = b.minX + random.unit() * (b.maxX - b.minX), y = b.minY + random.unit() * (b.maxY - b.minY)
                text += "H\(k),\(String(format: "%.7f", x)),\(String(format: "%.7f", y))\n"
            }
            try text.write(toFile: input, atomically: true, encoding: .utf8)
            let peak = try peakRSSKilobytes(of: binary, ["geocode", "--grids", grids, "--points", input, "--out", scratch.path + "/o.csv",
                                                            "--block-kib", "64", "--threads", "2"])
            peaks.append(peak)
            let lines = try String(contentsOfFile: scratch.path + "/o.csv", encoding: .utf8).split(separator: "\n").count
            #expect(lines == count + 1)
        }
        #expect(peaks[1] < peaks[0] + 4_096, "peak RSS \(peaks[0]) KiB for 30k rows, \(peaks[1]) KiB for 300k rows")
    }
}

/// The `gridwork` executable built beside the test bundle.
func gridworkBinary() -> String? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("gridwork").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return nil
}

/// Runs `binary` with `arguments` and returns the peak resident set it reports on its `peak memory N KiB` line.
func peakRSSKilobytes(of binary: String, _ arguments: [String]) throws -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let line = output.split(separator: "\n").first(where: { $0.hasPrefix("peak memory ") }),
          let kib = Int(line.split(separator: " ")[2])
    else { throw CSVError(file: binary, line: 0, message: "no peak memory line (status \(process.terminationStatus)): \(output)") }
    return kib
}
