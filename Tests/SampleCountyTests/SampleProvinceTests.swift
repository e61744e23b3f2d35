import Foundation
import GeoJSON
import Testing
@testable import SampleCounty

/// The synthetic province: its plan (cities, codes, figures, places), and a small run of two counties written
/// twice (one thread, two threads) to the same bytes.
@Suite struct SampleProvinceTests {
    static let seed: UInt64 = 20_260_101
    static let province = SampleProvince(seed: seed)

    @Test func thePresetHasProvinceScale() {
        let p = Self.province
        #expect(p.counties.count == SampleProvince.defaultCountyCount)
        #expect(p.counties.count >= 20)
        #expect(p.cities.count >= 2)
        for city in p.cities {
            #expect((10...15).contains(city.countyCodes.count), "city \(city.code) has \(city.countyCodes.count) counties")
        }
        #expect(p.counties.reduce(0) { $0 + $1.figures.grids } >= 14_000)
        #expect(p.counties.reduce(0) { $0 + $1.figures.households } >= 3_000_000)
        // Every county is a realistic one: Jiande- to Liyang-like figures.
        for county in p.counties {
            let f = county.figures
            #expect((500...900).contains(f.grids), "\(county.division.countyCode): \(f.grids) grids")
            #expect((100_000...200_000).contains(f.households), "\(county.division.countyCode): \(f.households) households")
            #expect((8...20).contains(f.towns))
            #expect(f.villages >= 2 * f.towns && f.villages <= f.grids)
            #expect(f.incidents > 0 && f.departments >= 20)
        }
    }

