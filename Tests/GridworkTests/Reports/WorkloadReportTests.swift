import Foundation
import GeoJSON
import GridworkTestSupport
import SampleCounty
import Testing
@testable import Gridwork
@testable import GridworkCLI

@Suite struct WorkloadReportTests {
    @Test func countsMatchTheSampleOwnAssignments() throws {
        let layers = try sampleLayers()
        let sample = SampleCountyGenerator(preset: .tiny, seed: 20260101).generate()
        let report = try WorkloadReport.compute(layers)
        var households: [String: Int] = [:], residents: [String: Int] = [:], incidents: [String: Int] = [:]
        for h in sample.households { households[h.gridID, default: 0] += 1; residents[h.gridID, default: 0] += h.residents }
        for i in sample.incidents { incidents[i.gridID, default: 0] += 1 }
        for g in report.grids {
            #expect(g.households == households[g.gridID, default: 0], "\(g.gridID)")
            #expect(g.residents == residents[g.gridID, default: 0], "\(g.gridID)")
            #expect(g.incidentsByCategory.values.reduce(0, +) == g.incidents)
        }
        // Incidents span a year ending at the newest one: all but those older than 365 days count.
        #expect(report.grids.reduce(0) { $0 + $1.incidents } <= sample.incidents.count)
        #expect(report.grids.reduce(0) { $0 + $1.incidents } > sample.incidents.count * 9 / 10)
        #expect(report.grids.reduce(0) { $0 + $1.gridWorkers } == 9)
        #expect(report.grids.reduce(0) { $0 + $1.buildingHeads } == 11)
        #expect(report.grids.reduce(0) { $0 + $1.buildings } == layers.buildings.count)
        let meanIndex = report.grids.reduce(0) { $0 + $1.workloadIndex } / Double(report.grids.count)
        #expect(abs(meanIndex - 100) < 1e-9)
        let top = try #require(report.balance.mostAboveMean.first)
        #expect(report.grids.first { $0.gridID == top }?.rawWorkload == report.balance.max)
        #expect(report.balance.mostBelowMean.allSatisfy { id in report.grids.first { $0.gridID == id }!.rawWorkload < report.balance.mean })
    }

    @Test func balanceStatistics() {
        #expect(WorkloadReport.gini([5, 5, 5, 5]) == 0)
        #expect(abs(WorkloadReport.gini([0, 0, 0, 4]) - 0.75) < 1e-12)
        #expect(abs(WorkloadReport.gini([1, 2, 3, 4]) - 0.25) < 1e-12)
        #expect(WorkloadReport.coefficientOfVariation([2, 2]) == 0)
        #expect(abs(WorkloadReport.coefficientOfVariation([1, 3]) - 0.5) < 1e-12)
    }

