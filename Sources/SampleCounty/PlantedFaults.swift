import GeoJSON

/// A fault planted in the `imperfect` sample county: the kinds of imperfection real imported counties have and
/// `gridwork coverage` exists to find, so the planner and the reports can be tested on them.
public struct PlantedFault: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A building moved onto the line between two grids of one village (most of it stays in its own grid).
        case buildingAcrossGridLine = "building_across_grid_line"
        /// A building moved onto the line between two grids of different villages.
        case buildingAcrossVillageLine = "building_across_village_line"
        /// A square of one village cut out of a neighbouring village's grid and given to a grid of another village
        /// of the same town, with one of that grid's buildings moved into it.
        case exclave
        /// A square hole in one grid that its village still covers: an area no grid covers.
        case gap
        /// A grid bulging across a shared edge into its neighbour of the same village.
        case overlap
    }

    public var kind: Kind
    /// The building (if any) first, then the grids, then the villages concerned.
    public var ids: [String]
    /// Approximate area in square metres (exclave, gap, overlap; 0 for buildings).
    public var areaM2: Double
    public var description: String
}

/// Plants faults into a clean generated county, working on the features themselves in whole units of 1e-7 degree
/// (so coordinates keep 7 decimals and read back equal). Counts of towns, villages, grids, buildings, households
/// and staff do not change: buildings are moved (with their households), not added.
struct FaultPlanter {
    var county: SampleCounty
    var random: Xoshiro256
    var faults: [PlantedFault] = []

    /// Units of 1e-7 degree.
    struct Point: Hashable {
        var x: Int
        var y: Int
    }

    let metresPerUnitX: Double
    let metresPerUnitY: Double

    init(county: SampleCounty, random: Xoshiro256) {
        self.county = county
        self.random = random
        let box = county.county.geometry?.boundingBox
        let latitude = box.map { ($0.minY + $0.maxY) / 2 } ?? 30
        metresPerUnitX = 111_320.0 * portableCos(latitude * Double.pi / 180) / 1e7
        metresPerUnitY = 110_574.0 / 1e7
    }

    static func unit(_ p: Position) -> Point { Point(x: Int((p.x * 1e7).rounded()), y: Int((p.y * 1e7).rounded())) }
    static func position(_ p: Point) -> Position { Position(Double(p.x) / 1e7, Double(p.y) / 1e7) }

    func metres(_ dx: Double, _ dy: Double) -> Double {
        let x = dx * metresPerUnitX, y = dy * metresPerUnitY
        return (x * x + y * y).squareRoot()
    }

    // MARK: Buildings

    struct BuildingInfo {
        var feature: Int
        var grid: String
        var corners: [Point]
        var minX: Int, minY: Int, maxX: Int, maxY: Int
        var centre: (x: Double, y: Double)
        /// Diagonal of the bounding box in metres.
        var diameter: Double
    }

    func buildingInfo(_ k: Int) -> BuildingInfo? {
        let feature = county.buildings[k]
        guard let polygon = feature.geometry?.polygons.first,
              case .string(let grid)? = feature.properties["grid_id"] else { return nil }
        let corners = polygon.exterior.positions.dropLast().map(Self.unit)
        let xs = corners.map(\.x), ys = corners.map(\.y)
        let centre = (Double(xs.reduce(0, +)) / Double(xs.count), Double(ys.reduce(0, +)) / Double(ys.count))
        return BuildingInfo(feature: k, grid: grid, corners: corners, minX: xs.min()!, minY: ys.min()!, maxX: xs.max()!,
                            maxY: ys.max()!, centre: centre,
                            diameter: metres(Double(xs.max()! - xs.min()!), Double(ys.max()! - ys.min()!)))
    }