    @Test(arguments: [1, 2, 14, 15, 16, SampleProvince.defaultCountyCount, SampleProvince.maximumCountyCount])
    func codesAreValidUniqueAndNested(_ count: Int) {
        let p = SampleProvince(counties: count, seed: Self.seed)
        #expect(p.counties.count == count)
        #expect(p.code == "390000")
        #expect(SampleDivision.isCountyCode(p.code))
        let codes = p.counties.map(\.division.countyCode)
        #expect(Set(codes).count == count, "county codes repeat")
        #expect(Set(p.counties.map(\.figures.countyName)).count == count, "county names repeat")
        #expect(Set(p.cities.map(\.code)).count == p.cities.count)
        #expect(p.cities.flatMap(\.countyCodes) == codes, "cities list the counties in plan order")
        for city in p.cities {
            #expect(SampleDivision.isCountyCode(city.code) && city.code.hasPrefix("39") && city.code.hasSuffix("00"))
            #expect(city.countyCodes.count <= 15)
            #expect(city.name.hasSuffix("市"))
        }
        for county in p.counties {
            let d = county.division
            #expect(SampleDivision.isCountyCode(d.countyCode), "\(d.countyCode) is not six digits")
            #expect(d.countyCode.prefix(4) == d.cityCode.prefix(4), "\(d.countyCode) is not in city \(d.cityCode)")
            #expect(d.provinceCode == p.code && d.provinceName == p.name)
            // GB/T 2260's numbering by kind: districts 02–20, counties 21–80, county-level cities 81–99.
            let n = Int(d.countyCode.suffix(2))!
            let name = county.figures.countyName
            switch name.last {
            case "区": #expect((2...20).contains(n), "\(name) \(d.countyCode)")
            case "县": #expect((21...80).contains(n), "\(name) \(d.countyCode)")
            case "市": #expect((81...99).contains(n), "\(name) \(d.countyCode)")
            default: Issue.record("county name \(name) ends in neither 区, 县 nor 市")
            }
        }
        if count >= 20 { #expect(p.cities.allSatisfy { (10...15).contains($0.countyCodes.count) }) }
    }

    @Test func countyCodeFormIsChecked() {
        #expect(SampleDivision.isCountyCode("330182"))
        #expect(!SampleDivision.isCountyCode("33018"))
        #expect(!SampleDivision.isCountyCode("3301820"))
        #expect(!SampleDivision.isCountyCode("33O182"))
        #expect(!SampleDivision.isCountyCode("３３０１８２"))
        #expect(!SampleDivision.isCountyCode(""))
    }

    /// The outline of every county of the preset (the first step of the generator, on the county's own lattice):
    /// no two counties' extents meet.
    @Test func countyExtentsAreDisjoint() {
        let boxes = Self.province.counties.map { county -> (w: Int, s: Int, e: Int, n: Int) in
            var builder = CountyBuilder(preset: .jiande, figures: county.figures, division: county.division, seed: county.seed)
            builder.makeCounty()
            let lattice = builder.lattice!
            var box = (w: Int.max, s: Int.max, e: Int.min, n: Int.min)
            for c in builder.countyCells {
                for v in lattice.corners(ofCell: c) {
                    box = (min(box.w, lattice.vx[v]), min(box.s, lattice.vy[v]), max(box.e, lattice.vx[v]), max(box.n, lattice.vy[v]))
                }
            }
            #expect(!builder.countyCells.isEmpty)
            return box
        }
        for a in boxes.indices {
            for b in boxes.indices where a < b {
                let apart = boxes[a].e < boxes[b].w || boxes[b].e < boxes[a].w || boxes[a].n < boxes[b].s || boxes[b].n < boxes[a].s
                #expect(apart, "counties \(Self.province.counties[a].division.countyCode) and \(Self.province.counties[b].division.countyCode) overlap in extent")
            }
        }
    }

    /// Two counties written on one thread and on two: the same files, byte for byte; realistic counts; codes in
    /// the manifests; disjoint extents in the province manifest.
    @Test func smallRunIsDeterministicAndAtScale() throws {
        let province = SampleProvince(counties: 2, seed: Self.seed)
        let one = try Fixtures.temporaryDirectory("province-1")
        let two = try Fixtures.temporaryDirectory("province-2")
        defer {
            try? FileManager.default.removeItem(atPath: one)
            try? FileManager.default.removeItem(atPath: two)
        }
        let summaries = try province.write(to: one, jobs: 1)
        let again = try province.write(to: two, jobs: 2)
        #expect(summaries == again)
        let files = try Self.files(one)
        #expect(files.count == 1 + 2 * SampleCounty.fileNames.count, "files: \(files)")
        #expect(try Self.files(two) == files)
        for name in files {
            let a = try Data(contentsOf: URL(fileURLWithPath: (one as NSString).appendingPathComponent(name)))
            let b = try Data(contentsOf: URL(fileURLWithPath: (two as NSString).appendingPathComponent(name)))
            #expect(!a.isEmpty, "\(name) is empty")
            #expect(a == b, "\(name) differs between one thread and two with the same seed")
        }

        // Counts: what a province of twenty such counties would reach (14,000 grids, 1,000,000 buildings,
        // 3,000,000 households) on average per county, and exactly the plan's figures.
        #expect(summaries.reduce(0) { $0 + $1.grids } * 20 >= 14_000 * summaries.count)
        #expect(summaries.reduce(0) { $0 + $1.buildings } * 20 >= 1_000_000 * summaries.count)
        #expect(summaries.reduce(0) { $0 + $1.households } * 20 >= 3_000_000 * summaries.count)
        for (summary, plan) in zip(summaries, province.counties) {
            #expect(summary.grids == plan.figures.grids)
            #expect(summary.households == plan.figures.households)
            #expect(summary.code == plan.division.countyCode && summary.directory == plan.division.countyCode)
            let manifest = try String(contentsOfFile: "\(one)/\(summary.directory)/manifest.json", encoding: .utf8)
            #expect(manifest.contains("\"county_code\": \"\(summary.code)\""))
            #expect(manifest.contains("\"preset\": \"province\""))
            let countyFile = try String(contentsOfFile: "\(one)/\(summary.directory)/county.geojson", encoding: .utf8)
            #expect(countyFile.contains("\"county_code\":\"\(summary.code)\"") || countyFile.contains("\"county_code\": \"\(summary.code)\""))
        }
        let a = summaries[0].bbox, b = summaries[1].bbox
        #expect(a[2] < b[0] || b[2] < a[0] || a[3] < b[1] || b[3] < a[1], "extents \(a) and \(b) meet")

        // The province manifest is JSON and lists the cities, the counties and the totals.
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(one)/\(SampleProvince.manifestName)"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((json["province"] as? [String: Any])?["code"] as? String == "390000")
        let counties = try #require(json["counties"] as? [[String: Any]])
        #expect(counties.map { $0["code"] as? String } == province.counties.map(\.division.countyCode))
        let cities = try #require(json["cities"] as? [[String: Any]])
        #expect(cities.count == 1)
        let totals = try #require(json["totals"] as? [String: Int])
        #expect(totals["households"] == summaries.reduce(0) { $0 + $1.households })
        #expect(totals["counties"] == 2)
    }

    /// The regular files under `root`, by relative path, sorted.
    static func files(_ root: String) throws -> [String] {
        var result: [String] = []
        let walker = try #require(FileManager.default.enumerator(atPath: root))
        while let name = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = (root as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(name)
            }
        }
        return result.sorted()
    }
}
