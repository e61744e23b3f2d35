import Foundation
import GeoJSON

/// Generates a synthetic county from a preset and a seed. The same preset and seed always give the same county,
/// byte for byte: every random number comes from `Xoshiro256`, one stream per part of the generation.
public struct SampleCountyGenerator: Sendable {
    public let preset: SamplePreset
    public let seed: UInt64
    /// The figures generated: the preset's, or a province county's own (`SampleProvince`).
    public let figures: SampleFigures
    /// Where the county sits in the administrative divisions, for the counties of a province; nil for a preset.
    public let division: SampleDivision?

    public init(preset: SamplePreset, seed: UInt64 = 1) {
        self.preset = preset
        self.seed = seed
        self.figures = preset.figures
        self.division = nil
    }

    /// A county of a synthetic province: drawn as a `.jiande`-kind county (no planted faults) with its own
    /// figures (name, place, size) and division codes.
    public init(figures: SampleFigures, division: SampleDivision, seed: UInt64) {
        self.preset = .jiande
        self.seed = seed
        self.figures = figures
        self.division = division
    }

    public func generate() -> SampleCounty {
        var builder = CountyBuilder(preset: preset, figures: figures, division: division, seed: seed)
        var county = builder.build()
        if preset == .imperfect {
            var planter = FaultPlanter(county: county, random: Xoshiro256(seed: seed, stream: "faults"))
            county = planter.plant(acrossGridLines: 28, acrossVillageLines: 9)
            county.faults = planter.faults
        }
        return county
    }
}

/// A building before it becomes a feature: a rectangle inside one lattice cell.
struct BuildingDraft {
    var cell: Int
    var urban: Bool
    /// Corners in lattice units, counter-clockwise.
    var corners: [(x: Int, y: Int)]
    /// Centre, half-axes and angle in metres from the lattice origin, to place households inside.
    var centre: (x: Double, y: Double)
    var halfLength: Double
    var halfWidth: Double
    var angle: Double
    var floors: Int
    var unitsPerFloor: Int
    var households: Int
    /// Address of the building without the household part, e.g. "建德市安宁镇东山村3组12号".
    var address: String = ""
    /// Short place for incident texts, e.g. "东山村3组".
    var place: String = ""
    /// Rural houses: the group (组) and house number within the village.
    var group: Int = 0
    var number: Int = 0
}

struct CountyBuilder {
    let preset: SamplePreset
    let seed: UInt64
    let figures: SampleFigures
    let division: SampleDivision?

    var lattice: Lattice!
    var countyCells: [Int] = []
    var countyCentre: (x: Double, y: Double) = (0, 0)
    var countyRadius = 0.0

    var townOwner: [Int32] = []
    var townSeedCell: [Int] = []
    var townCells: [[Int]] = []
    var villageOwner: [Int32] = []
    var villageTown: [Int32] = []
    var villageCells: [[Int]] = []
    var gridOwner: [Int32] = []
    var gridVillage: [Int32] = []
    var gridCells: [[Int]] = []

    var buildings: [BuildingDraft] = []
    var urbanCell: [Bool] = []
    var footprintsInCell: [[[(x: Double, y: Double)]]] = []
    var householdsInCell: [Int] = []

    init(preset: SamplePreset, figures: SampleFigures, division: SampleDivision?, seed: UInt64) {
        self.preset = preset
        self.seed = seed
        self.figures = figures
        self.division = division
    }

    func stream(_ name: String) -> Xoshiro256 { Xoshiro256(seed: seed, stream: name) }

    mutating func build() -> SampleCounty {
        makeCounty()
        makeTowns()
        makeVillages()
        placeUrbanBuildings()
        placeRuralHouses()
        makeGrids()
        return assemble()
    }

    // MARK: County outline