    /// Moves building `k` and its households by (dx, dy) units.
    mutating func moveBuilding(_ k: Int, dx: Int, dy: Int) {
        guard let polygon = county.buildings[k].geometry?.polygons.first else { return }
        let ring = polygon.exterior.positions.map { p -> Position in
            let u = Self.unit(p)
            return Self.position(Point(x: u.x + dx, y: u.y + dy))
        }
        county.buildings[k].geometry = .polygon(Polygon(exterior: LinearRing(ring)))
        guard case .string(let id)? = county.buildings[k].properties["building_id"] else { return }
        for h in county.households.indices where county.households[h].buildingID == id {
            let u = Self.unit(Position(county.households[h].lon, county.households[h].lat))
            let moved = Self.position(Point(x: u.x + dx, y: u.y + dy))
            county.households[h].lon = moved.x
            county.households[h].lat = moved.y
        }
    }

    func boxesClear(minX: Int, minY: Int, maxX: Int, maxY: Int, except: Int?) -> Bool {
        for k in county.buildings.indices where k != except {
            guard let b = county.buildings[k].geometry?.boundingBox else { continue }
            let bx0 = Int((b.minX * 1e7).rounded()), by0 = Int((b.minY * 1e7).rounded())
            let bx1 = Int((b.maxX * 1e7).rounded()), by1 = Int((b.maxY * 1e7).rounded())
            if bx0 <= maxX && minX <= bx1 && by0 <= maxY && minY <= by1 { return false }
        }
        return true
    }

    // MARK: Grid edges

    struct SharedEdge {
        var grid: Int
        var neighbour: Int
        var a: Point
        var b: Point
        /// Unit normal (in units, not normalised for metres) pointing into `grid`.
        var inward: (x: Double, y: Double)
    }

    func string(_ feature: Feature, _ key: String) -> String {
        if case .string(let s)? = feature.properties[key] { return s }
        return ""
    }

    /// Edges of exterior rings that two grids share (each once, seen from the first grid).
    func sharedEdges() -> [SharedEdge] {
        var owner: [[Point]: Int] = [:]
        var edges: [(Int, Point, Point, Bool)] = []
        for (g, grid) in county.grids.enumerated() {
            for polygon in grid.geometry?.polygons ?? [] {
                let ring = polygon.exterior.positions.map(Self.unit)
                let ccw = polygon.exterior.isCounterClockwise
                for k in 0..<(ring.count - 1) {
                    owner[[ring[k], ring[k + 1]]] = g
                    edges.append((g, ring[k], ring[k + 1], ccw))
                }
            }
        }
        var result: [SharedEdge] = []
        for (g, a, b, ccw) in edges {
            guard let h = owner[[b, a]], h != g, g < h else { continue }
            let dx = Double(b.x - a.x), dy = Double(b.y - a.y)
            let length = (dx * dx + dy * dy).squareRoot()
            // Left of a→b is inside a counter-clockwise ring.
            let left = (x: -dy / length, y: dx / length)
            result.append(SharedEdge(grid: g, neighbour: h, a: a, b: b, inward: ccw ? left : (x: -left.x, y: -left.y)))
        }
        return result
    }

    // MARK: Planting

