import Foundation
import GeoJSON
import GridIndex
import GridworkTestSupport

/// Runs Python with shapely (GEOS prepared predicates via STRtree) as an outside oracle, through the shared runner.
/// Test-only: polygons and points go to a temporary directory as JSON, the answers come back as
/// `point feature-id on-boundary` lines.
enum ShapelyOracle {
    /// The Python modules the script imports.
    static let modules = ["shapely", "numpy"]

    static func json(_ features: [(id: Int32, geometry: Geometry)]) -> String {
        func ring(_ r: LinearRing) -> String { "[" + r.positions.map { "[\($0.x),\($0.y)]" }.joined(separator: ",") + "]" }
        func polygon(_ p: Polygon) -> String { "[" + p.rings.map(ring).joined(separator: ",") + "]" }
        return "[" + features.map { f in
            "{\"id\":\(f.id),\"polygons\":[" + f.geometry.polygons.map(polygon).joined(separator: ",") + "]}"
        }.joined(separator: ",\n") + "]"
    }

    static let script = #"""
    import json, sys, time
    import numpy as np
    import shapely
    from shapely import Polygon, MultiPolygon, STRtree
    directory, mode = sys.argv[1], sys.argv[2]
    features = json.load(open(directory + "/features.json"))
    geoms, ids = [], []
    for f in features:
        parts = [Polygon(p[0], p[1:]) for p in f["polygons"]]
        geoms.append(parts[0] if len(parts) == 1 else MultiPolygon(parts))
        ids.append(f["id"])
    xy = np.fromfile(directory + "/points.f64", dtype="<f8").reshape(-1, 2)
    points = shapely.points(xy)
    tree = STRtree(geoms)
    start = time.perf_counter()
    covered = tree.query(points, predicate="covered_by")
    elapsed = time.perf_counter() - start
    if mode == "bench":
        print(f"{len(points)} {elapsed}")
        sys.exit(0)
    touching = set(map(tuple, tree.query(points, predicate="touches").T.tolist()))
    out = sys.stdout
    for p, g in sorted(covered.T.tolist()):
        out.write(f"{p} {ids[g]} {1 if (p, g) in touching else 0}\n")
    """#

    /// For each point, the covering ids (input order) with boundary flags, as shapely sees them;
    /// in `bench` mode only the time of the covered_by query.
    static func evaluate(_ features: [(id: Int32, geometry: Geometry)], _ points: [Position], bench: Bool = false)
        throws -> (hits: [[CoverHit]], seconds: Double)
    {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gridindex-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try json(features).write(to: directory.appendingPathComponent("features.json"), atomically: true, encoding: .utf8)
        var flat = [Double]()
        flat.reserveCapacity(points.count * 2)
        for p in points { flat.append(p.x); flat.append(p.y) }
        try flat.withUnsafeBytes { Data($0) }.write(to: directory.appendingPathComponent("points.f64"))
        let output = try Python.run(script, [directory.path, bench ? "bench" : "check"])
        guard output.status == 0 else {
            throw OracleError(message: "python3 exited with \(output.status): \(output.stderr)")
        }
        if bench {
            let fields = output.stdout.split(separator: " ")
            return ([], Double(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan)
        }
        let order = Dictionary(uniqueKeysWithValues: features.enumerated().map { ($0.element.id, $0.offset) })
        var hits = [[CoverHit]](repeating: [], count: points.count)
        for line in output.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            hits[Int(f[0])!].append(CoverHit(id: Int32(f[1])!, onBoundary: f[2] == "1"))
        }
        for k in hits.indices { hits[k].sort { order[$0.id]! < order[$1.id]! } }
        return (hits, 0)
    }

    struct OracleError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