    mutating func makeCounty() {
        var random = stream("outline")
        let centreLon = (figures.centre.lon + random.uniform(-0.03, 0.03)) * 1000
        let centreLat = (figures.centre.lat + random.uniform(-0.03, 0.03)) * 1000
        var amplitudes: [Double] = []
        var phases: [Double] = []
        for k in 2...7 {
            amplitudes.append(random.uniform(0, 0.16) / Double(k - 1).squareRoot())
            phases.append(random.uniform(0, 2 * Double.pi))
        }
        let phaseCos = phases.map(portableCos), phaseSin = phases.map(portableSin)
        let amplitudeSum = amplitudes.reduce(0, +)
        if amplitudeSum > 0.5 { amplitudes = amplitudes.map { $0 * 0.5 / amplitudeSum } }
        let squares = amplitudes.reduce(0) { $0 + $1 * $1 / 2 }
        let radius = (figures.areaKm2 * 1e6 / (Double.pi * (1 + squares))).squareRoot()
        let extent = radius * (1 + amplitudes.reduce(0, +))
        let cellWidth = Double(Lattice.step) * 111_320 * portableCos(centreLat / 1000 * Double.pi / 180) / Lattice.unitsPerDegree
        let cellHeight = Double(Lattice.step) * 110_574 / Lattice.unitsPerDegree
        let nx = Int((2 * extent / cellWidth).rounded(.up)) + 12
        let ny = Int((2 * extent / cellHeight).rounded(.up)) + 12
        // The regular lattice starts on a whole 1/1000 degree, nx/2 cells west and ny/2 south of the centre.
        let originX = Int(centreLon.rounded()) * 10_000 - (nx / 2) * Lattice.step
        let originY = Int(centreLat.rounded()) * 10_000 - (ny / 2) * Lattice.step
        var jitter = stream("lattice")
        lattice = Lattice(nx: nx, ny: ny, originX: originX, originY: originY, random: &jitter)
        countyCentre = (Double(nx / 2) * Double(Lattice.step) * lattice.metresPerUnitX,
                        Double(ny / 2) * Double(Lattice.step) * lattice.metresPerUnitY)
        countyRadius = radius
        var inside = [Bool](repeating: false, count: lattice.cellCount)
        for c in 0..<lattice.cellCount {
            let p = lattice.centreMetres(ofCell: c)
            let dx = p.x - countyCentre.x, dy = p.y - countyCentre.y
            let rho = (dx * dx + dy * dy).squareRoot()
            guard rho > 0 else {
                inside[c] = true
                continue
            }
            // cos(kθ + φ) from powers of (cos θ, sin θ): no atan2, the same on every platform.
            let (c1, s1) = (dx / rho, dy / rho)
            var (ck, sk) = (c1, s1)
            var r = 1.0
            for (k, a) in amplitudes.enumerated() {
                (ck, sk) = (ck * c1 - sk * s1, sk * c1 + ck * s1)  // now angle (k + 2)θ
                r += a * (ck * phaseCos[k] - sk * phaseSin[k])
            }
            inside[c] = rho < radius * r
        }
        cleanCounty(inside: &inside, lattice: lattice)
        countyCells = (0..<lattice.cellCount).filter { inside[$0] }
        urbanCell = [Bool](repeating: false, count: lattice.cellCount)
        footprintsInCell = [[[(x: Double, y: Double)]]](repeating: [], count: lattice.cellCount)
        householdsInCell = [Int](repeating: 0, count: lattice.cellCount)
    }

    func distance2(_ a: Int, _ b: Int) -> Double {
        let p = lattice.centreMetres(ofCell: a), q = lattice.centreMetres(ofCell: b)
        return (p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)
    }

    /// `count` distinct cells from `candidates`, spread out: each at least `minDistance` metres from the others
    /// (the distance shrinks when the candidates run short). Starts with `first` when given.
    func spreadSeeds(count: Int, among candidates: [Int], minDistance: Double, first: Int?,
                     random: inout Xoshiro256) -> [Int] {
        precondition(candidates.count >= count, "sample county: \(count) seeds asked of \(candidates.count) cells")
        var seeds: [Int] = first.map { [$0] } ?? []
        var minimum2 = minDistance * minDistance
        var failures = 0
        while seeds.count < count {
            let c = random.element(candidates)
            if !seeds.contains(c) && seeds.allSatisfy({ distance2($0, c) >= minimum2 }) {
                seeds.append(c)
                failures = 0
            } else {
                failures += 1
                if failures > 60 {
                    minimum2 *= 0.7
                    failures = 0
                }
            }
        }
        return seeds
    }