    mutating func plant(acrossGridLines: Int, acrossVillageLines: Int) -> SampleCounty {
        var edges = sharedEdges()
        random.shuffle(&edges)
        var infos = county.buildings.indices.compactMap(buildingInfo)
        random.shuffle(&infos)
        var buildingsOfGrid: [String: [BuildingInfo]] = [:]
        for info in infos { buildingsOfGrid[info.grid, default: []].append(info) }
        var moved = Set<Int>()
        var usedGrids = Set<Int>()
        var wanted = [true: acrossVillageLines, false: acrossGridLines]

        // Buildings across grid and village lines: centre just inside their own grid, a corner over the line.
        for edge in edges where wanted.values.contains(where: { $0 > 0 }) {
            let g = county.grids[edge.grid], h = county.grids[edge.neighbour]
            let acrossVillages = string(g, "village_id") != string(h, "village_id")
            guard wanted[acrossVillages]! > 0, !usedGrids.contains(edge.grid), !usedGrids.contains(edge.neighbour) else { continue }
            let length = metres(Double(edge.b.x - edge.a.x), Double(edge.b.y - edge.a.y))
            let mid = (x: Double(edge.a.x + edge.b.x) / 2, y: Double(edge.a.y + edge.b.y) / 2)
            for info in buildingsOfGrid[string(g, "grid_id")] ?? [] where !moved.contains(info.feature) {
                guard info.diameter <= min(40, length / 3) else { continue }
                // 15% of the diameter into the grid (in metres, along the inward normal).
                let shift = 0.15 * info.diameter
                let target = (x: mid.x + edge.inward.x * shift / metresPerUnitX, y: mid.y + edge.inward.y * shift / metresPerUnitY)
                let dx = Int((target.x - info.centre.x).rounded()), dy = Int((target.y - info.centre.y).rounded())
                // Some corner must lie beyond the line, and the new place must be free of other buildings.
                let sides = info.corners.map { c -> Double in
                    Double(edge.b.x - edge.a.x) * Double(c.y + dy - edge.a.y) - Double(edge.b.y - edge.a.y) * Double(c.x + dx - edge.a.x)
                }
                let inwardIsLeft = edge.inward.x * -Double(edge.b.y - edge.a.y) + edge.inward.y * Double(edge.b.x - edge.a.x) > 0
                let beyond = sides.filter { inwardIsLeft ? $0 < 0 : $0 > 0 }.count
                guard beyond >= 1, beyond < info.corners.count,
                      boxesClear(minX: info.minX + dx - 20, minY: info.minY + dy - 20, maxX: info.maxX + dx + 20,
                                 maxY: info.maxY + dy + 20, except: info.feature)
                else { continue }
                moveBuilding(info.feature, dx: dx, dy: dy)
                moved.insert(info.feature)
                usedGrids.formUnion([edge.grid, edge.neighbour])
                wanted[acrossVillages]! -= 1
                let id = string(county.buildings[info.feature], "building_id")
                let gid = string(g, "grid_id"), hid = string(h, "grid_id")
                faults.append(PlantedFault(
                    kind: acrossVillages ? .buildingAcrossVillageLine : .buildingAcrossGridLine,
                    ids: [id, gid, hid] + (acrossVillages ? [string(g, "village_id"), string(h, "village_id")] : []),
                    areaM2: 0,
                    description: "building \(id) of grid \(gid) moved onto its line with grid \(hid)" +
                        (acrossVillages ? " (village \(string(g, "village_id")) | \(string(h, "village_id")))" : "")))
                break
            }
        }

        // A gap, an exclave and an overlap, each in grids not touched yet.
        var order = Array(county.grids.indices)
        random.shuffle(&order)
        if let (k, square) = findEmptySquare(sideMetres: 50, grids: order.filter { !usedGrids.contains($0) }) {
            usedGrids.insert(k)
            addHole(square, toGrid: k)
            let id = string(county.grids[k], "grid_id")
            faults.append(PlantedFault(kind: .gap, ids: [id, string(county.grids[k], "village_id")], areaM2: 2_500,
                                       description: "a 50 m square hole in grid \(id) that its village still covers"))
        }
        exclave: for k in order where !usedGrids.contains(k) {
            guard let (host, square) = findEmptySquare(sideMetres: 70, grids: [k]) else { continue }
            let hostVillage = string(county.grids[host], "village_id")
            let town = string(county.grids[host], "town_id")
            // A grid of another village of the same town, with a small building to move into the square.
            for g in order where !usedGrids.contains(g) && g != host {
                let grid = county.grids[g]
                guard string(grid, "town_id") == town, string(grid, "village_id") != hostVillage,
                      let building = (buildingsOfGrid[string(grid, "grid_id")] ?? []).first(where: { !moved.contains($0.feature) && $0.diameter < 30 })
                else { continue }
                usedGrids.formUnion([host, g])
                addHole(square, toGrid: host)
                addPart(square, toGrid: g)
                let centre = (x: Double(square[0].x + square[2].x) / 2, y: Double(square[0].y + square[2].y) / 2)
                moveBuilding(building.feature, dx: Int((centre.x - building.centre.x).rounded()),
                             dy: Int((centre.y - building.centre.y).rounded()))
                moved.insert(building.feature)
                let bid = string(county.buildings[building.feature], "building_id")
                faults.append(PlantedFault(
                    kind: .exclave,
                    ids: [bid, string(grid, "grid_id"), string(county.grids[host], "grid_id"), string(grid, "village_id"), hostVillage],
                    areaM2: 4_900,
                    description: "a 70 m square of village \(string(grid, "village_id")) (grid \(string(grid, "grid_id")), " +
                        "with building \(bid)) inside grid \(string(county.grids[host], "grid_id")) of village \(hostVillage)"))
                break exclave
            }
        }
        for edge in edges where !usedGrids.contains(edge.grid) && !usedGrids.contains(edge.neighbour) {
            let g = county.grids[edge.grid], h = county.grids[edge.neighbour]
            guard string(g, "village_id") == string(h, "village_id"),
                  metres(Double(edge.b.x - edge.a.x), Double(edge.b.y - edge.a.y)) >= 80 else { continue }
            let depth = 12.0
            let apex = Point(x: Int(((Double(edge.a.x + edge.b.x) / 2) - edge.inward.x * depth / metresPerUnitX).rounded()),
                             y: Int(((Double(edge.a.y + edge.b.y) / 2) - edge.inward.y * depth / metresPerUnitY).rounded()))
            guard bulge(grid: edge.grid, a: edge.a, b: edge.b, apex: apex) else { continue }
            let length = metres(Double(edge.b.x - edge.a.x), Double(edge.b.y - edge.a.y))
            faults.append(PlantedFault(
                kind: .overlap, ids: [string(g, "grid_id"), string(h, "grid_id"), string(g, "village_id")],
                areaM2: length * depth / 2,
                description: "grid \(string(g, "grid_id")) bulges 12 m into grid \(string(h, "grid_id")) " +
                    "(about \(Int(length * depth / 2)) m² of overlap)"))
            break
        }
        return county
    }

