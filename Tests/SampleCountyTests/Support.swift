import Foundation
import GeoJSON
@testable import SampleCounty

/// Counties generated once and shared by the tests (generation of jiande takes seconds in debug builds).
enum Fixtures {
    static let tiny = SampleCountyGenerator(preset: .tiny, seed: 7).generate()
    static let jiande = SampleCountyGenerator(preset: .jiande, seed: 1).generate()
    static let liyang = SampleCountyGenerator(preset: .liyang, seed: 1).generate()
    static let imperfect = SampleCountyGenerator(preset: .imperfect, seed: 1).generate()

    static func county(_ preset: SamplePreset) -> SampleCounty {
        switch preset {
        case .tiny: tiny
        case .jiande: jiande
        case .liyang: liyang
        case .imperfect: imperfect
        }
    }

    /// A fresh empty directory under the system's temporary directory.
    static func temporaryDirectory(_ name: String) throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("gridwork-sample-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Exact integer coordinates (units of 1e-7 degree): the generator's coordinates are whole units.
struct UnitPoint: Hashable {
    var x: Int
    var y: Int

    init(_ p: Position) {
        x = Int((p.x * 1e7).rounded())
        y = Int((p.y * 1e7).rounded())
    }
}

struct DirectedEdge: Hashable {
    var from: UnitPoint
    var to: UnitPoint
    var reversed: DirectedEdge { DirectedEdge(from: to, to: from) }
}

extension LinearRing {
    /// Twice the signed area, exact, in square units relative to `origin`.
    func exactArea2(origin: UnitPoint) -> Int {
        let points = positions.map(UnitPoint.init)
        var sum = 0
        for k in 0..<(points.count - 1) {
            let a = points[k], b = points[k + 1]
            sum += (a.x - origin.x) * (b.y - origin.y) - (b.x - origin.x) * (a.y - origin.y)
        }
        return sum
    }

    var directedEdges: [DirectedEdge] {
        let points = positions.map(UnitPoint.init)
        return (0..<(points.count - 1)).map { DirectedEdge(from: points[$0], to: points[$0 + 1]) }
    }
}

extension Geometry {
    /// Twice the exact area (exteriors minus holes) in square units.
    func exactArea2(origin: UnitPoint) -> Int {
        polygons.reduce(0) { sum, polygon in polygon.rings.reduce(sum) { $0 + $1.exactArea2(origin: origin) } }
    }

    var directedEdges: [DirectedEdge] { polygons.flatMap { $0.rings.flatMap(\.directedEdges) } }

    /// Even-odd point in polygon over all rings (holes included). Points on an edge count as undefined:
    /// the tests only ask about points well inside or well outside.
    func contains(_ p: Position) -> Bool {
        var inside = false
        for polygon in polygons {
            for ring in polygon.rings {
                let ps = ring.positions
                for k in 0..<(ps.count - 1) {
                    let a = ps[k], b = ps[k + 1]
                    if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
                }
            }
        }
        return inside
    }
}

extension Feature {
    var stringID: String { id?.description ?? "" }
    func string(_ key: String) -> String? { properties[key]?.stringValue }
}

/// Whether two convex polygons (closed rings) overlap with positive area (separating axis test).
func convexOverlap(_ a: [Position], _ b: [Position]) -> Bool {
    for ring in [a, b] {
        for k in 0..<(ring.count - 1) {
            let nx = ring[k + 1].y - ring[k].y, ny = ring[k].x - ring[k + 1].x
            let pa = a.map { $0.x * nx + $0.y * ny }, pb = b.map { $0.x * nx + $0.y * ny }
            if pa.max()! <= pb.min()! || pb.max()! <= pa.min()! { return false }
        }
    }
    return true
}