    // MARK: Towns and villages

    mutating func makeTowns() {
        var random = stream("towns")
        let area = Double(countyCells.count) * cellArea
        // The county seat (town 1) lies within a quarter radius of the centre.
        let angle = random.uniform(0, 2 * Double.pi)
        let offset = random.uniform(0, 0.25) * countyRadius
        let target = (countyCentre.x + offset * portableCos(angle), countyCentre.y + offset * portableSin(angle))
        let seat = countyCells.min { a, b in
            let p = lattice.centreMetres(ofCell: a), q = lattice.centreMetres(ofCell: b)
            let da = (p.x - target.0) * (p.x - target.0) + (p.y - target.1) * (p.y - target.1)
            let db = (q.x - target.0) * (q.x - target.0) + (q.y - target.1) * (q.y - target.1)
            return da != db ? da < db : a < b
        }!
        townSeedCell = spreadSeeds(count: figures.towns, among: countyCells,
                                   minDistance: 0.6 * (area / Double(figures.towns)).squareRoot(), first: seat,
                                   random: &random)
        let weights = (0..<figures.towns).map { _ in random.uniform(0.8, 1.25) }
        townOwner = [Int32](repeating: -1, count: lattice.cellCount)
        for c in countyCells {
            townOwner[c] = Int32(nearest(c, seeds: townSeedCell, weights: weights))
        }
        makeRegionsClean(owner: &townOwner, regionCount: figures.towns,
                         parentOf: [Int32](repeating: 0, count: figures.towns), lattice: lattice)
        townCells = cellsByRegion(townOwner, count: figures.towns)
    }

    var cellArea: Double {
        Double(Lattice.step) * lattice.metresPerUnitX * Double(Lattice.step) * lattice.metresPerUnitY
    }

    func nearest(_ c: Int, seeds: [Int], weights: [Double]) -> Int {
        var best = 0
        var bestValue = Double.infinity
        for (k, s) in seeds.enumerated() {
            let value = distance2(c, s) / (weights[k] * weights[k])
            if value < bestValue {
                bestValue = value
                best = k
            }
        }
        return best
    }

    func cellsByRegion(_ owner: [Int32], count: Int) -> [[Int]] {
        var cells = [[Int]](repeating: [], count: count)
        for (c, o) in owner.enumerated() where o >= 0 { cells[Int(o)].append(c) }
        return cells
    }

    mutating func makeVillages() {
        var random = stream("villages")
        let perTown = apportion(figures.villages, weights: townCells.map { Double($0.count) }, minimum: 2)
        villageOwner = [Int32](repeating: -1, count: lattice.cellCount)
        villageTown = []
        for t in 0..<figures.towns {
            let cells = townCells[t]
            let k = perTown[t]
            // The first village holds the town centre: it becomes the urban community.
            let centre = townOwner[townSeedCell[t]] == Int32(t) ? townSeedCell[t]
                : cells.min { distance2($0, townSeedCell[t]) < distance2($1, townSeedCell[t]) }!
            let seeds = spreadSeeds(count: k, among: cells,
                                    minDistance: 0.6 * (Double(cells.count) * cellArea / Double(k)).squareRoot(),
                                    first: centre, random: &random)
            let weights = (0..<k).map { _ in random.uniform(0.8, 1.25) }
            let base = villageTown.count
            for c in cells { villageOwner[c] = Int32(base + nearest(c, seeds: seeds, weights: weights)) }
            villageTown.append(contentsOf: [Int32](repeating: Int32(t), count: k))
        }
        makeRegionsClean(owner: &villageOwner, regionCount: figures.villages, parentOf: villageTown, lattice: lattice)
        villageCells = cellsByRegion(villageOwner, count: figures.villages)
    }

    // MARK: Buildings

