import Foundation
import GeoJSON
import GridworkTestSupport
import Testing
@testable import SampleCounty

@Suite struct FileTests {
    @Test func csvQuotingFollowsRFC4180() {
        #expect(csvLine(["a", "b"]) == "a,b\r\n")
        #expect(csvLine(["x,y", "say \"hi\"", "two\nlines", ""]) == "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n")
    }

    @Test func writtenFilesHaveHeadersAndCounts() throws {
        let directory = try Fixtures.temporaryDirectory("files")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let county = Fixtures.tiny
        try county.write(to: directory)
        func text(_ name: String) throws -> String {
            try String(contentsOfFile: (directory as NSString).appendingPathComponent(name), encoding: .utf8)
        }
        let expected: [(String, String, Int)] = [
            ("households.csv", "household_id,building_id,grid_id,address,lon,lat,residents", county.households.count),
            ("staff.csv", "staff_id,role,grid_id,building_id,name,phone,on_duty,synthetic", county.staff.count),
            ("departments.csv", "department_id,name,name_zh,name_en,categories", county.departments.count),
            ("incidents.csv", "incident_id,reported_at,category,lon,lat,grid_id,status,description", county.incidents.count),
        ]
        for (name, header, rows) in expected {
            let lines = try text(name).components(separatedBy: "\r\n")
            #expect(lines.first == header, "\(name) header")
            #expect(lines.count == rows + 2, "\(name): \(rows) rows, a header and the final line end")
        }
        let first = county.households[0]
        #expect(try text("households.csv").contains("\r\n\(first.id),\(first.buildingID),\(first.gridID),\(first.address),\(coordinateText(first.lon)),\(coordinateText(first.lat)),\(first.residents)\r\n"))

        let manifest = try JSONSerialization.jsonObject(with: Data(try text("manifest.json").utf8)) as? [String: Any]
        #expect(manifest?["seed"] as? Int == 7)
        #expect(manifest?["preset"] as? String == "tiny")
        let counts = manifest?["counts"] as? [String: Int]
        #expect(counts?["grids"] == county.grids.count)
        #expect(counts?["households"] == county.households.count)
        #expect(counts?["incidents"] == county.incidents.count)

        for name in ["county", "towns", "villages", "grids", "buildings"] {
            let json = try JSONSerialization.jsonObject(with: Data(try text(name + ".geojson").utf8)) as? [String: Any]
            #expect(json?["type"] as? String == "FeatureCollection", "\(name).geojson")
        }
        let grids = try JSONSerialization.jsonObject(with: Data(try text("grids.geojson").utf8)) as? [String: Any]
        #expect((grids?["features"] as? [Any])?.count == county.grids.count)
    }

    /// Written at precision 7 and read back with the shared reader, every feature comes back equal.
    @Test func geoJSONRoundTripsExactly() throws {
        let directory = try Fixtures.temporaryDirectory("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let county = Fixtures.tiny
        try county.write(to: directory)
        let layers: [(String, [Feature])] = [
            ("county", [county.county]), ("towns", county.towns), ("villages", county.villages),
            ("grids", county.grids), ("buildings", county.buildings),
        ]
        for (name, features) in layers {
            let read = try GeoJSONFeatureReader.readFeatures(path: (directory as NSString).appendingPathComponent(name + ".geojson"))
            #expect(read.count == features.count, "\(name).geojson")
            for (a, b) in zip(read, features) {
                #expect(a.id == b.id && a.geometry == b.geometry && a.properties == b.properties, "\(name): \(b.stringID) changed on the way")
            }
        }
    }

    @Test func writingIntoAFileFailsWithAClearError() throws {
        let directory = try Fixtures.temporaryDirectory("blocked")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let blocker = (directory as NSString).appendingPathComponent("not-a-directory")
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        #expect(throws: SampleCountyWriteError.self) { try Fixtures.tiny.write(to: blocker) }
    }
}

/// The OGC validity oracle: shapely checks every polygon and that each layer tiles its parent exactly.
@Suite(.requiresPython("shapely"))
struct ShapelyOracleTests {
    static let script = #"""
    import json, sys
    from shapely.geometry import shape
    from shapely.ops import unary_union
    from shapely.validation import explain_validity
    d = sys.argv[1]
    def load(n):
        with open(f"{d}/{n}.geojson") as f:
            return json.load(f)["features"]
    problems = []
    layers = {n: load(n) for n in ["county", "towns", "villages", "grids"]}
    shapes = {n: {f["id"]: shape(f["geometry"]) for f in fs} for n, fs in layers.items()}
    for n, fs in layers.items():
        for f in fs:
            g = shapes[n][f["id"]]
            if not g.is_valid:
                problems.append(f"{n} {f['id']}: {explain_validity(g)}")
    def tiles(child, parent, key):
        groups = {}
        for f in layers[child]:
            groups.setdefault(f["properties"][key] if key else "county", []).append(shapes[child][f["id"]])
        for pid, parts in groups.items():
            diff = unary_union(parts).symmetric_difference(shapes[parent][pid]).area
            if diff != 0:
                problems.append(f"{child} of {pid}: symmetric difference area {diff}")
    tiles("grids", "villages", "village_id")
    tiles("villages", "towns", "town_id")
    tiles("towns", "county", None)
    for p in problems[:20]:
        print(p)
    print(f"checked {sum(len(v) for v in layers.values())} features, {len(problems)} problems")
    sys.exit(1 if problems else 0)
    """#

    @Test(arguments: TilingTests.presets)
    func gridsAreValidAndTileTheirVillages(_ preset: SamplePreset) throws {
        let directory = try Fixtures.temporaryDirectory("shapely-\(preset.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Fixtures.county(preset).write(to: directory)
        let result = try Python.run(Self.script, [directory])
        #expect(result.status == 0, "shapely oracle failed:\n\(result.output)")
        #expect(result.stdout.contains(", 0 problems"), "\(result.output)")
    }
}
