import Foundation
import GeoJSON
import Testing
@testable import SampleCounty

/// The regions must tile exactly: the coverage report and the geocoder are tested on these files.
@Suite struct TilingTests {
    static let presets: [SamplePreset] = [.tiny, .jiande]

    @Test(arguments: presets)
    func ringsAreClosedSimpleAndOriented(_ preset: SamplePreset) throws {
        let county = Fixtures.county(preset)
        for feature in [county.county] + county.towns + county.villages + county.grids {
            let geometry = try #require(feature.geometry, "\(feature.stringID) has no geometry")
            #expect(!geometry.polygons.isEmpty)
            for polygon in geometry.polygons {
                #expect(polygon.exterior.isCounterClockwise, "\(feature.stringID): exterior is not counter-clockwise")
                #expect(polygon.holes.allSatisfy { !$0.isCounterClockwise }, "\(feature.stringID): a hole is not clockwise")
                for ring in polygon.rings {
                    #expect(ring.isClosed && ring.positions.count >= 5, "\(feature.stringID): ring not closed or too short")
                    let vertices = ring.positions.dropLast().map(UnitPoint.init)
                    #expect(Set(vertices).count == vertices.count, "\(feature.stringID): a ring passes a vertex twice")
                }
            }
        }
    }

    /// Each directed boundary edge of a child is matched by the reversed edge of exactly one sibling, or lies
    /// (same direction) on the parent's boundary; and each parent boundary edge is used by exactly one child.
    /// Returns what is wrong, empty when the children tile their parents.
    static func edgeProblems(children: [Feature], parents: [Feature], parentKey: String?) -> [String] {
        var problems: [String] = []
        let parentByID = Dictionary(uniqueKeysWithValues: parents.map { ($0.stringID, $0) })
        var childrenOf: [String: [Feature]] = [:]
        for child in children { childrenOf[parentKey.flatMap { child.string($0) } ?? parents[0].stringID, default: []].append(child) }
        for (parentID, siblings) in childrenOf {
            guard let parent = parentByID[parentID] else {
                problems.append("unknown parent \(parentID)")
                continue
            }
            var owners: [DirectedEdge: Int] = [:]
            for child in siblings {
                for edge in child.geometry!.directedEdges { owners[edge, default: 0] += 1 }
            }
            if !owners.values.allSatisfy({ $0 == 1 }) { problems.append("\(parentID): a directed edge is used twice (overlap)") }
            let parentEdges = Set(parent.geometry!.directedEdges)
            let unmatched = owners.keys.filter { owners[$0.reversed] == nil && !parentEdges.contains($0) }.count
            if unmatched > 0 { problems.append("\(parentID): \(unmatched) child edges neither shared with a sibling nor on the boundary") }
            let missing = parentEdges.filter { owners[$0] == nil }.count
            if missing > 0 { problems.append("\(parentID): \(missing) boundary edges are covered by no child (gap)") }
        }
        let bare = Set(parents.map(\.stringID)).subtracting(childrenOf.keys)
        if !bare.isEmpty { problems.append("parents without children: \(bare.sorted())") }
        return problems
    }

    @Test(arguments: presets)
    func boundaryEdgesMatch(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        #expect(Self.edgeProblems(children: county.grids, parents: county.villages, parentKey: "village_id") == [])
        #expect(Self.edgeProblems(children: county.villages, parents: county.towns, parentKey: "town_id") == [])
        #expect(Self.edgeProblems(children: county.towns, parents: [county.county], parentKey: nil) == [])
    }

    /// The edge check is not vacuous: a missing grid is a gap, a duplicated grid an overlap.
    @Test func edgeCheckFindsGapsAndOverlaps() {
        let county = Fixtures.tiny
        var gap = county.grids
        gap.remove(at: 1)
        #expect(!Self.edgeProblems(children: gap, parents: county.villages, parentKey: "village_id").isEmpty)
        let overlap = county.grids + [county.grids[1]]
        #expect(Self.edgeProblems(children: overlap, parents: county.villages, parentKey: "village_id").contains { $0.contains("overlap") })
    }