    /// Tries to put a `length` × `width` rectangle turned by `angle` inside cell `c`, at least `margin` metres
    /// from the cell's edges and `gap` metres from the footprints already there. Returns its corners in metres.
    mutating func placeRectangle(in c: Int, length: Double, width: Double, angle: Double, margin: Double,
                                 gap: Double, attempts: Int, random: inout Xoshiro256)
        -> (centre: (x: Double, y: Double), corners: [(x: Double, y: Double)])?
    {
        let quad = lattice.corners(ofCell: c).map { lattice.metres(fromUnits: lattice.vx[$0], lattice.vy[$0]) }
        let minX = quad.map(\.x).min()!, maxX = quad.map(\.x).max()!
        let minY = quad.map(\.y).min()!, maxY = quad.map(\.y).max()!
        let (cosA, sinA) = (portableCos(angle), portableSin(angle))
        let hl = length / 2, hw = width / 2
        for _ in 0..<attempts {
            let centre = (x: random.uniform(minX, maxX), y: random.uniform(minY, maxY))
            let corners = [(-hl, -hw), (hl, -hw), (hl, hw), (-hl, hw)].map { u, v in
                (x: centre.x + u * cosA - v * sinA, y: centre.y + u * sinA + v * cosA)
            }
            guard corners.allSatisfy({ distanceInside(quad, $0) >= margin }) else { continue }
            guard footprintsInCell[c].allSatisfy({ separated($0, corners, gap: gap) }) else { continue }
            footprintsInCell[c].append(corners)
            return (centre, corners)
        }
        return nil
    }

    mutating func addBuilding(cell c: Int, urban: Bool, centre: (x: Double, y: Double),
                              corners: [(x: Double, y: Double)], length: Double, width: Double, angle: Double,
                              floors: Int, unitsPerFloor: Int, households: Int) {
        let units = corners.map { lattice.units(fromMetres: $0.x, $0.y) }
        buildings.append(BuildingDraft(
            cell: c, urban: urban, corners: units, centre: centre, halfLength: length / 2, halfWidth: width / 2,
            angle: angle, floors: floors, unitsPerFloor: unitsPerFloor, households: households))
        householdsInCell[c] += households
        if urban { urbanCell[c] = true }
    }

    mutating func placeUrbanBuildings() {
        var random = stream("urban")
        let weights = (0..<figures.towns).map { t in t == 0 ? 5.0 : random.uniform(0.6, 1.4) }
        let perTown = apportion(figures.urbanBuildings, weights: weights)
        let floorChoices = [3, 4, 5, 5, 6, 6, 6, 7, 8, 9, 11, 12, 15, 18]
        for t in 0..<figures.towns where perTown[t] > 0 {
            let centre = townSeedCell[t]
            let ordered = townCells[t].sorted { a, b in
                let da = distance2(a, centre), db = distance2(b, centre)
                return da != db ? da < db : a < b
            }
            let townAngle = random.uniform(-15, 15) * Double.pi / 180
            var placed = 0
            for c in ordered where placed < perTown[t] {
                let wanted = random.int(in: 3...7)
                var inCell = 0
                var failures = 0
                while inCell < wanted, placed < perTown[t], failures < 4 {
                    let length = random.uniform(20, 60)
                    let width = random.uniform(15, min(25, length))
                    let angle = townAngle + random.uniform(-6, 6) * Double.pi / 180
                    guard let spot = placeRectangle(in: c, length: length, width: width, angle: angle, margin: 4,
                                                    gap: 8, attempts: 30, random: &random) else {
                        failures += 1
                        continue
                    }
                    let floors = random.element(floorChoices)
                    let unitsPerFloor = length < 30 ? 2 : (length < 45 ? 3 : 4)
                    let households = max(1, Int((Double(floors * unitsPerFloor) * random.uniform(0.7, 1.0)).rounded()))
                    addBuilding(cell: c, urban: true, centre: spot.centre, corners: spot.corners, length: length,
                                width: width, angle: angle, floors: floors, unitsPerFloor: unitsPerFloor,
                                households: households)
                    inCell += 1
                    placed += 1
                }
            }
            precondition(placed == perTown[t], "sample county: town \(t + 1) has room for only \(placed) of \(perTown[t]) urban buildings")
        }
        // Urban households stay under 60% of the county's, so villages keep people.
        let cap = Int(Double(figures.households) * 0.6)
        let total = buildings.reduce(0) { $0 + $1.households }
        if total > cap {
            let factor = Double(cap) / Double(total)
            for k in buildings.indices {
                let scaled = max(1, Int((Double(buildings[k].households) * factor).rounded(.down)))
                householdsInCell[buildings[k].cell] -= buildings[k].households - scaled
                buildings[k].households = scaled
            }
        }
    }

