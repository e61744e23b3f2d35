import Foundation
import GeoJSON
import Testing
@testable import SampleCounty

@Suite struct RandomTests {
    @Test func integersStayInRangeAndCoverIt() {
        var random = Xoshiro256(seed: 42)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let value = random.int(in: -3...3)
            #expect((-3...3).contains(value))
            seen.insert(value)
        }
        #expect(seen.count == 7)
    }

    @Test func portableTrigonometryAgreesWithTheCLibrary() {
        for k in -400...400 {
            let x = Double(k) * 0.0173
            #expect(abs(portableCos(x) - cos(x)) < 1e-14, "cos(\(x))")
            #expect(abs(portableSin(x) - sin(x)) < 1e-14, "sin(\(x))")
        }
    }

    @Test func normalDeviatesHaveMeanZeroAndUnitSpread() {
        var random = Xoshiro256(seed: 9)
        let values = (0..<20_000).map { _ in random.normal() }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }

    @Test func apportionKeepsTheTotalAndTheMinimum() {
        let parts = apportion(705, weights: [1, 5, 0, 2.5, 0.1], minimum: 1)
        #expect(parts.reduce(0, +) == 705)
        #expect(parts.allSatisfy { $0 >= 1 })
        #expect(parts[1] > parts[3] && parts[3] > parts[0])
    }
}

@Suite struct DeterminismTests {
    @Test func sameSeedGivesIdenticalCounty() {
        let a = SampleCountyGenerator(preset: .tiny, seed: 7).generate()
        let b = Fixtures.tiny
        #expect(a.county == b.county)
        #expect(a.towns == b.towns)
        #expect(a.villages == b.villages)
        #expect(a.grids == b.grids)
        #expect(a.buildings == b.buildings)
        #expect(a.households == b.households)
        #expect(a.staff == b.staff)
        #expect(a.departments == b.departments)
        #expect(a.incidents == b.incidents)
    }

    @Test func sameSeedGivesByteIdenticalFiles() throws {
        let first = try Fixtures.temporaryDirectory("det-a")
        let second = try Fixtures.temporaryDirectory("det-b")
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        try SampleCountyGenerator(preset: .tiny, seed: 7).generate().write(to: first)
        try Fixtures.tiny.write(to: second)
        for name in SampleCounty.fileNames {
            let a = try Data(contentsOf: URL(fileURLWithPath: (first as NSString).appendingPathComponent(name)))
            let b = try Data(contentsOf: URL(fileURLWithPath: (second as NSString).appendingPathComponent(name)))
            #expect(!a.isEmpty, "\(name) is empty")
            #expect(a == b, "\(name) differs between two runs with the same seed")
        }
    }

    @Test func jiandeIsDeterministicToo() {
        let again = SampleCountyGenerator(preset: .jiande, seed: 1).generate()
        #expect(again.grids == Fixtures.jiande.grids)
        #expect(again.households == Fixtures.jiande.households)
        #expect(again.incidents == Fixtures.jiande.incidents)
    }

    @Test func differentSeedGivesDifferentCounty() {
        let other = SampleCountyGenerator(preset: .tiny, seed: 8).generate()
        #expect(other.grids != Fixtures.tiny.grids)
        #expect(other.households != Fixtures.tiny.households)
        #expect(other.incidents != Fixtures.tiny.incidents)
        // Still the same preset figures.
        #expect(other.grids.count == Fixtures.tiny.grids.count)
        #expect(other.households.count == Fixtures.tiny.households.count)
    }
}

@Suite struct CountTests {
    @Test(arguments: SamplePreset.allCases)
    func countsMatchThePreset(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        let f = preset.figures
        #expect(county.towns.count == f.towns)
        #expect(county.villages.count == f.villages)
        #expect(county.grids.count == f.grids)
        let urban = county.buildings.filter { $0.string("kind") == "urban" }
        #expect(urban.count == f.urbanBuildings)
        #expect(urban.filter { $0.properties["head_staff_id"] == .null }.count == f.buildingsWithoutHead)
        #expect(county.buildings.filter { $0.string("kind") == "rural" }.allSatisfy { $0.properties["head_staff_id"] == .null })
        #expect(county.households.count == f.households)
        #expect(county.departments.count == f.departments)
        #expect(county.incidents.count == f.incidents)

        let workers = county.staff.filter { $0.role == .gridWorker }
        #expect(workers.count == f.fullTimeWorkers)
        #expect(workers.allSatisfy { !$0.gridID.isEmpty })
        let covered = Set(workers.map(\.gridID))
        #expect(covered.count == workers.count, "each worker has a grid of their own")
        #expect(county.grids.filter { !covered.contains($0.stringID) }.count == f.gridsWithoutWorker)
        #expect(county.staff.filter { $0.role == .partTimeWorker }.count == f.partTimeWorkers)
        #expect(county.staff.filter { $0.role == .buildingHead }.count == f.buildingHeads)
    }