    /// A square (counter-clockwise corners, units) well inside one of `grids`, at least a side away from its edges
    /// and 10 m from every building.
    mutating func findEmptySquare(sideMetres: Double, grids: [Int]) -> (Int, [Point])? {
        let hx = sideMetres / 2 / metresPerUnitX, hy = sideMetres / 2 / metresPerUnitY
        for g in grids {
            guard let box = county.grids[g].geometry?.boundingBox,
                  let polygons = county.grids[g].geometry?.polygons else { continue }
            for _ in 0..<60 {
                let x = random.uniform(box.minX, box.maxX) * 1e7, y = random.uniform(box.minY, box.maxY) * 1e7
                let centre = Point(x: Int(x.rounded()), y: Int(y.rounded()))
                guard let polygon = polygons.first(where: { contains($0.exterior, centre) }),
                      !polygon.holes.contains(where: { contains($0, centre) }),
                      polygon.rings.allSatisfy({ distanceMetres($0, centre) > 1.5 * sideMetres })
                else { continue }
                let x0 = Int((x - hx).rounded()), x1 = Int((x + hx).rounded())
                let y0 = Int((y - hy).rounded()), y1 = Int((y + hy).rounded())
                let margin = Int(10 / metresPerUnitX)
                guard boxesClear(minX: x0 - margin, minY: y0 - margin, maxX: x1 + margin, maxY: y1 + margin, except: nil)
                else { continue }
                return (g, [Point(x: x0, y: y0), Point(x: x1, y: y0), Point(x: x1, y: y1), Point(x: x0, y: y1)])
            }
        }
        return nil
    }