    mutating func placeRuralHouses() {
        var random = stream("rural")
        let urbanHouseholds = buildings.reduce(0) { $0 + $1.households }
        let rural = figures.households - urbanHouseholds
        precondition(rural >= 0, "sample county: urban buildings hold more households than the preset's total")
        let ruralCells = villageCells.map { $0.filter { !urbanCell[$0] } }
        let eligible = ruralCells.indices.filter { !ruralCells[$0].isEmpty }
        let weights = eligible.map { random.uniform(0.5, 1.5) * Double(ruralCells[$0].count).squareRoot() }
        let shares = apportion(rural, weights: weights, minimum: min(1, rural / max(eligible.count, 1)))
        let cellWidth = Double(Lattice.step) * lattice.metresPerUnitX
        let cellHeight = Double(Lattice.step) * lattice.metresPerUnitY
        let sizes = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3]
        for (n, v) in eligible.enumerated() {
            var remaining = shares[n]
            guard remaining > 0 else { continue }
            let cells = ruralCells[v]
            let groups = max(1, min(12, remaining / 50))
            let groupCentres = (0..<groups).map { _ in random.element(cells) }
            var nextNumber = [Int](repeating: 1, count: groups)
            while remaining > 0 {
                let households = min(remaining, random.element(sizes))
                let group = random.index(groups)
                let length = random.uniform(8, 16)
                let width = random.uniform(7, min(12, length))
                let angle = random.uniform(-25, 25) * Double.pi / 180
                var spot: (cell: Int, centre: (x: Double, y: Double), corners: [(x: Double, y: Double)])?
                let origin = lattice.centreMetres(ofCell: groupCentres[group])
                for _ in 0..<40 where spot == nil {
                    let x = origin.x + random.normal() * 220, y = origin.y + random.normal() * 220
                    let i = Int((x / cellWidth).rounded(.down)), j = Int((y / cellHeight).rounded(.down))
                    guard i >= 0, j >= 0, i < lattice.nx, j < lattice.ny else { continue }
                    let c = lattice.cell(i, j)
                    guard villageOwner[c] == Int32(v), !urbanCell[c], footprintsInCell[c].count < 20 else { continue }
                    if let s = placeRectangle(in: c, length: length, width: width, angle: angle, margin: 2, gap: 3,
                                              attempts: 8, random: &random) {
                        spot = (c, s.centre, s.corners)
                    }
                }
                if spot == nil {
                    // The hamlet is full: any free spot in the village.
                    let start = random.index(cells.count)
                    for k in 0..<cells.count where spot == nil {
                        let c = cells[(start + k) % cells.count]
                        if let s = placeRectangle(in: c, length: length, width: width, angle: angle, margin: 2,
                                                  gap: 3, attempts: 20, random: &random) {
                            spot = (c, s.centre, s.corners)
                        }
                    }
                }
                guard let spot else {
                    preconditionFailure("sample county: village \(v) has no room left for rural houses")
                }
                addBuilding(cell: spot.cell, urban: false, centre: spot.centre, corners: spot.corners, length: length,
                            width: width, angle: angle, floors: random.element([1, 2, 2, 2, 3, 3]), unitsPerFloor: 1,
                            households: households)
                buildings[buildings.count - 1].group = group + 1
                buildings[buildings.count - 1].number = nextNumber[group]
                nextNumber[group] += 1
                remaining -= households
            }
        }
    }

    // MARK: Grids

    mutating func makeGrids() {
        var random = stream("grids")
        let villageHouseholds = villageCells.map { $0.reduce(0) { $0 + householdsInCell[$1] } }
        let perVillage = apportion(figures.grids, weights: villageHouseholds.map(Double.init), minimum: 1)
        gridOwner = [Int32](repeating: -1, count: lattice.cellCount)
        gridVillage = []
        for v in 0..<figures.villages {
            let cells = villageCells[v]
            let k = perVillage[v]
            precondition(k <= cells.count, "sample county: village \(v) has \(cells.count) cells for \(k) grids")
            let points = cells.map { lattice.centreMetres(ofCell: $0) }
            let weights = cells.map { Double(householdsInCell[$0]) + 0.05 }
            // Recursive bisection weighted by households: each cut splits the households in the ratio of the
            // grids on either side, along the longer side of the part turned by a random angle, so grids start
            // roughly balanced (whole cells make it imperfect, and cleaning moves a few more).
            var assignment = [Int](repeating: 0, count: cells.count)
            func bisect(_ members: [Int], grids: Int, first: Int) {
                if grids == 1 {
                    for n in members { assignment[n] = first }
                    return
                }
                let left = grids / 2
                let xs = members.map { points[$0].x }, ys = members.map { points[$0].y }
                let wide = xs.max()! - xs.min()! >= ys.max()! - ys.min()!
                let angle = (wide ? 0 : Double.pi / 2) + random.uniform(-0.35, 0.35)
                let (cosA, sinA) = (portableCos(angle), portableSin(angle))
                let sorted = members.sorted { a, b in
                    let pa = points[a].x * cosA + points[a].y * sinA, pb = points[b].x * cosA + points[b].y * sinA
                    return pa != pb ? pa < pb : a < b
                }
                let total = sorted.reduce(0) { $0 + weights[$1] }
                let target = total * Double(left) / Double(grids)
                var running = 0.0
                var cut = 0
                while cut < sorted.count, running + weights[sorted[cut]] / 2 < target {
                    running += weights[sorted[cut]]
                    cut += 1
                }
                cut = max(left, min(sorted.count - (grids - left), cut))
                bisect(Array(sorted[..<cut]), grids: left, first: first)
                bisect(Array(sorted[cut...]), grids: grids - left, first: first + left)
            }
            bisect(Array(points.indices), grids: k, first: 0)
            let base = gridVillage.count
            for (n, c) in cells.enumerated() { gridOwner[c] = Int32(base + assignment[n]) }
            gridVillage.append(contentsOf: [Int32](repeating: Int32(v), count: k))
        }
        makeRegionsClean(owner: &gridOwner, regionCount: figures.grids, parentOf: gridVillage, lattice: lattice)
        gridCells = cellsByRegion(gridOwner, count: figures.grids)
    }
}