    @Test(arguments: SamplePreset.allCases)
    func idsAreUniqueAndReferencesResolve(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        let townIDs = Set(county.towns.map(\.stringID))
        let villageIDs = Set(county.villages.map(\.stringID))
        let gridIDs = Set(county.grids.map(\.stringID))
        #expect(townIDs.count == county.towns.count)
        #expect(villageIDs.count == county.villages.count)
        #expect(gridIDs.count == county.grids.count)
        #expect(county.villages.allSatisfy { townIDs.contains($0.string("town_id") ?? "") && $0.stringID.hasPrefix($0.string("town_id")! + "-V") })
        #expect(county.grids.allSatisfy { villageIDs.contains($0.string("village_id") ?? "") && $0.stringID.hasPrefix($0.string("village_id")! + "-G") })
        #expect(county.towns.allSatisfy { $0.string("town_id") == $0.stringID })
        #expect(county.grids.allSatisfy { $0.string("grid_id") == $0.stringID })

        var buildingGrid: [String: String] = [:]
        for b in county.buildings { buildingGrid[b.stringID] = b.string("grid_id") }
        #expect(buildingGrid.count == county.buildings.count)
        #expect(Set(county.households.map(\.id)).count == county.households.count)
        #expect(county.households.allSatisfy { buildingGrid[$0.buildingID] == $0.gridID })
        #expect(county.households.allSatisfy { (1...6).contains($0.residents) && !$0.address.isEmpty })
        #expect(Set(county.households.map(\.address)).count == county.households.count, "addresses are unique")

        // Grid household counts agree with the household records.
        var perGrid: [String: Int] = [:]
        for h in county.households { perGrid[h.gridID, default: 0] += 1 }
        #expect(county.grids.allSatisfy { $0.properties["households"] == .number(Double(perGrid[$0.stringID] ?? 0)) })

        #expect(Set(county.staff.map(\.id)).count == county.staff.count)
        #expect(Set(county.staff.map(\.phone)).count == county.staff.count)
        #expect(county.staff.allSatisfy { $0.phone.count == 11 && ["1380000", "1390000", "1370000", "1360000"].contains(String($0.phone.prefix(7))) })
        #expect(county.staff.allSatisfy { gridIDs.contains($0.gridID) })
        #expect(county.staff.allSatisfy { ($0.role == .buildingHead) == !$0.buildingID.isEmpty })
        for head in county.staff where head.role == .buildingHead {
            #expect(buildingGrid[head.buildingID] == head.gridID)
        }
    }

    @Test(arguments: SamplePreset.allCases)
    func incidentsFollowTheCalendarAndTheDepartments(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        var owners: [String: Int] = [:]
        for d in county.departments { for c in d.categories { owners[c, default: 0] += 1 } }
        #expect(owners.values.allSatisfy { $0 == 1 }, "each category has exactly one owning department")
        let year = String(preset.figures.year)
        let statuses: Set = ["reported", "dispatched", "accepted", "handling", "feedback", "rated", "closed"]
        let gridIDs = Set(county.grids.map(\.stringID))
        for incident in county.incidents {
            #expect(owners[incident.category] == 1)
            #expect(incident.reportedAt.count == 25 && incident.reportedAt.hasPrefix(year + "-") && incident.reportedAt.hasSuffix("+08:00"))
            #expect(statuses.contains(incident.status))
            #expect(gridIDs.contains(incident.gridID))
            #expect(!incident.description.isEmpty)
        }
        #expect(zip(county.incidents, county.incidents.dropFirst()).allSatisfy { $0.reportedAt <= $1.reportedAt })
        #expect(Set(county.incidents.map(\.id)).count == county.incidents.count)
        guard preset != .tiny else { return }
        // Seasonal and weekly pattern: July busier than February, weekdays busier than Sundays.
        let july = county.incidents.filter { $0.reportedAt.dropFirst(5).hasPrefix("07") }.count
        let february = county.incidents.filter { $0.reportedAt.dropFirst(5).hasPrefix("02") }.count
        #expect(july > february)
        var byWeekday = [Int](repeating: 0, count: 7)
        for incident in county.incidents {
            let parts = incident.reportedAt.prefix(10).split(separator: "-").map { Int($0)! }
            byWeekday[weekday(year: parts[0], month: parts[1], day: parts[2])] += 1
        }
        #expect(byWeekday[3] > byWeekday[0])
    }

    @Test func weekdayOfKnownDates() {
        #expect(weekday(year: 2025, month: 1, day: 1) == 3)  // a Wednesday
        #expect(weekday(year: 2024, month: 2, day: 29) == 4)  // a Thursday
        #expect(weekday(year: 2000, month: 1, day: 1) == 6)  // a Saturday
    }

    @Test func placesLieInChina() throws {
        for preset in SamplePreset.allCases {
            let box = try #require(Fixtures.county(preset).county.geometry?.boundingBox)
            let centre = preset.figures.centre
            #expect(abs((box.minX + box.maxX) / 2 - centre.lon) < 0.2)
            #expect(abs((box.minY + box.maxY) / 2 - centre.lat) < 0.2)
        }
    }
}
