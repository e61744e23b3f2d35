import Foundation
import GeoJSON
import GridGeometry

/// Checks proposed grids against today's with GEOS, the way `gridwork coverage` looks at a county: a proposal may
/// not open a real gap where today's grids cover the ground, create a real overlap that today's grids do not have,
/// or carry a village's grids across its line where they did not reach before. Gaps, overlaps and crossings that
/// are already there are carried over (an import accepted them), and slivers narrower than the coverage report's
/// tolerance (0.5 m) are floating-point noise of the overlay, not faults. Used before `apply` and by the tests.
public enum ProposalCheck {
    /// What the check measured, so a report can quote it.
    public struct Result: Sendable {
        /// Real new faults, each naming where it is: `apply` refuses when there is one.
        public var problems: [ImportProblem]
        /// Area (m²) of today's ground no proposed grid of its village covers any more (real and sliver parts).
        public var lostAreaM2: Double
        /// Area (m²) where proposed grids overlap and today's grids did not.
        public var newOverlapAreaM2: Double
        /// Area (m²) of overlaps that today's grids already have and the proposal keeps.
        public var carriedOverlapAreaM2: Double
        /// Sliver parts (narrower than the tolerance) among the lost ground and new overlaps.
        public var slivers: Int
    }

    /// - Parameters:
    ///   - before: today's grids (of the villages checked), `after`: the proposed ones.
    ///   - toleranceMetres: the coverage report's sliver tolerance (`CoverageOptions.toleranceMetres`).
    public static func compare(villages: [Village], before: [Grid], after: [Grid],
                               toleranceMetres: Double = CoverageOptions().toleranceMetres) throws -> Result {
        let context = GEOSContext()
        var problems: [ImportProblem] = []
        var lost = 0.0, newOverlap = 0.0, carried = 0.0, slivers = 0
        let villageByID = Dictionary(villages.map { ($0.villageID, $0) }, uniquingKeysWith: { a, _ in a })
        func place(_ polygon: Polygon) -> String {
            let p = polygon.exterior.positions.first ?? Position(0, 0)
            return String(format: "near %.6f, %.6f", p.x, p.y)
        }
        // Areas of thin parts in a local plane at the part (metres east and north of its first vertex): the
        // ellipsoidal formula loses centimetres² to rounding on slivers a few nanometres wide.
        func area(_ polygon: Polygon) -> Double {
            guard let origin = polygon.exterior.positions.first else { return 0 }
            let ky = 6_371_008.8 * Double.pi / 180, kx = ky * cos(origin.y * .pi / 180)
            func ring(_ r: LinearRing) -> Double {
                let ps = r.positions.map { Position(($0.x - origin.x) * kx, ($0.y - origin.y) * ky) }
                var sum = 0.0
                for k in 0..<max(0, ps.count - 1) { sum += ps[k].x * ps[k + 1].y - ps[k + 1].x * ps[k].y }
                return abs(sum) / 2
            }
            return ring(polygon.exterior) - polygon.holes.reduce(0) { $0 + ring($1) }
        }
        func area(_ geometry: GEOSGeometry) throws -> Double { try Measure.polygons(of: geometry).reduce(0) { $0 + area($1) } }
        func isSliver(_ polygon: Polygon) throws -> Bool {
            try Measure.isSliver(polygon, toleranceMetres: toleranceMetres, context: context)
        }

        // Each proposed grid: valid, and in a known village.
        let afterGEOS = try after.map { try GEOSGeometry($0.geometry, context: context) }
        for (k, grid) in after.enumerated() {
            guard let v = grid.villageID, villageByID[v] != nil else {
                problems.append(ImportProblem(file: "grids.geojson", place: "grid \(grid.gridID)", featureID: grid.gridID,
                                              field: "village_id", reason: "the grid names no known village (\(grid.villageID ?? "none"))",
                                              fix: "set village_id to the village the grid lies in"))
                continue
            }
            if case .invalid(let reason, let at) = try afterGEOS[k].validity() {
                problems.append(ImportProblem(file: "grids.geojson", place: "grid \(grid.gridID)", featureID: grid.gridID,
                                              field: "geometry",
                                              reason: "invalid polygon: \(reason)\(at.map { " at \(describe($0))" } ?? "")",
                                              fix: "redraw the grid from whole parcels"))
            }
        }

        // Per village: ground today's grids cover that the proposed ones do not (a new gap), and ground the
        // proposed grids cover outside the village that today's did not (a new crossing of the village line).
        var beforeOf: [String: [Int]] = [:], afterOf: [String: [Int]] = [:]
        for (k, g) in before.enumerated() { if let v = g.villageID { beforeOf[v, default: []].append(k) } }
        for (k, g) in after.enumerated() { if let v = g.villageID { afterOf[v, default: []].append(k) } }
        let beforeGEOS = try before.map { try GEOSGeometry($0.geometry, context: context) }
        func union(_ shapes: [GEOSGeometry]) throws -> GEOSGeometry {
            try GEOSGeometry.collection(shapes, context: context).unaryUnion()
        }
        for village in villages {
            let was = try union((beforeOf[village.villageID] ?? []).map { beforeGEOS[$0] })
            let now = try union((afterOf[village.villageID] ?? []).map { afterGEOS[$0] })
            for part in try Measure.polygons(of: was.difference(now)) {
                let area = area(part)
                lost += area
                if try isSliver(part) { slivers += 1; continue }
                problems.append(ImportProblem(
                    file: "grids.geojson", place: "village \(village.villageID) \(place(part))", field: "geometry",
                    reason: String(format: "a new gap of %.1f m²: today's grids cover it, no proposed grid does", area),
                    fix: "every square metre today's grids cover must stay in one proposed grid of the village"))
            }
            let shape = try GEOSGeometry(village.geometry, context: context)
            for part in try Measure.polygons(of: now.difference(was).difference(shape)) where try !isSliver(part) {
                problems.append(ImportProblem(
                    file: "grids.geojson", place: "village \(village.villageID) \(place(part))", field: "geometry",
                    reason: String(format: "the village's grids now reach %.1f m² outside the village", area(part)),
                    fix: "grids never cross village lines: keep each grid inside its village"))
            }
        }

        // Overlaps between proposed grids that today's grids do not have.
        func overlaps(_ grids: [Grid], _ shapes: [GEOSGeometry]) throws -> [(Int, Int, GEOSGeometry)] {
            guard !grids.isEmpty else { return [] }
            let boxes = grids.map { $0.geometry.boundingBox ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) }
            let tree = try STRtree(boxes: boxes, context: context)
            var found: [(Int, Int, GEOSGeometry)] = []
            for a in grids.indices {
                for b in try tree.query(boxes[a]) where b > a {
                    let shared = try shapes[a].intersection(shapes[b]).polygonalPart()
                    if try !shared.isEmpty() && shared.area() > 0 { found.append((a, b, shared)) }
                }
            }
            return found
        }
        let proposedOverlaps = try overlaps(after, afterGEOS)
        if !proposedOverlaps.isEmpty {
            let old = try overlaps(before, beforeGEOS).map(\.2)
            let oldUnion = old.isEmpty ? nil : try union(old)
            for (a, b, shared) in proposedOverlaps {
                let fresh = try oldUnion.map { try shared.difference($0) } ?? shared
                carried += try area(shared) - area(fresh)
                for part in try Measure.polygons(of: fresh) {
                    let area = area(part)
                    newOverlap += area
                    if try isSliver(part) { slivers += 1; continue }
                    problems.append(ImportProblem(
                        file: "grids.geojson", place: "grids \(after[a].gridID) and \(after[b].gridID) \(place(part))",
                        featureID: after[a].gridID, field: "geometry",
                        reason: String(format: "a new overlap of %.1f m² (today's grids do not overlap there)", area),
                        fix: "grids must not overlap: give the area to one of them"))
                }
            }
        }
        return Result(problems: problems, lostAreaM2: lost, newOverlapAreaM2: newOverlap, carriedOverlapAreaM2: carried,
                      slivers: slivers)
    }
}