    func contains(_ ring: LinearRing, _ p: Point) -> Bool {
        let ps = ring.positions.map(Self.unit)
        var inside = false
        for k in 0..<(ps.count - 1) {
            let a = ps[k], b = ps[k + 1]
            if (a.y > p.y) != (b.y > p.y) {
                let x = Double(a.x) + Double(p.y - a.y) * Double(b.x - a.x) / Double(b.y - a.y)
                if Double(p.x) < x { inside.toggle() }
            }
        }
        return inside
    }

    func distanceMetres(_ ring: LinearRing, _ p: Point) -> Double {
        let ps = ring.positions.map(Self.unit)
        var best = Double.infinity
        for k in 0..<(ps.count - 1) {
            let ax = Double(ps[k].x - p.x) * metresPerUnitX, ay = Double(ps[k].y - p.y) * metresPerUnitY
            let bx = Double(ps[k + 1].x - p.x) * metresPerUnitX, by = Double(ps[k + 1].y - p.y) * metresPerUnitY
            let dx = bx - ax, dy = by - ay
            let t = max(0, min(1, -(ax * dx + ay * dy) / max(dx * dx + dy * dy, 1e-12)))
            let cx = ax + t * dx, cy = ay + t * dy
            best = min(best, (cx * cx + cy * cy).squareRoot())
        }
        return best
    }

    func ring(_ square: [Point], clockwise: Bool) -> LinearRing {
        let ordered = clockwise ? Array(square.reversed()) : square
        return LinearRing((ordered + [ordered[0]]).map(Self.position))
    }

    /// Adds the square as a hole of a grid (its village still covers it).
    mutating func addHole(_ square: [Point], toGrid g: Int) {
        county.grids[g].geometry = withHole(county.grids[g].geometry, square)
    }

    func withHole(_ geometry: Geometry?, _ square: [Point]) -> Geometry? {
        guard let geometry else { return nil }
        var polygons = geometry.polygons
        guard let k = polygons.firstIndex(where: { contains($0.exterior, square[0]) }) else { return geometry }
        polygons[k].holes.append(ring(square, clockwise: true))
        return polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
    }

    /// Moves the square from the host grid's village to grid `g` and its village (an exclave).
    mutating func addPart(_ square: [Point], toGrid g: Int) {
        let part = Polygon(exterior: ring(square, clockwise: false))
        let villageID = string(county.grids[g], "village_id")
        county.grids[g].geometry = .multiPolygon(MultiPolygon((county.grids[g].geometry?.polygons ?? []) + [part]))
        for v in county.villages.indices {
            let geometry = county.villages[v].geometry
            if string(county.villages[v], "village_id") == villageID {
                county.villages[v].geometry = .multiPolygon(MultiPolygon((geometry?.polygons ?? []) + [part]))
            } else if let polygons = geometry?.polygons, polygons.contains(where: { contains($0.exterior, square[0]) }) {
                county.villages[v].geometry = withHole(geometry, square)
            }
        }
    }

    /// Inserts `apex` between the consecutive vertices a, b of grid `g`'s exterior ring (the grid bulges over
    /// the edge). False when the edge is not found.
    mutating func bulge(grid g: Int, a: Point, b: Point, apex: Point) -> Bool {
        guard var polygons = county.grids[g].geometry?.polygons else { return false }
        for (n, polygon) in polygons.enumerated() {
            let ring = polygon.exterior.positions.map(Self.unit)
            for k in 0..<(ring.count - 1) where ring[k] == a && ring[k + 1] == b {
                var positions = polygon.exterior.positions
                positions.insert(Self.position(apex), at: k + 1)
                polygons[n].exterior = LinearRing(positions)
                county.grids[g].geometry = polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
                return true
            }
        }
        return false
    }
}