    @Test(arguments: presets)
    func childAreasSumToTheParentArea(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        let box = county.county.geometry!.boundingBox!
        let origin = UnitPoint(Position(box.minX, box.minY))
        func check(_ children: [Feature], _ parents: [Feature], _ key: String?) {
            var sums: [String: Int] = [:]
            for child in children {
                let area = child.geometry!.exactArea2(origin: origin)
                #expect(area > 0, "\(child.stringID) has no area")
                sums[key.flatMap { child.string($0) } ?? parents[0].stringID, default: 0] += area
            }
            for parent in parents {
                let area = parent.geometry!.exactArea2(origin: origin)
                let sum = sums[parent.stringID] ?? 0
                // Exact integer arithmetic: equal, so within any relative tolerance.
                #expect(sum == area, "\(parent.stringID): children sum to \(sum), parent has \(area) (square 1e-7 degree units, doubled)")
                let relative = abs(Double(sum - area)) / Double(area)
                #expect(relative <= 1e-12)
            }
        }
        check(county.grids, county.villages, "village_id")
        check(county.villages, county.towns, "town_id")
        check(county.towns, [county.county], nil)
    }

    /// Every lattice cell of the county lies in exactly one grid (its own), cells outside in none.
    @Test(arguments: presets)
    func everyCellBelongsToExactlyOneGrid(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        let lattice = county.lattice
        let boxes = county.grids.map { $0.geometry!.boundingBox! }
        let stride = preset == .tiny ? 1 : 7  // jiande: one cell in seven, about 40,000 cells
        var checked = 0
        for c in Swift.stride(from: 0, to: lattice.cellCount, by: stride) {
            let corners = lattice.corners(ofCell: c).map { lattice.position(ofVertex: $0) }
            let centre = Position(corners.reduce(0) { $0 + $1.x } / 4, corners.reduce(0) { $0 + $1.y } / 4)
            var holders: [Int] = []
            for (g, box) in boxes.enumerated() where box.contains(centre) && county.grids[g].geometry!.contains(centre) {
                holders.append(g)
            }
            let owner = Int(county.cellGrid[c])
            if owner >= 0 {
                #expect(holders == [owner], "cell \(c) should be in grid \(county.grids[owner].stringID) only, is in \(holders.map { county.grids[$0].stringID })")
                checked += 1
            } else {
                #expect(holders.isEmpty, "cell \(c) lies outside the county but is in a grid")
            }
        }
        #expect(checked > 0)
    }

    @Test func coordinatesRoundTripAtSevenDecimals() {
        var count = 0
        for grid in Fixtures.tiny.grids {
            grid.geometry!.forEachPosition { p in
                #expect(Double(coordinateText(p.x)) == p.x && Double(coordinateText(p.y)) == p.y)
                count += 1
            }
        }
        for h in Fixtures.tiny.households {
            #expect(Double(coordinateText(h.lon)) == h.lon && Double(coordinateText(h.lat)) == h.lat)
        }
        #expect(count > 0)
        #expect(coordinateText(-0.5) == "-0.5")
        #expect(coordinateText(119.3000000) == "119.3")
    }
}