    @Test func weightsFromAFileChangeTheIndex() throws {
        let scratch = Scratch()
        let path = scratch.write("weights.json", #"{"households": 0, "buildings": 0, "area_km2": 0, "incidents": 0, "open_incidents": 0, "residents": 1}"#)
        let weights = try WorkloadWeights.load(path: path)
        #expect(weights.residents == 1 && weights.households == 0)
        let report = try WorkloadReport.compute(try sampleLayers(), options: WorkloadOptions(weights: weights))
        for g in report.grids { #expect(g.rawWorkload == Double(g.residents)) }
        let bad = scratch.write("bad.json", #"{"households": "many"}"#)
        #expect(throws: ReportError.self) { try WorkloadWeights.load(path: bad) }
    }

    @Test func windowEndsWhereAsked() throws {
        let layers = try sampleLayers()
        let early = try #require(ISO8601DateFormatter().date(from: "2025-03-01T00:00:00+08:00"))
        let report = try WorkloadReport.compute(layers, options: WorkloadOptions(windowDays: 30, asOf: early))
        let expected = layers.incidents.filter {
            let t = $0.reportedAt
            return t <= early && t > early.addingTimeInterval(-30 * 86_400)
        }.count
        #expect(report.grids.reduce(0) { $0 + $1.incidents } == expected)
    }

    /// Draws the map and checks the PNG: signature, size, checksums (python's zlib inflates it when present) and
    /// that a grid's interior has the colour of its index.
    @Test func workloadMapIsAValidPNG() throws {
        let layers = try sampleLayers()
        let report = try WorkloadReport.compute(layers)
        let map = WorkloadMap.render(grids: layers.grids, workload: report, width: 400)
        let png = map.png()
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(WorkloadMap.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        for g in report.grids {
            let grid = layers.grids.first { $0.gridID == g.gridID }!
            // A household is inside its grid; away from edges its pixel has the grid's colour.
            guard let h = layers.households.first(where: { h in
                layers.buildings.first { $0.buildingID == h.buildingID }?.gridID == grid.gridID
            }) else { continue }
            let (x, y) = map.pixelOf(h.location!)
            let colour = WorkloadMap.colour(g.workloadIndex)
            let neighbourhood = (-2...2).flatMap { dx in (-2...2).map { dy in map.pixel(x: x + dx, y: y + dy) } }
            #expect(neighbourhood.contains { $0 == colour }, "\(g.gridID)")
        }
        let scratch = Scratch()
        let path = scratch.path + "/map.png"
        try map.writePNG(to: path)
        if Python.canImport(["zlib", "struct"]) {  // an independent PNG decoder
            let result = try Python.run("""
                import sys, zlib, struct
                d = open(sys.argv[1], 'rb').read()
                pos, idat = 8, b''
                while pos < len(d):
                    n, t = struct.unpack('>I4s', d[pos:pos+8]); body = d[pos+8:pos+8+n]
                    assert zlib.crc32(t + body) == struct.unpack('>I', d[pos+8+n:pos+12+n])[0], t
                    if t == b'IHDR': w, h = struct.unpack('>II', body[:8])
                    if t == b'IDAT': idat += body
                    pos += 12 + n
                raw = zlib.decompress(idat)
                assert len(raw) == h * (w * 3 + 1), (len(raw), w, h)
                print(w, h)
                """, [path])
            #expect(result.status == 0 && result.stdout.hasPrefix("400 "), "\(result.output)")
        }
    }

    /// The commands end to end on sample files: every documented output file is written.
    @Test func commandsWriteTheirFiles() throws {
        let scratch = Scratch()
        let sample = SampleCountyGenerator(preset: .tiny, seed: 20260101).generate()
        try sample.write(to: scratch.path + "/in")
        let i = scratch.path + "/in/"
        let inputs = ["--grids", i + "grids.geojson", "--villages", i + "villages.geojson", "--buildings",
                      i + "buildings.geojson", "--households", i + "households.csv", "--staff", i + "staff.csv",
                      "--incidents", i + "incidents.csv"]
        let out = scratch.path + "/out"
        var coverage = try GridworkCommand.parseAsRoot(["coverage"] + inputs + ["--out", out])
        try coverage.run()
        var workload = try GridworkCommand.parseAsRoot(["workload"] + inputs + ["--out", out, "--map"])
        try workload.run()
        var export = try GridworkCommand.parseAsRoot(["export"] + inputs + ["--layer", "grids", "--out", out + "/g.gpkg"])
        try export.run()
        for file in ["coverage.json", "gaps.geojson", "overlaps.geojson", "problems.geojson", "coverage.md",
                     "workload.json", "workload.csv", "workload.md", "workload.png", "g.gpkg"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let report = try JSONDecoder().decode(CoverageReport.self,
                                              from: Data(contentsOf: URL(fileURLWithPath: out + "/coverage.json")))
        #expect(report.grids == sample.grids.count && report.gaps.isEmpty)
        let problems = try String(contentsOfFile: out + "/problems.geojson", encoding: .utf8)
        #expect(problems.contains("grid_without_full_time_worker"))
        #expect(throws: (any Error).self) { try GridworkCommand.parseAsRoot(["coverage", "--out", out]) }
    }
}

@Suite struct TimeParsingTests {
    @Test func fastParserAgreesWithTheFormatter() {
        let formatter = ISO8601DateFormatter()
        for text in ["2025-01-03T15:35:20+08:00", "2024-02-29T00:00:00Z", "1999-12-31T23:59:59-05:30", "2025-03-01T00:00:00+08:00"] {
            #expect(fastISO8601(text) == formatter.date(from: text), "\(text)")
        }
        #expect(fastISO8601("2025-01-03 15:35:20") == nil)
        #expect(fastISO8601("yesterday") == nil)
    }
}
