import Foundation
import GeoJSON
import Testing
@testable import SampleCounty

/// The `imperfect` preset: the planted faults are where `faults.csv` says, and buildings moved with their households.
/// (`Tests/GridworkTests/Planning/ImperfectCountyPlanningTests` checks that `gridwork coverage` finds them.)
@Suite struct PlantedFaultsTests {
    /// Even-odd point-in-ring test on value rings (the boundary is never hit by the generator's points).
    func inside(_ p: Position, _ polygon: Polygon) -> Bool {
        func crossings(_ ring: LinearRing) -> Bool {
            let ps = ring.positions
            var inside = false
            for k in 0..<(ps.count - 1) where (ps[k].y > p.y) != (ps[k + 1].y > p.y) {
                let x = ps[k].x + (p.y - ps[k].y) * (ps[k + 1].x - ps[k].x) / (ps[k + 1].y - ps[k].y)
                if p.x < x { inside.toggle() }
            }
            return inside
        }
        return crossings(polygon.exterior) && !polygon.holes.contains(where: crossings)
    }

    @Test func faultsArePlantedAsListed() throws {
        let county = Fixtures.imperfect
        let kinds = Dictionary(grouping: county.faults, by: \.kind).mapValues(\.count)
        #expect(kinds == [.buildingAcrossGridLine: 28, .buildingAcrossVillageLine: 9, .exclave: 1, .gap: 1, .overlap: 1])
        #expect(Fixtures.tiny.faults.isEmpty && Fixtures.jiande.faults.isEmpty)
        let buildings = Dictionary(uniqueKeysWithValues: county.buildings.map { ($0.stringID, $0) })
        let grids = Dictionary(uniqueKeysWithValues: county.grids.map { ($0.stringID, $0) })
        for fault in county.faults where fault.kind == .buildingAcrossGridLine || fault.kind == .buildingAcrossVillageLine {
            let building = try #require(buildings[fault.ids[0]]?.geometry?.polygons.first)
            let own = try #require(grids[fault.ids[1]]?.geometry?.polygons)
            let other = try #require(grids[fault.ids[2]]?.geometry?.polygons)
            let corners = building.exterior.positions.dropLast()
            // Corners on both sides of the line; the building keeps its own grid id.
            #expect(corners.contains { c in own.contains { inside(c, $0) } }, "\(fault.description)")
            #expect(corners.contains { c in other.contains { inside(c, $0) } }, "\(fault.description)")
            #expect(buildings[fault.ids[0]]?.string("grid_id") == fault.ids[1])
            #expect((grids[fault.ids[1]]?.string("village_id") != grids[fault.ids[2]]?.string("village_id"))
                == (fault.kind == .buildingAcrossVillageLine))
        }
        // The exclave: a second part of the grid and of its village, with the moved building in it.
        let exclave = try #require(county.faults.first { $0.kind == .exclave })
        let part = try #require(grids[exclave.ids[1]]?.geometry?.polygons.last)
        #expect(grids[exclave.ids[1]]?.geometry?.polygons.count == 2)
        let moved = try #require(buildings[exclave.ids[0]]?.geometry?.polygons.first)
        #expect(moved.exterior.positions.allSatisfy { inside($0, part) })
        let village = try #require(county.villages.first { $0.stringID == exclave.ids[3] })
        #expect(village.geometry?.polygons.count == 2)
        // Households moved with their buildings: each still lies inside its building.
        for fault in county.faults where fault.kind != .gap && fault.kind != .overlap {
            let footprint = try #require(buildings[fault.ids[0]]?.geometry?.polygons.first)
            let households = county.households.filter { $0.buildingID == fault.ids[0] }
            #expect(households.allSatisfy { inside(Position($0.lon, $0.lat), footprint) }, "\(fault.description)")
        }
    }

    @Test func faultsAreWrittenAndTheSameForTheSameSeed() throws {
        let directory = try Fixtures.temporaryDirectory("faults")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Fixtures.imperfect.write(to: directory)
        let lines = try String(contentsOfFile: directory + "/faults.csv", encoding: .utf8).components(separatedBy: "\r\n")
        #expect(lines.first == "kind,ids,area_m2,description" && lines.count == Fixtures.imperfect.faults.count + 2)
        #expect(SampleCountyGenerator(preset: .imperfect, seed: 1).generate().faults == Fixtures.imperfect.faults)
    }
}