@Suite struct BuildingTests {
    @Test(arguments: TilingTests.presets)
    func buildingsLieInsideTheirGridAndDoNotOverlap(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        let gridByID = Dictionary(uniqueKeysWithValues: county.grids.map { ($0.stringID, $0) })
        for building in county.buildings {
            guard let grid = gridByID[building.string("grid_id") ?? ""], case .polygon(let footprint) = building.geometry else {
                Issue.record("\(building.stringID): no grid or not a polygon")
                continue
            }
            #expect(footprint.exterior.isCounterClockwise && footprint.exterior.positions.count == 5)
            #expect(footprint.exterior.positions.dropLast().allSatisfy { grid.geometry!.contains($0) },
                    "\(building.stringID) is not inside grid \(grid.stringID)")
            let floors = building.properties["floors"]?.doubleValue ?? 0
            #expect(building.string("kind") == "urban" ? (3...18).contains(floors) : (1...3).contains(floors))
        }
        // Sweep by west edge: only boxes that meet are tested for overlap.
        let rings = county.buildings.map { $0.geometry!.polygons[0].exterior.positions }
        let boxes = county.buildings.map { $0.geometry!.boundingBox! }
        let order = boxes.indices.sorted { boxes[$0].minX < boxes[$1].minX }
        var overlaps = 0
        for (n, a) in order.enumerated() {
            var m = n + 1
            while m < order.count, boxes[order[m]].minX <= boxes[a].maxX {
                let b = order[m]
                if boxes[a].intersects(boxes[b]), convexOverlap(rings[a], rings[b]) { overlaps += 1 }
                m += 1
            }
        }
        #expect(overlaps == 0, "\(overlaps) pairs of buildings overlap")
    }

    @Test(arguments: TilingTests.presets)
    func urbanBuildingsHaveTheSizeOfBlocks(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        let metresPerDegreeX = 111_320 * cos(preset.figures.centre.lat * Double.pi / 180)
        for building in county.buildings where building.string("kind") == "urban" {
            let ring = building.geometry!.polygons[0].exterior.positions
            let sides = (0..<4).map { k in
                let dx = (ring[k + 1].x - ring[k].x) * metresPerDegreeX, dy = (ring[k + 1].y - ring[k].y) * 110_574
                return (dx * dx + dy * dy).squareRoot()
            }
            #expect(sides.allSatisfy { $0 > 14 && $0 < 61 }, "\(building.stringID) sides \(sides)")
        }
    }

    @Test(arguments: TilingTests.presets)
    func householdsAndIncidentsLieWhereTheySay(_ preset: SamplePreset) {
        let county = Fixtures.county(preset)
        let buildingByID = Dictionary(uniqueKeysWithValues: county.buildings.map { ($0.stringID, $0) })
        let gridByID = Dictionary(uniqueKeysWithValues: county.grids.map { ($0.stringID, $0) })
        for h in county.households {
            let inside = buildingByID[h.buildingID]?.geometry?.contains(Position(h.lon, h.lat)) ?? false
            #expect(inside, "\(h.id) is not inside building \(h.buildingID)")
        }
        for incident in county.incidents {
            let inside = gridByID[incident.gridID]?.geometry?.contains(Position(incident.lon, incident.lat)) ?? false
            #expect(inside, "\(incident.id) is not inside grid \(incident.gridID)")
        }
    }

    @Test func gridWorkloadsStartRoughlyBalanced() {
        let counts = Fixtures.jiande.grids.map { Int($0.properties["households"]!.doubleValue!) }.sorted()
        let median = counts[counts.count / 2]
        #expect(counts.first! > 0, "no grid is empty of households")
        #expect(counts.last! < 6 * median, "the largest grid holds \(counts.last!) households, the median \(median)")
        #expect(counts.first! < counts.last!, "not perfectly balanced either")
    }
}

@Suite struct SeedRobustnessTests {
    /// Every seed must give a clean county, not only the ones the other tests use.
    @Test(arguments: Array(UInt64(100)..<UInt64(130)))
    func tinyCountiesTileForManySeeds(_ seed: UInt64) {
        let county = SampleCountyGenerator(preset: .tiny, seed: seed).generate()
        #expect(county.grids.count == SamplePreset.tiny.figures.grids)
        #expect(county.households.count == SamplePreset.tiny.figures.households)
        #expect(TilingTests.edgeProblems(children: county.grids, parents: county.villages, parentKey: "village_id") == [])
        #expect(TilingTests.edgeProblems(children: county.villages, parents: county.towns, parentKey: "town_id") == [])
        for feature in county.grids + county.villages {
            for ring in feature.geometry!.polygons.flatMap(\.rings) {
                let vertices = ring.positions.dropLast().map(UnitPoint.init)
                #expect(Set(vertices).count == vertices.count, "seed \(seed): \(feature.stringID) ring passes a vertex twice")
            }
        }
    }
}
