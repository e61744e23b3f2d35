import Foundation
import GeoJSON
import GridGeometry

/// Checks that grids tile their villages, with GEOS: every grid valid and in one piece, the union of a village's
/// grids equal to the village, no two grids overlapping. Used before `apply` and by the tests.
public enum ProposalCheck {
    /// What the check measured, so a report can quote it.
    public struct Result: Sendable {
        public var problems: [ImportProblem]
        /// Largest |union of a village's grids △ village| / village area.
        public var worstTilingError: Double
        /// Largest area of the intersection of two grids of a village / the smaller grid's area.
        public var worstOverlap: Double
    }

    /// `tolerance`: relative area left to floating-point noise of the overlay (GEOS computes cut points in doubles).
    public static func check(villages: [Village], grids: [Grid], tolerance: Double = 1e-9) throws -> Result {
        let context = GEOSContext()
        var problems: [ImportProblem] = []
        var worstTiling = 0.0, worstOverlap = 0.0
        var gridsOfVillage: [String: [Int]] = [:]
        for (i, g) in grids.enumerated() {
            guard let v = g.villageID else {
                problems.append(ImportProblem(file: "grids.geojson", place: "grid \(g.gridID)", featureID: g.gridID,
                                              field: "village_id", reason: "the grid names no village", fix: "set village_id"))
                continue
            }
            gridsOfVillage[v, default: []].append(i)
        }
        for village in villages {
            let members = gridsOfVillage[village.villageID] ?? []
            let place = "village \(village.villageID)"
            guard !members.isEmpty else {
                problems.append(ImportProblem(file: "grids.geojson", place: place, reason: "no grid covers the village",
                                              fix: "every village needs at least one grid"))
                continue
            }
            let shapes = try members.map { try GEOSGeometry(grids[$0].geometry, context: context) }
            for (k, shape) in shapes.enumerated() {
                let id = grids[members[k]].gridID
                if case .invalid(let reason, let at) = try shape.validity() {
                    problems.append(ImportProblem(file: "grids.geojson", place: place, featureID: id, field: "geometry",
                                                  reason: "invalid polygon: \(reason)\(at.map { " at \(describe($0))" } ?? "")",
                                                  fix: "redraw the grid from whole parcels"))
                }
                if grids[members[k]].geometry.polygons.count != 1 {
                    problems.append(ImportProblem(file: "grids.geojson", place: place, featureID: id, field: "geometry",
                                                  reason: "the grid is in \(grids[members[k]].geometry.polygons.count) pieces, not contiguous",
                                                  fix: "a grid must be one contiguous polygon"))
                }
            }
            let villageShape = try GEOSGeometry(village.geometry, context: context)
            let villageArea = try villageShape.area()
            let union = try GEOSGeometry.collection(shapes, context: context).unaryUnion()
            let tiling = try union.symmetricDifference(villageShape).area() / max(villageArea, 1e-300)
            worstTiling = max(worstTiling, tiling)
            if tiling > tolerance {
                problems.append(ImportProblem(file: "grids.geojson", place: place, field: "geometry",
                                              reason: "the grids do not tile the village: gaps or spill-over of \(String(format: "%.3g", tiling * 100))% of its area",
                                              fix: "grids must cover their village exactly and stay inside it"))
            }
            let tree = try STRtree(boxes: members.map { grids[$0].geometry.boundingBox! }, context: context)
            for a in members.indices {
                for b in try tree.query(grids[members[a]].geometry.boundingBox!) where b > a {
                    let overlap = try shapes[a].intersection(shapes[b]).area()
                        / max(min(try shapes[a].area(), try shapes[b].area()), 1e-300)
                    worstOverlap = max(worstOverlap, overlap)
                    if overlap > tolerance {
                        problems.append(ImportProblem(file: "grids.geojson", place: place, featureID: grids[members[a]].gridID,
                                                      field: "geometry",
                                                      reason: "overlaps grid \(grids[members[b]].gridID) by \(String(format: "%.3g", overlap * 100))% of its area",
                                                      fix: "grids must not overlap"))
                    }
                }
            }
        }
        return Result(problems: problems, worstTilingError: worstTiling, worstOverlap: worstOverlap)
    }
}