/// How far `p` lies inside the convex counter-clockwise polygon `quad` (negative when outside).
private func distanceInside(_ quad: [(x: Double, y: Double)], _ p: (x: Double, y: Double)) -> Double {
    var result = Double.infinity
    for k in 0..<quad.count {
        let a = quad[k], b = quad[(k + 1) % quad.count]
        let ex = b.x - a.x, ey = b.y - a.y
        let d = (ex * (p.y - a.y) - ey * (p.x - a.x)) / (ex * ex + ey * ey).squareRoot()
        result = min(result, d)
    }
    return result
}

/// Whether two convex polygons are at least `gap` apart along one of their edge normals (separating axes).
private func separated(_ a: [(x: Double, y: Double)], _ b: [(x: Double, y: Double)], gap: Double) -> Bool {
    for polygon in [a, b] {
        for k in 0..<polygon.count {
            let p = polygon[k], q = polygon[(k + 1) % polygon.count]
            var nx = q.y - p.y, ny = p.x - q.x
            let norm = (nx * nx + ny * ny).squareRoot()
            nx /= norm
            ny /= norm
            let pa = a.map { $0.x * nx + $0.y * ny }, pb = b.map { $0.x * nx + $0.y * ny }
            if pa.max()! + gap <= pb.min()! || pb.max()! + gap <= pa.min()! { return true }
        }
    }
    return false
}
